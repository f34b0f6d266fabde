import { generate } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { PacketSizeGuard } from '../../../broker/packet-guard.js';

// Real MQTT 3.1.1 packets from mqtt-packet, so the guard is checked against the wire format.
function publish(payloadBytes: number, topic = 'ribbon/rp-abc/state'): Buffer {
  return generate({
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(payloadBytes, 0x61),
    qos: 1,
    messageId: 7,
    retain: false,
    dup: false,
  });
}

const connect = generate({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clean: true,
  clientId: 'rp-abc',
  keepalive: 60,
  username: 'rp-abc',
  password: Buffer.from('secret'),
});
const pingreq = generate({ cmd: 'pingreq' });
const subscribe = generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ribbon/rp-abc/ack', qos: 1 }] });
const disconnect = generate({ cmd: 'disconnect' });

/** A PUBLISH whose total size (fixed header + Remaining Length) is exactly `total` bytes. */
function publishOfSize(total: number): Buffer {
  // The Remaining Length field grows by a byte at 128, so some totals (130) cannot exist.
  for (let payload = total - publish(0).length; payload >= 0; payload--) {
    const packet = publish(payload);
    if (packet.length === total) return packet;
  }
  throw new Error(`no PUBLISH is exactly ${total} bytes`);
}

function feedAll(guard: PacketSizeGuard, chunks: readonly Uint8Array[]): (string | null)[] {
  return chunks.map((c) => guard.feed(c));
}

/** Feeds chunks as a socket would: the first refusal closes the stream, nothing more is fed. */
function feedUntilRefused(
  guard: PacketSizeGuard,
  chunks: readonly Uint8Array[],
): { chunk: number; reason: string } | null {
  for (const [i, c] of chunks.entries()) {
    const reason = guard.feed(c);
    if (reason !== null) return { chunk: i, reason };
  }
  return null;
}

function splitAt(buf: Buffer, ...cuts: number[]): Buffer[] {
  const points = [0, ...cuts, buf.length];
  return points.slice(1).map((end, i) => buf.subarray(points[i], end));
}

describe('PacketSizeGuard: packets under the limit', () => {
  it.each([
    ['CONNECT', connect],
    ['PINGREQ (no body)', pingreq],
    ['SUBSCRIBE', subscribe],
    ['DISCONNECT', disconnect],
    ['a small PUBLISH', publish(40)],
    ['a PUBLISH with a 2-byte Remaining Length', publish(300)],
  ])('when %s is fed whole, then it passes', (_name, packet) => {
    expect(new PacketSizeGuard(4096).feed(packet)).toBeNull();
  });

  it('when several packets arrive in one chunk, then all pass', () => {
    const chunk = Buffer.concat([connect, subscribe, publish(40), pingreq, publish(300), disconnect]);
    expect(new PacketSizeGuard(4096).feed(chunk)).toBeNull();
  });

  it('when several packets are fed byte by byte, then every byte passes', () => {
    const stream = Buffer.concat([connect, pingreq, publish(300), publish(10)]);
    const guard = new PacketSizeGuard(4096);
    const results = feedAll(
      guard,
      [...stream].map((b) => Uint8Array.of(b)),
    );
    expect(results.filter((r) => r !== null)).toEqual([]);
    expect(results).toHaveLength(stream.length);
  });

  it('when an empty chunk arrives, then nothing changes', () => {
    const guard = new PacketSizeGuard(4096);
    expect(guard.feed(new Uint8Array(0))).toBeNull();
    expect(guard.feed(publish(10))).toBeNull();
  });
});

