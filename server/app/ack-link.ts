import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one-tap link of an SMS (issue 13, point 3; docs/api.md, "One-tap link"):
 * `PUBLIC_URL/a/<token>`, where the token names one alert and one recipient and expires. It is
 * the credential of the page it opens (server/api/routes/ack-page.ts) and of nothing else.
 *
 * An SMS is short, so the token is too: 24 bytes, 32 base64url characters, no padding.
 *
 *   byte 0       version (high 4 bits, 1) and recipient kind (low 4 bits: 0 person, 1 contact)
 *   bytes 1–4    alert id, unsigned big-endian
 *   bytes 5–8    recipient id (people.id or contacts.id), unsigned big-endian
 *   bytes 9–12   expiry, whole seconds since the epoch, unsigned big-endian (to 2106)
 *   bytes 13–23  HMAC-SHA256(secret, bytes 0–12), its first 11 bytes (88 bits)
 *
 * 88 bits of MAC cannot be guessed online: the page takes a few requests a minute per address.
 * The MAC is checked before anything in the claim is read, so any changed byte is "altered".
 */
export type AckRecipient = { kind: 'person'; id: number } | { kind: 'contact'; id: number };
export type AckClaim = {
  alertId: number;
  recipient: AckRecipient;
  /** Epoch ms; kept to whole seconds (a token made with 12:00:00.900 expires at 12:00:00). */
  expiresAt: number;
};

export type AckVerdict = { ok: true; claim: AckClaim } | { ok: false; reason: 'malformed' | 'altered' | 'expired' };

/** How long a link works: an alarm is long over by then, and a forwarded SMS stops working. */
export const ACK_LINK_TTL_MS = 24 * 60 * 60 * 1000;

const VERSION = 1;
const CLAIM_BYTES = 13;
const MAC_BYTES = 11;
const TOKEN_BYTES = CLAIM_BYTES + MAC_BYTES;
/** The token's length in characters: 24 bytes in base64url. */
export const ACK_TOKEN_LENGTH = (TOKEN_BYTES / 3) * 4;
const TOKEN_SHAPE = new RegExp(`^[A-Za-z0-9_-]{${ACK_TOKEN_LENGTH}}$`);
const KIND_CODE = { person: 0, contact: 1 } as const;
const UINT32_MAX = 0xffff_ffff;
/** A shorter secret is a bug of the caller (loadLinkSecret makes 32 bytes). */
const MIN_SECRET_BYTES = 16;

function mac(secret: Uint8Array, claim: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(claim).digest().subarray(0, MAC_BYTES);
}

function checkSecret(secret: Uint8Array): void {
  if (secret.byteLength < MIN_SECRET_BYTES)
    throw new RangeError(`the link secret must have at least ${MIN_SECRET_BYTES} bytes`);
}

function uint32(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX)
    throw new RangeError(`${name} ${value} does not fit an ack token (a whole number from 0 to ${UINT32_MAX})`);
  return value;
}

/** The token of `claim`. Throws RangeError on ids or an expiry that do not fit (a caller's bug). */
export function signAckToken(secret: Uint8Array, claim: AckClaim): string {
  checkSecret(secret);
  const bytes = Buffer.alloc(TOKEN_BYTES);
  bytes.writeUInt8((VERSION << 4) | KIND_CODE[claim.recipient.kind], 0);
  bytes.writeUInt32BE(uint32('alertId', claim.alertId), 1);
  bytes.writeUInt32BE(uint32('recipient id', claim.recipient.id), 5);
  bytes.writeUInt32BE(uint32('expiresAt (s)', Math.floor(claim.expiresAt / 1000)), 9);
  mac(secret, bytes.subarray(0, CLAIM_BYTES)).copy(bytes, CLAIM_BYTES);
  return bytes.toString('base64url');
}

/**
 * The claim of a token made with `secret`, if it is still good at `now` (epoch ms). `malformed`:
 * not a token at all (length, characters, an unknown version or kind); `altered`: its MAC does not
 * match — a changed byte, or a token of another server (another secret); `expired`: genuine, but
 * `now` is at or past its expiry.
 */
export function verifyAckToken(secret: Uint8Array, token: string, now: number): AckVerdict {
  checkSecret(secret);
  if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
  const bytes = Buffer.from(token, 'base64url');
  // 32 characters of the alphabet always decode to 24 bytes; the last one's bits are all used.
  if (bytes.length !== TOKEN_BYTES) return { ok: false, reason: 'malformed' };
  const claimBytes = bytes.subarray(0, CLAIM_BYTES);
  if (!timingSafeEqual(mac(secret, claimBytes), bytes.subarray(CLAIM_BYTES))) return { ok: false, reason: 'altered' };
  const head = bytes.readUInt8(0);
  const kindCode = head & 0x0f;
  if (head >> 4 !== VERSION || (kindCode !== KIND_CODE.person && kindCode !== KIND_CODE.contact))
    return { ok: false, reason: 'malformed' };
  const expiresAt = bytes.readUInt32BE(9) * 1000;
  if (now >= expiresAt) return { ok: false, reason: 'expired' };
  const id = bytes.readUInt32BE(5);
  return {
    ok: true,
    claim: {
      alertId: bytes.readUInt32BE(1),
      recipient: kindCode === KIND_CODE.person ? { kind: 'person', id } : { kind: 'contact', id },
      expiresAt,
    },
  };
}

/** `${publicUrl}/a/${token}`: one slash between them, whatever `publicUrl` ends with. */
export function ackLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/a/${token}`;
}
