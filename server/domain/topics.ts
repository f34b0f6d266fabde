/**
 * The device ACL over the MQTT topic contract (docs/protocol.md §2), pure.
 * A device may publish only under its own `ribbon/{id}/…` (state, heartbeat, online) and
 * subscribe only to its own `ribbon/{id}/ack` and `ribbon/{id}/config`; wildcards, `$SYS` and other devices are refused.
 * The names are the contract's (protocol/mqtt.ts); the embedded broker gets these rules as
 * DEVICE_TOPIC_RULES, and an external Mosquitto gets the same rules as an ACL file.
 */
import { ACK_CHANNEL, CONFIG_CHANNEL, DEVICE_CHANNELS, type DeviceChannel, TOPIC_ROOT } from '../../protocol/mqtt.js';

export type DeviceTopic = { deviceId: string; channel: DeviceChannel };

function isChannel(value: string): value is DeviceChannel {
  return (DEVICE_CHANNELS as readonly string[]).includes(value);
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

/** A will may go only to the device's own online topic (its `0` says the connection died). */
export function deviceMayWill(deviceId: string, topic: string): boolean {
  return devicePublishChannel(deviceId, topic) === 'online';
}

export function ackTopic(deviceId: string): string {
  return `${TOPIC_ROOT}/${deviceId}/${ACK_CHANNEL}`;
}

/** Where the server tells a device its settings (retained): docs/protocol.md, "Device settings". */
export function configTopic(deviceId: string): string {
  return `${TOPIC_ROOT}/${deviceId}/${CONFIG_CHANNEL}`;
}

/** A device may subscribe to exactly its own ack and config topics: no wildcard, no other device. */
export function deviceMaySubscribe(deviceId: string, topicFilter: string): boolean {
  return topicFilter === ackTopic(deviceId) || topicFilter === configTopic(deviceId);
}

/** The rules above in the shape the embedded broker takes (broker/create-broker.ts TopicRules). */
export const DEVICE_TOPIC_RULES = {
  publishChannel: devicePublishChannel,
  maySubscribe: deviceMaySubscribe,
  mayWill: deviceMayWill,
  ackTopic,
  configTopic,
} as const;

/** What the server subscribes to at an external broker. */
export const SERVER_SUBSCRIPTIONS = DEVICE_CHANNELS.map((c) => `${TOPIC_ROOT}/+/${c}`);
