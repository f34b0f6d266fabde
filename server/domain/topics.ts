/**
 * The MQTT topic contract (docs/protocol.md) and the device ACL, pure.
 * A device may publish only under its own `ribbon/{id}/…` (state, heartbeat, online) and
 * subscribe only to its own `ribbon/{id}/ack`; wildcards, `$SYS` and other devices are refused.
 */

export const TOPIC_ROOT = 'ribbon';

export const DEVICE_CHANNELS = ['state', 'heartbeat', 'online'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

export type DeviceTopic = { deviceId: string; channel: DeviceChannel };

function isChannel(value: string): value is DeviceChannel {
  return value === 'state' || value === 'heartbeat' || value === 'online';
}

/** `ribbon/{id}/{channel}` → its parts; null for anything else. */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== TOPIC_ROOT) return null;
  const deviceId = parts[1] as string;
  const channel = parts[2] as string;
  if (deviceId === '' || deviceId.includes('+') || deviceId.includes('#') || !isChannel(channel)) return null;
  return { deviceId, channel };
}

/** The channel a device may publish on with this topic, or null when it must be refused. */
export function devicePublishChannel(deviceId: string, topic: string): DeviceChannel | null {
  const parsed = parseDeviceTopic(topic);
  return parsed !== null && parsed.deviceId === deviceId ? parsed.channel : null;
}

export function ackTopic(deviceId: string): string {
  return `${TOPIC_ROOT}/${deviceId}/ack`;
}

/** A device may subscribe to exactly its own ack topic: no wildcard, no other device. */
export function deviceMaySubscribe(deviceId: string, topicFilter: string): boolean {
  return topicFilter === ackTopic(deviceId);
}

/** What the server subscribes to at an external broker. */
export const SERVER_SUBSCRIPTIONS = DEVICE_CHANNELS.map((c) => `${TOPIC_ROOT}/+/${c}`);

export const ACK_STATUSES = ['received', 'acknowledged', 'resolved'] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];
export type DeviceAck = { seq: number | null; status: AckStatus };
