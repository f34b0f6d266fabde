import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createHashPool } from './hash-pool.js';

/**
 * Human passwords: scrypt (N=2^15, r=8, p=1; ~50 ms here), stored as
 * "scrypt$N$r$p$<salt b64>$<hash b64>". Slow on purpose (unlike device secrets, which are
 * 192-bit random tokens checked on every CONNECT).
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/**
 * Every scrypt of this process goes through this pool (app/hash-pool.ts says why): one hash at a
 * time on a machine of two cores or fewer, two beyond, so libuv's four threads always leave the
 * rest of the process some; sixteen logins may wait, the seventeenth is answered 503 at once.
 */
export const PASSWORD_HASHING = {
  concurrency: availableParallelism() <= 2 ? 1 : 2,
  queueLimit: 16,
} as const;
export const passwordHashPool = createHashPool(PASSWORD_HASHING);

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password for storing. Waits its turn in the pool, never refused (see HashPool.run). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await passwordHashPool.run(() =>
    scrypt(password, salt, KEY_LENGTH, { ...PARAMS, maxmem: 64 * 1024 * 1024 }),
  );
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

// Checked against when the user is unknown, so an unknown name costs the same time: the same
// parameters, salt and key lengths as a stored hash, through the same pool. No password has this
// key, and the answer for an unknown user is a mismatch whatever the key says.
const DUMMY_HASH = `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${Buffer.alloc(SALT_LENGTH).toString('base64')}$${Buffer.alloc(KEY_LENGTH).toString('base64')}`;

export type PasswordCheck = 'match' | 'mismatch' | 'busy';

/**
 * Checks a password against a stored hash (null: the user is unknown). 'busy': the pool's queue
 * is full and nothing was hashed; the caller answers 503 with passwordHashPool.retryAfterSec().
 */
export async function verifyPassword(password: string, stored: string | null): Promise<PasswordCheck> {
  const parts = (stored ?? DUMMY_HASH).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'mismatch';
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const actual = passwordHashPool.tryRun(() =>
    scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 64 * 1024 * 1024,
    }),
  );
  if (actual === 'busy') return 'busy';
  return timingSafeEqual(await actual, expected) && stored !== null ? 'match' : 'mismatch';
}

/** A password for the first admin when ADMIN_PASSWORD is not given (printed once). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
