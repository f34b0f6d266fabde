import { generate, parser as mqttParser, type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  asDuplicate,
  connackReason,
  connectPacket,
  publishPacket,
  pubackFor,
  readFrame,
  readUint16,
} from '../../../device-sim/light-packets.js';

function parseOne(bytes: Buffer): Packet {
  const p = mqttParser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  p.on('packet', (packet) => packets.push(packet));
  p.parse(bytes);
  expect(packets).toHaveLength(1);
  return packets[0] as Packet;
}

describe('readFrame', () => {
  it.each([
    ['a PINGRESP', [0xd0, 0x00], 0, { bodyStart: 2, end: 2 }],
    ['a PUBACK', [0x40, 0x02, 0x00, 0x07], 0, { bodyStart: 2, end: 4 }],
    ['the second of two packets', [0xd0, 0x00, 0x40, 0x02, 0x00, 0x07], 2, { bodyStart: 4, end: 6 }],
    ['a two-byte remaining length (128)', [0x30, 0x80, 0x01, ...new Array(128).fill(0)], 0, { bodyStart: 3, end: 131 }],
    ['only the type byte', [0x40], 0, 'incomplete'],
    ['a length byte that says more follows, and nothing after it', [0x30, 0x80], 0, 'incomplete'],
    ['a PUBACK missing its last byte', [0x40, 0x02, 0x00], 0, 'incomplete'],
    ['four length bytes that all say more follows', [0x30, 0xff, 0xff, 0xff, 0xff, 0x00], 0, 'malformed'],
  ])('when the buffer holds %s, then the frame is %j', (_what, bytes, pos, frame) => {
    expect(readFrame(Buffer.from(bytes), pos)).toEqual(frame);
  });
});

describe('pubackFor', () => {
  const publish = (qos: 0 | 1, messageId: number): Buffer =>
    generate({
      cmd: 'publish',
      topic: 'ribbon/d1/ack',
      payload: '{"seq":1}',
      qos,
      dup: false,
      retain: false,
      messageId,
    });

  it.each([
    ['a QoS 1 PUBLISH with message id 258', publish(1, 258), [0x40, 0x02, 0x01, 0x02]],
    ['a QoS 0 PUBLISH', publish(0, 0), null],
  ])('when the broker sends %s, then the PUBACK is %j', (_what, bytes, puback) => {
    const frame = readFrame(bytes, 0);
    if (typeof frame === 'string') throw new Error(`frame ${frame}`);
    const got = pubackFor(bytes, 0, frame);
    expect(got === null ? null : [...got]).toEqual(puback);
  });

  it('when a QoS 1 PUBLISH is too short to hold its message id, then no PUBACK is owed', () => {
    // Topic length 13 but the packet ends right after the topic.
    const bytes = Buffer.from([0x32, 0x0f, 0x00, 0x0d, ...Buffer.from('ribbon/d1/ack')]);
    const frame = readFrame(bytes, 0);
    if (typeof frame === 'string') throw new Error(`frame ${frame}`);
    expect(pubackFor(bytes, 0, frame)).toBeNull();
  });
});

describe('packets out', () => {
  it('when a device connects, then its CONNECT is MQTT 3.1.1, not clean, with its will on online', () => {
    expect(parseOne(connectPacket('d1', 's3cret', 45))).toMatchObject({
      cmd: 'connect',
      protocolVersion: 4,
      clean: false,
      clientId: 'd1',
      keepalive: 45,
      username: 'd1',
      password: Buffer.from('s3cret'),
      will: { topic: 'ribbon/d1/online', payload: Buffer.from('0'), qos: 1, retain: true },
    });
  });

  it('when a press is resent, then only the DUP flag differs and the original is left as it was', () => {
    const packet = publishPacket('ribbon/d1/state', '{"state":"red","seq":1,"boot":1}', 7, false);
    const before = Buffer.from(packet);
    const again = asDuplicate(packet);
    expect(packet).toEqual(before);
    expect(parseOne(again)).toMatchObject({
      cmd: 'publish',
      dup: true,
      qos: 1,
      messageId: 7,
      topic: 'ribbon/d1/state',
    });
    expect(again.subarray(1)).toEqual(packet.subarray(1));
  });

  it.each([
    [0x0102, [0x01, 0x02]],
    [65535, [0xff, 0xff]],
    [1, [0x00, 0x01]],
  ])('when two bytes are read at an offset, then %i comes out', (value, bytes) => {
    expect(readUint16(Buffer.from([0xaa, ...bytes]), 1)).toBe(value);
  });

  it.each([
    [4, 'bad user name or password'],
    [5, 'not authorized'],
    [9, 'unknown'],
  ])('when CONNACK returns %i, then the reason reads %s', (code, reason) => {
    expect(connackReason(code)).toBe(reason);
  });
});
