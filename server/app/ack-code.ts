/**
 * The 处理码 of an SMS (issue 13, point 3; docs/api.md, "One-tap link"): Tencent Cloud forbids
 * variables inside links, so its SMS carries the fixed `PUBLIC_URL/a` and this code, which the
 * person types on that page and which stands for their signed link (store/ack-codes.ts keeps the
 * pairs). 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L): 31^8 ≈ 8.5 × 10^11.
 */
export const ACK_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const ACK_CODE_LENGTH = 8;

const CODE_SHAPE = new RegExp(`^[${ACK_CODE_ALPHABET}]{${ACK_CODE_LENGTH}}$`);
/** Longer input is not a code however it is spaced; checked before any work on it. */
const MAX_INPUT = 64;

/**
 * The code as stored, from what a person typed: NFKC first (a Chinese keyboard in full-width mode
 * types "ＫＸ７Ｑ" and "－"), then without spaces and hyphens anywhere (an SMS app may break the
 * code, a person may group it "K7QX-2M9P"), in upper case. null when what is left is not 8
 * characters of the alphabet: a typed O or 0, I, 1 or L is wrong, not guessed at.
 */
export function normaliseAckCode(input: string): string | null {
  if (input.length > MAX_INPUT) return null;
  const code = input.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
  return CODE_SHAPE.test(code) ? code : null;
}
