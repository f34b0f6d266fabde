// The light engine's MQTT 3.1.1 bytes. Packets out are built with mqtt-packet's generate(); packets
// in are framed and read by hand, because mqtt-packet's parser is an EventEmitter per stream and
// the broker sends a device only CONNACK, PUBACK, PINGRESP, SUBACK and, for a subscribed device,
// PUBLISH. Pure: no sockets, no timers.
import { generate } from 'mqtt-packet';

/** Control packet types, the high nibble of the first byte [MQTT-2.2.1]. */
export const PacketType = {
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PINGRESP: 13,
} as const;

export const PINGREQ = Buffer.from([0xc0, 0x00]);
export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** DUP flag of a PUBLISH's fixed header [MQTT-3.3.1-1]. */
const DUP = 0x08;

const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** What a CONNACK return code 1–5 means [MQTT-3.2.2.3]. */
export function connackReason(returnCode: number): string {
  return CONNACK_REASONS[returnCode] ?? 'unknown';
}

/**
 * The device's CONNECT (docs/protocol.md §1): MQTT 3.1.1, client id = username = device id,
 * password = secret, clean=false, will `ribbon/{id}/online` "0" retained QoS 1.
 */
export function connectPacket(id: string, secret: string, keepaliveSec: number): Buffer {
  return generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: false,
    clientId: id,
    keepalive: keepaliveSec,
    username: id,
    password: Buffer.from(secret),
    will: { topic: `ribbon/${id}/online`, payload: Buffer.from('0'), qos: 1, retain: true },
  });
}

/** A QoS 1 PUBLISH, DUP clear. */
export function publishPacket(topic: string, payload: string, messageId: number, retain: boolean): Buffer {
  return generate({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false, messageId });
}

/** A copy of a PUBLISH with DUP set, for its resend after a reconnect [MQTT-3.3.1-1]. */
export function asDuplicate(packet: Buffer): Buffer {
  const again = Buffer.from(packet);
  again[0] = (again[0] as number) | DUP;
  return again;
}

/** Where one packet's body starts and ends in a buffer. */
export type Frame = { bodyStart: number; end: number };

/**
 * Reads the fixed header of the packet starting at `pos`: its type byte, then the remaining
 * length in 1–4 bytes of 7 bits each [MQTT-2.2.3]. 'incomplete' when the buffer does not yet
 * hold the whole packet, 'malformed' when a fourth length byte still says "more follows".
 */
export function readFrame(buf: Buffer, pos: number): Frame | 'incomplete' | 'malformed' {
  let len = 0;
  let mul = 1;
  let i = pos + 1;
  let complete = false;
  for (; i < buf.length && i < pos + 5; i++) {
    const b = buf[i] as number;
    len += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      complete = true;
      i++;
      break;
    }
  }
  if (!complete) return i >= pos + 5 ? 'malformed' : 'incomplete';
  const end = i + len;
  return end > buf.length ? 'incomplete' : { bodyStart: i, end };
}

/** A big-endian 16-bit number (a message id, a topic length). */
export function readUint16(buf: Buffer, at: number): number {
  return ((buf[at] as number) << 8) | (buf[at + 1] as number);
}

/**
 * The PUBACK owed for a PUBLISH the broker sent (the device's ack topic, if it subscribed):
 * null for QoS 0 or when the packet is too short to hold its message id.
 */
export function pubackFor(buf: Buffer, start: number, frame: Frame): Buffer | null {
  const qos = ((buf[start] as number) >> 1) & 3;
  if (qos !== 1) return null;
  const idAt = frame.bodyStart + 2 + readUint16(buf, frame.bodyStart);
  if (idAt + 2 > frame.end) return null;
  return Buffer.from([0x40, 0x02, buf[idAt] as number, buf[idAt + 1] as number]);
}
