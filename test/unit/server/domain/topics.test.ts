import { describe, expect, it } from 'vitest';
import {
  ackTopic,
  configTopic,
  DEVICE_TOPIC_RULES,
  deviceMayWill,
  devicePublishChannel,
  deviceMaySubscribe,
  parseDeviceTopic,
  SERVER_SUBSCRIPTIONS,
  type DeviceTopic,
} from '../../../../server/domain/topics.js';

describe('parseDeviceTopic', () => {
  it.each<[string, DeviceTopic | null]>([
    ['ribbon/rp-abc/state', { deviceId: 'rp-abc', channel: 'state' }],
    ['ribbon/rp-abc/heartbeat', { deviceId: 'rp-abc', channel: 'heartbeat' }],
    ['ribbon/rp-abc/online', { deviceId: 'rp-abc', channel: 'online' }],
    ['ribbon/rp-abc/ack', null],
    ['ribbon/rp-abc/command', null],
    ['ribbon/rp-abc/State', null],
    ['Ribbon/rp-abc/state', null],
    ['ribbon//state', null],
    ['ribbon/+/state', null],
    ['ribbon/#', null],
    ['ribbon/rp+x/state', null],
    ['ribbon/rp#x/state', null],
    ['ribbon/rp-abc/+', null],
    ['ribbon/rp-abc/#', null],
    ['ribbon/rp-abc/state/extra', null],
    ['ribbon/rp-abc/state/', null],
    ['/ribbon/rp-abc/state', null],
    ['ribbon/rp-abc', null],
    ['ribbon', null],
    ['', null],
    ['$SYS/broker/clients', null],
    ['other/rp-abc/state', null],
  ])('when the topic is %j, then it parses to %j', (topic, expected) => {
    expect(parseDeviceTopic(topic)).toEqual(expected);
  });
});

describe('devicePublishChannel', () => {
  it.each([
    ['its own state', 'ribbon/rp-abc/state', 'state'],
    ['its own heartbeat', 'ribbon/rp-abc/heartbeat', 'heartbeat'],
    ['its own online', 'ribbon/rp-abc/online', 'online'],
    ['its own ack (server → device only)', 'ribbon/rp-abc/ack', null],
    ['an unknown channel of its own', 'ribbon/rp-abc/command', null],
    ["another device's state", 'ribbon/rp-xyz/state', null],
    ['a device id that only starts like its own', 'ribbon/rp-abcd/state', null],
    ['a device id that is a prefix of its own', 'ribbon/rp-ab/state', null],
    ['$SYS', '$SYS/broker/clients', null],
    ['a + wildcard for the device', 'ribbon/+/state', null],
    ['a # wildcard', 'ribbon/rp-abc/#', null],
    ['an extra level', 'ribbon/rp-abc/state/x', null],
    ['an empty device id', 'ribbon//state', null],
    ['a topic outside ribbon/', 'other/rp-abc/state', null],
  ] as const)('when device rp-abc publishes to %s, then the channel is %j', (_name, topic, channel) => {
    expect(devicePublishChannel('rp-abc', topic)).toBe(channel);
  });

  it('when the device id is empty, then even ribbon//state is refused', () => {
    expect(devicePublishChannel('', 'ribbon//state')).toBeNull();
  });
});

describe('deviceMaySubscribe', () => {
  it.each([
    ['its own ack', 'ribbon/rp-abc/ack', true],
    ['its own config', 'ribbon/rp-abc/config', true],
    ["another device's config", 'ribbon/rp-xyz/config', false],
    ['ribbon/+/config', 'ribbon/+/config', false],
    ['#', '#', false],
    ['+', '+', false],
    ['ribbon/#', 'ribbon/#', false],
    ['ribbon/+/ack', 'ribbon/+/ack', false],
    ['ribbon/rp-abc/#', 'ribbon/rp-abc/#', false],
    ['ribbon/rp-abc/+', 'ribbon/rp-abc/+', false],
    ["another device's ack", 'ribbon/rp-xyz/ack', false],
    ['its own state', 'ribbon/rp-abc/state', false],
    ['its own ack with an extra level', 'ribbon/rp-abc/ack/x', false],
    ['its own ack with a trailing slash', 'ribbon/rp-abc/ack/', false],
    ['its own ack in another case', 'ribbon/RP-ABC/ack', false],
    ['$SYS/#', '$SYS/#', false],
    ['an empty filter', '', false],
  ] as const)('when device rp-abc subscribes to %s, then allowed is %s', (_name, filter, allowed) => {
    expect(deviceMaySubscribe('rp-abc', filter)).toBe(allowed);
  });
});

describe('deviceMayWill', () => {
  it.each([
    ['its own online', 'ribbon/rp-abc/online', true],
    ['its own state', 'ribbon/rp-abc/state', false],
    ['its own heartbeat', 'ribbon/rp-abc/heartbeat', false],
    ['its own ack', 'ribbon/rp-abc/ack', false],
    ["another device's online", 'ribbon/rp-xyz/online', false],
    ['a + wildcard for the device', 'ribbon/+/online', false],
    ['$SYS', '$SYS/broker/clients', false],
    ['an empty topic', '', false],
  ] as const)('when device rp-abc leaves a will on %s, then allowed is %s', (_name, topic, allowed) => {
    expect(deviceMayWill('rp-abc', topic)).toBe(allowed);
  });
});

describe('DEVICE_TOPIC_RULES', () => {
  it('when the broker is given the device rules, then they are the rules above', () => {
    expect(DEVICE_TOPIC_RULES).toEqual({
      publishChannel: devicePublishChannel,
      maySubscribe: deviceMaySubscribe,
      mayWill: deviceMayWill,
      ackTopic,
      configTopic,
    });
  });
});

describe('ackTopic and SERVER_SUBSCRIPTIONS', () => {
  it('when asked for a device ack topic, then it is ribbon/{id}/ack', () => {
    expect(ackTopic('rp-abc')).toBe('ribbon/rp-abc/ack');
  });

  it('when the server subscribes at an external broker, then it takes every device channel and nothing else', () => {
    expect(SERVER_SUBSCRIPTIONS).toEqual(['ribbon/+/state', 'ribbon/+/heartbeat', 'ribbon/+/online']);
  });
});
