import type { Socket } from 'node:net';

/**
 * aedes has no maximum packet size (moscajs/aedes#831), and mqtt-packet's parser buffers up to
 * 256 MiB for one packet. This guard reads each packet's fixed header as the bytes go by and
 * refuses a packet whose size (fixed header + Remaining Length) is over the limit before its
 * body is buffered anywhere.
 */
export class PacketSizeGuard {
  private phase: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Feeds the next bytes of the stream; returns a reason when the stream must be closed. */
  feed(chunk: Uint8Array): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.phase === 'body') {
        const skip = Math.min(this.remaining, chunk.length - i);
        this.remaining -= skip;
        i += skip;
        if (this.remaining === 0) this.phase = 'type';
      } else if (this.phase === 'type') {
        i += 1;
        this.phase = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else {
        const byte = chunk[i++] as number;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes += 1;
        if (byte & 0x80) {
          // [MQTT-2.2.3] Remaining Length is at most four bytes.
          if (this.lengthBytes >= 4) return 'malformed Remaining Length';
          continue;
        }
        const packetBytes = 1 + this.lengthBytes + this.length;
        if (packetBytes > this.maxPacketBytes) {
          return `packet of ${packetBytes} bytes is over the limit of ${this.maxPacketBytes}`;
        }
        this.remaining = this.length;
        this.phase = this.remaining === 0 ? 'type' : 'body';
      }
    }
    return null;
  }
}

/**
 * Puts the guard in front of aedes on a socket. aedes pulls bytes with `conn.read(null)` when it
 * is ready for the next batch, so wrapping `read` sees every byte before the MQTT parser does,
 * without a second stream per connection (15,000 devices: memory per connection matters).
 * The socket's own buffer stays bounded by its highWaterMark while aedes is busy.
 */
export function guardSocket(socket: Socket, maxPacketBytes: number, onRefuse: (reason: string) => void): void {
  const guard = new PacketSizeGuard(maxPacketBytes);
  const read = socket.read.bind(socket);
  socket.read = function guardedRead(size?: number) {
    const chunk = read(size) as Buffer | string | null;
    if (chunk === null || typeof chunk === 'string') return chunk;
    const reason = guard.feed(chunk);
    if (reason !== null) {
      onRefuse(reason);
      socket.destroy();
      return null;
    }
    return chunk;
  };
}
