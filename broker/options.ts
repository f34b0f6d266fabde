import type { DeviceChannel } from '../protocol/mqtt.js';

/**
 * What the embedded broker is given instead of reaching into the server (docs/design.md: the
 * broker knows no server): its limits, the topic rules, and hooks, each with a safe default, the
 * way aedes takes `authenticate` and `authorizePublish`.
 */

export type BrokerLimits = Readonly<{
  /** Largest MQTT packet accepted, in bytes (fixed header included). Checked before buffering. */
  maxPacketBytes: number;
  /** Largest keepalive a device may ask for, in seconds; 0 (never time out) is refused too. */
  keepaliveLimitSec: number;
  /** Time from TCP accept to CONNECT before the socket is closed. */
  connectTimeoutMs: number;
  maxTopicLevels: number;
  /**
   * Per remote address: a token bucket of CONNECTs with good credentials. The burst is also how
   * many sockets an address may hold open before their CONNECT is judged (counted from accept).
   */
  connectBurst: number;
  connectRatePerSec: number;
  /**
   * Per remote address: a separate token bucket of CONNECTs with bad credentials, so that a flood
   * of them never spends the budget of good devices behind the same address. Past it, bad
   * CONNECTs are still refused, but counted instead of logged one by one.
   */
  failedLoginBurst: number;
  failedLoginRatePerSec: number;
  /**
   * Hard cap on open device sockets, counted from accept (sockets still waiting for their
   * CONNECT count too). The process has ~20,000 file descriptors.
   */
  maxConnections: number;
}>;

/** The limits when none are given; server/config.ts uses them as its defaults too. */
export const DEFAULT_BROKER_LIMITS: BrokerLimits = Object.freeze({
  maxPacketBytes: 4096,
  keepaliveLimitSec: 300,
  connectTimeoutMs: 5000,
  maxTopicLevels: 4,
  connectBurst: 200,
  connectRatePerSec: 50,
  failedLoginBurst: 20,
  failedLoginRatePerSec: 2,
  maxConnections: 19_000,
});

/**
 * Who may use which topic. Each rule is asked with the connection's device id (its client id,
 * which authentication has tied to the username).
 */
export type TopicRules = {
  /** The channel a device publishes on with this topic, or null: refused, and the connection closed. */
  publishChannel(deviceId: string, topic: string): DeviceChannel | null;
  /** Whether a device may subscribe to this filter; a refused filter gets SUBACK 0x80. */
  maySubscribe(deviceId: string, topicFilter: string): boolean;
  /** Whether a device may leave a will on this topic; a forbidden will refuses the CONNECT. */
  mayWill(deviceId: string, topic: string): boolean;
  /** Where publishAck sends a device's acks; null: this broker sends no acks. */
  ackTopic(deviceId: string): string | null;
  /** Where publishConfig sends a device's settings (retained); absent or null: none go out. */
  configTopic?(deviceId: string): string | null;
};

/** The rules when none are given: nothing may be published, subscribed or willed, no acks go out. */
export const DENY_ALL_TOPICS: TopicRules = Object.freeze({
  publishChannel: () => null,
  maySubscribe: () => false,
  mayWill: () => false,
  ackTopic: () => null,
});

/** The authenticate hook when none is given: a broker nobody set up lets nobody in. */
export function refuseEveryDevice(_deviceId: string, _secret: Buffer | undefined): boolean {
  return false;
}
