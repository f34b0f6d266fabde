import { randomInt } from 'node:crypto';
import { ACK_CODE_ALPHABET, ACK_CODE_LENGTH, normaliseAckCode } from '../app/ack-code.js';
import type { AckCodesStore } from '../app/ports.js';
import type { Db } from './db.js';

/**
 * The 处理码 of SMS (migration 8; its shape: app/ack-code.ts): each stands for one signed link
 * until it expires. Guessing is bounded by the page's rate limit (POST /a, api/routes/ack-page.ts);
 * a code opens only what its link opens.
 */

export function createAckCodesStore(db: Db): AckCodesStore {
  const insert = db.prepare<[string, string, number]>(
    'INSERT OR IGNORE INTO ack_codes (code, token, expires_at) VALUES (?, ?, ?)',
  );
  const find = db.prepare<[string, number], { token: string }>(
    'SELECT token FROM ack_codes WHERE code = ? AND expires_at > ?',
  );
  // A few expired rows at a time, on the issuing path: the table stays as small as the day's SMS.
  const purge = db.prepare<[number]>(
    'DELETE FROM ack_codes WHERE code IN (SELECT code FROM ack_codes WHERE expires_at <= ? ORDER BY expires_at LIMIT 8)',
  );
  const fresh = (): string =>
    Array.from({ length: ACK_CODE_LENGTH }, () => ACK_CODE_ALPHABET[randomInt(ACK_CODE_ALPHABET.length)]).join('');
  return {
    issue(token: string, expiresAt: number, now: number): string {
      purge.run(now);
      for (let i = 0; i < 5; i++) {
        const code = fresh();
        if (insert.run(code, token, expiresAt).changes === 1) return code;
      }
      throw new Error('could not find a free 处理码 in 5 tries');
    },
    find(code: string, now: number): string | null {
      const normal = normaliseAckCode(code);
      return normal === null ? null : (find.get(normal, now)?.token ?? null);
    },
  };
}
