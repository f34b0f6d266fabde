/** Byte-limited text for robots whose limits are in UTF-8 bytes, not characters. Pure. */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, ending in `ellipsis` when it was cut. The cut
 * falls on a code-point boundary, so the result is always valid UTF-8 (a Chinese character is
 * 3 bytes, an emoji 4: cutting by bytes blindly would leave half a character, which robots
 * reject or show as U+FFFD).
 */
export function truncateUtf8(text: string, maxBytes: number, ellipsis = '…'): string {
  if (!Number.isInteger(maxBytes) || maxBytes < 0)
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  const tail = encoder.encode(ellipsis);
  // No room for the ellipsis itself: cut without one.
  const budget = tail.length <= maxBytes ? maxBytes - tail.length : maxBytes;
  const end = codePointBoundary(bytes, budget);
  const head = decoder.decode(bytes.subarray(0, end));
  return tail.length <= maxBytes ? head + ellipsis : head;
}

/** The largest index ≤ `at` that starts a code point (continuation bytes are 0b10xxxxxx). */
function codePointBoundary(bytes: Uint8Array, at: number): number {
  let end = Math.min(at, bytes.length);
  while (end > 0 && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return end;
}
