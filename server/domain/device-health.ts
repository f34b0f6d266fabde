import type { EffectiveDeviceSettings } from './device-settings.js';
import { assertNever } from './ribbon.js';

/**
 * Device health, pure: what a button's messages and silences mean for when it must next be heard
 * from and for its household's `device` alert (a fault someone must look at). `decideDeviceHealth`
 * returns the decision as data; the use cases (app/record-messages.ts for messages, app/sweep.ts
 * for silences) carry it out in the caller's transaction.
 *
 *   heartbeat, online ───────▶ heard: due again in one heartbeat interval + the offline grace; an
 *                               "offline" fault clears
 *   offline (its will, or the   gone: due again after the offline grace, so a blip is not news
 *   connection closed) ──────▶
 *   due time passed unheard ─▶ (the sweep) offline, and an "offline" fault
 *   battery under 20 % ──────▶ a "low_battery" fault; 20 % or more clears a fault that is only that
 *   unreadable message ──────▶ a fault with the reason; only a person clears it
 *
 * The interval and the grace are the device's settings (domain/device-settings.ts: per compound,
 * model, both, or default), resolved by the caller when the message comes.
 *
 * A fault clears by itself only when every reason it holds is gone: a new battery says nothing of
 * a button that also went silent, and an unreadable message needs a person to look.
 */

/** A battery under this share (percent) is a device fault. */
export const LOW_BATTERY_PERCENT = 20;

/** The reasons of a device fault that clear by themselves when the condition is gone. */
export const DEVICE_REASONS = { offline: 'offline', lowBattery: 'low_battery' } as const;
export type DeviceReason = (typeof DEVICE_REASONS)[keyof typeof DEVICE_REASONS];

/** An alert's stored reason lists its reasons joined by this (app/alerting.ts merges them). */
export const REASON_SEPARATOR = '; ';

/** What was learnt of a device, at `now`. */
export type DeviceSignal =
  /** A press that carried its battery level. */
  | { type: 'battery'; percent: number }
  /** A heartbeat: proves the battery and the link, not the person (it is not a check-in). */
  | { type: 'heartbeat'; percent: number; settings: EffectiveDeviceSettings }
  /** The device said it is online (connected). */
  | { type: 'online'; settings: EffectiveDeviceSettings }
  /** The device said it is offline (its will, or the connection closed): a fault after its grace. */
  | { type: 'offline'; graceSec: number }
  /** Its due time passed without a word (the sweep). */
  | { type: 'silent' }
  /** A message that could not be read: still a press, perhaps, so someone must look. */
  | { type: 'unreadable'; reason: string };

/** One step on the household's `device` alert, carried out in order. */
export type DeviceAlertStep =
  /** Open the device alert, or join the open one with this reason. */
  | { type: 'raise'; reason: string }
  /** Clear the open device alert with this note, if every reason it holds is among `onlyReasons`. */
  | { type: 'clear'; note: string; onlyReasons: readonly DeviceReason[] };

export type DeviceHealthDecision = {
  /** Record the device as online (true) or offline (false); null leaves it as it is. */
  online: boolean | null;
  /** When the device must next be heard from, or it counts as offline; null leaves it as it is. */
  heartbeatDueAt: number | null;
  alert: DeviceAlertStep[];
};

/** The due time after being heard from: silent for one interval and the grace, the device is offline. */
export function heartbeatDueAt(now: number, settings: EffectiveDeviceSettings): number {
  return now + (settings.heartbeatSec + settings.graceSec) * 1000;
}

function batteryStep(percent: number): DeviceAlertStep {
  return percent < LOW_BATTERY_PERCENT
    ? { type: 'raise', reason: DEVICE_REASONS.lowBattery }
    : { type: 'clear', note: `battery ${percent} %`, onlyReasons: [DEVICE_REASONS.lowBattery] };
}

function heard(note: string): DeviceAlertStep {
  return { type: 'clear', note, onlyReasons: [DEVICE_REASONS.offline] };
}

export function decideDeviceHealth(signal: DeviceSignal, now: number): DeviceHealthDecision {
  switch (signal.type) {
    case 'battery':
      return { online: null, heartbeatDueAt: null, alert: [batteryStep(signal.percent)] };
    case 'heartbeat':
      return {
        online: null,
        heartbeatDueAt: heartbeatDueAt(now, signal.settings),
        alert: [batteryStep(signal.percent), heard('heartbeat received')],
      };
    case 'online':
      return {
        online: true,
        heartbeatDueAt: heartbeatDueAt(now, signal.settings),
        alert: [heard('device back online')],
      };
    case 'offline':
      // A fault only if it stays gone a while: the sweep finds it when the grace is over.
      return { online: false, heartbeatDueAt: now + signal.graceSec * 1000, alert: [] };
    case 'silent':
      // The sweep has claimed the due time (it is now null); the next word sets a new one.
      return { online: false, heartbeatDueAt: null, alert: [{ type: 'raise', reason: DEVICE_REASONS.offline }] };
    case 'unreadable':
      return {
        online: null,
        heartbeatDueAt: null,
        alert: [{ type: 'raise', reason: `unreadable message: ${signal.reason}` }],
      };
    default:
      return assertNever(signal);
  }
}

/**
 * Whether an open alert whose stored reason is `reason` may be cleared by a step that clears
 * `onlyReasons`: only if every reason it holds is among them (an alert with no reason holds none).
 */
export function mayClear(reason: string | null, onlyReasons: readonly string[]): boolean {
  const reasons = (reason ?? '').split(REASON_SEPARATOR).filter((r) => r !== '');
  return reasons.every((r) => onlyReasons.includes(r));
}
