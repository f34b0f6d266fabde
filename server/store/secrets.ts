import { randomBytes } from 'node:crypto';
import type { Db } from './db.js';

/** The name of the one-tap links' key in `server_secrets` (migration 7). */
export const LINK_SECRET_NAME = 'ack-link';
const LINK_SECRET_BYTES = 32;

/**
 * The key that signs the one-tap links of SMS (server/app/ack-link.ts): 32 random bytes, made
 * the first time any connection asks and the same ever after, for the core's connection and the
 * people side's alike and across restarts. Two connections asking at once each try to insert
 * their own; INSERT OR IGNORE keeps the first committed and both read that one. A read-only
 * connection (a tool, a test) reads it, and throws if none was made yet. Never log what it returns.
 */
export function loadLinkSecret(db: Db, now: number = Date.now()): Uint8Array {
  const read = db.prepare<[string], { value: Buffer }>('SELECT value FROM server_secrets WHERE name = ?');
  const found = read.get(LINK_SECRET_NAME);
  if (found !== undefined) return checked(found.value);
  db.prepare<[string, Buffer, number]>(
    'INSERT OR IGNORE INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)',
  ).run(LINK_SECRET_NAME, randomBytes(LINK_SECRET_BYTES), now);
  const stored = read.get(LINK_SECRET_NAME);
  if (stored === undefined) throw new Error('the link secret could not be stored');
  return checked(stored.value);
}

function checked(value: Buffer): Uint8Array {
  // A hand-edited row must not quietly weaken every link.
  if (!Buffer.isBuffer(value) || value.length !== LINK_SECRET_BYTES)
    throw new Error(`the stored link secret is not ${LINK_SECRET_BYTES} bytes: delete its row to make a new one`);
  return new Uint8Array(value);
}