describe('PacketSizeGuard: the limit', () => {
  it.each([64, 127, 128, 129, 131, 200, 4096])(
    'when a PUBLISH is exactly %i bytes and the limit is the same, then it passes',
    (limit) => {
      const packet = publishOfSize(limit);
      expect(new PacketSizeGuard(limit).feed(packet)).toBeNull();
    },
  );

  it.each([64, 127, 128, 131, 200, 4096])(
    'when a PUBLISH is one byte over a limit of %i, then it is refused with its size',
    (limit) => {
      const packet = publishOfSize(limit + 1);
      expect(new PacketSizeGuard(limit).feed(packet)).toBe(
        `packet of ${limit + 1} bytes is over the limit of ${limit}`,
      );
    },
  );

  it('when only the fixed header of an oversized packet has arrived, then it is refused before any body byte', () => {
    const packet = publishOfSize(5000);
    const headerLength = 1 + 2; // type byte + a 2-byte Remaining Length (5000 - 3 = 4997 < 16384)
    const guard = new PacketSizeGuard(4096);
    expect(guard.feed(packet.subarray(0, headerLength))).toBe('packet of 5000 bytes is over the limit of 4096');
  });

  it('when an oversized packet follows good ones in the same chunk, then the chunk is refused', () => {
    const chunk = Buffer.concat([connect, publish(10), publishOfSize(4097)]);
    expect(new PacketSizeGuard(4096).feed(chunk)).toBe('packet of 4097 bytes is over the limit of 4096');
  });

  it('when a huge Remaining Length is announced (256 MiB), then it is refused from the header alone', () => {
    // 0x30 PUBLISH, Remaining Length 268,435,455 = ff ff ff 7f, the largest MQTT allows.
    const header = Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f);
    expect(new PacketSizeGuard(4096).feed(header)).toBe('packet of 268435460 bytes is over the limit of 4096');
  });
});

describe('PacketSizeGuard: split across chunks at every position', () => {
  const good = Buffer.concat([connect, subscribe, publish(300), pingreq, publish(20)]);
  const positions = Array.from({ length: good.length - 1 }, (_, i) => i + 1);

  it.each(positions)('when good packets are split at byte %i, then both halves pass', (cut) => {
    const guard = new PacketSizeGuard(4096);
    expect(feedAll(guard, splitAt(good, cut))).toEqual([null, null]);
  });

  it.each(positions)('when good packets are split at byte %i and the next two, then every piece passes', (cut) => {
    const guard = new PacketSizeGuard(4096);
    const cuts = [cut, cut + 1, cut + 2].filter((c) => c < good.length);
    expect(feedAll(guard, splitAt(good, ...cuts))).toEqual(cuts.map(() => null).concat(null));
  });

  const limit = 200;
  const bad = Buffer.concat([publish(20), publishOfSize(limit + 1)]);
  const badHeaderEnd = publish(20).length + 3; // the refusal is decided on the last length byte
  const badPositions = Array.from({ length: bad.length - 1 }, (_, i) => i + 1);

  it.each(badPositions)(
    'when an oversized packet is split at byte %i, then the piece ending its length is refused',
    (cut) => {
      const guard = new PacketSizeGuard(limit);
      const reason = `packet of ${limit + 1} bytes is over the limit of ${limit}`;
      expect(feedUntilRefused(guard, splitAt(bad, cut))).toEqual({ chunk: cut >= badHeaderEnd ? 0 : 1, reason });
    },
  );
});

describe('PacketSizeGuard: malformed Remaining Length', () => {
  it('when the Remaining Length runs to a 5th byte, then it is malformed', () => {
    const guard = new PacketSizeGuard(1_048_576);
    expect(guard.feed(Uint8Array.of(0x30, 0x80, 0x80, 0x80, 0x80, 0x01))).toBe('malformed Remaining Length');
  });

  it('when the 4th length byte still has its continuation bit and arrives alone, then it is malformed at once', () => {
    const guard = new PacketSizeGuard(1_048_576);
    expect(
      feedAll(guard, [
        Uint8Array.of(0x30),
        Uint8Array.of(0xff),
        Uint8Array.of(0xff),
        Uint8Array.of(0xff),
        Uint8Array.of(0xff),
      ]),
    ).toEqual([null, null, null, null, 'malformed Remaining Length']);
  });

  it('when the Remaining Length uses exactly 4 bytes, then it is well formed and judged on size', () => {
    // 0x80 0x80 0x80 0x01 = 2,097,152 (a non-minimal but legal-length encoding of 128^3).
    const guard = new PacketSizeGuard(1_048_576);
    expect(guard.feed(Uint8Array.of(0x30, 0x80, 0x80, 0x80, 0x01))).toBe(
      'packet of 2097157 bytes is over the limit of 1048576',
    );
  });
});
