// A link cut inside a packet (chaos `tear`): both device engines send only the first bytes of a
// PUBLISH, then destroy the socket. The broker holds an incomplete packet when the connection
// closes; the press was never PUBACKed, so the device resends it after reconnecting.

/**
 * How many of a packet's `packetBytes` go out before the cut, for a fraction in [0, 1):
 * 1 + ⌊fraction × (packetBytes − 1)⌋, i.e. at least the first byte and never the whole packet.
 */
export function cutPoint(packetBytes: number, fraction: number): number {
  if (!Number.isInteger(packetBytes) || packetBytes < 2) {
    throw new RangeError(`cutPoint: a packet to cut has at least 2 bytes, got ${packetBytes}`);
  }
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`cutPoint: fraction must be in [0, 1), got ${fraction}`);
  return 1 + Math.floor(fraction * (packetBytes - 1));
}

/** What a tear did: `sentBytes` of the PUBLISH's `packetBytes` reached the socket, then it was destroyed. */
export type TearReport = { sentBytes: number; packetBytes: number };

type WriteCallback = (err?: Error | null) => void;
type Writer = { write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean; destroy(): unknown };

/**
 * Lets the next `sentBytes` bytes written to `stream` through, then destroys it once they are
 * handed to the OS. Bytes past the cut — the rest of the packet, and anything written after it
 * before the stream is gone — are swallowed: on the wire they would follow the torn bytes and the
 * broker would read them as the torn packet's body. `onCut(true)` once the bytes are out,
 * `onCut(false)` if the stream failed first (then nothing was torn on the wire).
 */
export function cutStreamAfter(stream: Writer, sentBytes: number, onCut: (sent: boolean) => void): void {
  if (!Number.isInteger(sentBytes) || sentBytes < 1)
    throw new RangeError(`cutStreamAfter: sentBytes must be a positive integer, got ${sentBytes}`);
  const write = stream.write.bind(stream);
  let room = sentBytes;
  // An own property shadows the prototype's write on this stream only; the stream is destroyed
  // at the cut and mqtt.js builds a new one to reconnect.
  stream.write = (chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    const callback = (typeof encoding === 'function' ? encoding : typeof cb === 'function' ? cb : undefined) as
      | WriteCallback
      | undefined;
    if (room === 0) {
      if (callback) process.nextTick(callback, new Error('link cut mid-packet'));
      return true;
    }
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk)
        : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    if (bytes.length < room) {
      room -= bytes.length;
      return write(chunk, encoding, cb);
    }
    const head = bytes.subarray(0, room);
    room = 0;
    write(head, (err?: Error | null) => {
      stream.destroy();
      onCut(!err);
    });
    if (callback) process.nextTick(callback, new Error('link cut mid-packet'));
    return true;
  };
}
