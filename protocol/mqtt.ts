/**
 * The MQTT side of the wire contract (docs/protocol.md §2–§5): topic names and payload shapes.
 * Types and constants only, no I/O; the topic rules that use them (which device may publish or
 * subscribe where) are in server/domain/topics.ts and are handed to the broker as parameters.
 */
import type { RibbonState } from './ribbon.js';

/** The first level of every device topic: `ribbon/{id}/{channel}`. */
export const TOPIC_ROOT = 'ribbon';

/** The channels a device publishes on, under its own `ribbon/{id}/`. */
export const DEVICE_CHANNELS = ['state', 'heartbeat', 'online'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** The channel a device subscribes to for the server's acks to it (`ribbon/{id}/ack`). */
export const ACK_CHANNEL = 'ack';

/** The channel a device subscribes to for its settings (`ribbon/{id}/config`, retained, QoS 1). */
export const CONFIG_CHANNEL = 'config';

/**
 * What the server publishes, retained, on `ribbon/{id}/config` (docs/protocol.md, "Device
 * settings"): how often the device must send its heartbeat, in seconds (60–86,400). A device
 * ignores fields it does not know.
 */
export type DeviceConfig = { heartbeatSec: number };

/**
 * A press on `ribbon/{id}/state`, QoS 1. Cheap buttons may send the bare word (a RibbonState)
 * instead. `seq` is recommended, not required: without it a redelivery cannot be told apart.
 */
export type StatePayload = {
  state: RibbonState;
  /** The device's press counter, a whole number 0 … 2^53−1. */
  seq?: number;
  /** Changes whenever the device restarts its counter. */
  boot?: number;
  /** The device clock's ISO 8601 time of the press, for the record only. */
  at?: string;
  /** Percent, 0–100. */
  battery?: number;
};

/** A heartbeat on `ribbon/{id}/heartbeat`: proves the battery, not the person. */
export type HeartbeatPayload = { battery: number };

/** `ribbon/{id}/online`, retained: `1` on every connect, and the will's `0`. */
export const ONLINE_PAYLOADS = { online: '1', offline: '0' } as const;

export const ACK_STATUSES = ['received', 'acknowledged', 'resolved'] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];

/** What the server publishes on `ribbon/{id}/ack`. `seq` is null for a bare-word press. */
export type DeviceAck = { seq: number | null; status: AckStatus };

/**
 * An ack as a device reads it: a newer server may send a status this device does not know, which
 * it must ignore rather than fail on (docs/protocol.md §4), so here `status` is any text.
 */
export type ReceivedAck = { seq: number | null; status: string };
