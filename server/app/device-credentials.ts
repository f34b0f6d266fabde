import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Device credentials. A secret is 192 random bits, shown once at provisioning and stored only
 * as its SHA-256. Not scrypt: a slow hash per CONNECT would cap the reconnect storm after a
 * power cut at tens of devices per second, and a 192-bit random token needs no stretching.
 */

/** Device ids appear in topics, so they must be topic-safe: no '/', '+', '#', nothing exotic. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{2,22}$/;

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID_PATTERN.test(id);
}

export function generateDeviceId(): string {
  // 'rp-' + 12 hex characters: 48 random bits (an id, not a secret), within MQTT 3.1's 23-character client id.
  return `rp-${randomBytes(8).toString('hex').slice(0, 12)}`;
}

export function generateSecret(): string {
  // Never a leading '-': a spreadsheet reads "-abc…" as a formula (the fleet's sheet, a CSV opened
  // in Excel) and the export's guard would put a ' in front of it. One draw in 64 is drawn again.
  for (;;) {
    const secret = randomBytes(24).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

export function hashSecret(secret: string | Buffer): Buffer {
  return createHash('sha256').update(secret).digest();
}

// Compared against when the device is unknown, so an unknown id costs the same as a wrong secret.
const DUMMY_HASH = hashSecret('not a device secret');

export function verifySecret(secret: Buffer | string | undefined, storedHash: Buffer | null): boolean {
  const given = hashSecret(secret ?? '');
  const expected = storedHash !== null && storedHash.length === given.length ? storedHash : DUMMY_HASH;
  return timingSafeEqual(given, expected) && expected === storedHash && secret !== undefined;
}
