import { ONLINE_PAYLOADS } from '../../protocol/mqtt.js';
import { isPlainObject, own } from './guards.js';
import { isRibbonState, type RibbonState } from './ribbon.js';

/**
 * Device payloads (docs/protocol.md), parsed without trusting anything in them.
 * A readable state is a press even when its optional fields are bad: those are dropped and
 * named in `warnings` (an unreadable `at` must not cost an elder an emergency).
 */

export type StateReport = {
  state: RibbonState;
  /** Per-device counter; null for the bare-word form (nothing to deduplicate on). */
  seq: number | null;
  /** Changes whenever the device restarts its counter; null when the device does not send it. */
  boot: number | null;
  /** The device's own clock, kept for the record only: never used to order or time anything. */
  deviceAt: string | null;
  battery: number | null;
  warnings: string[];
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const MAX_AT_LENGTH = 64;
/** ISO 8601 date and time, seconds and zone optional (Date.parse alone accepts "Tuesday 5"). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(payload: Uint8Array): Parsed<string> {
  if (payload.length === 0) return { ok: false, reason: 'empty payload' };
  try {
    return { ok: true, value: utf8.decode(payload).trim() };
  } catch {
    return { ok: false, reason: 'payload is not UTF-8 text' };
  }
}

/** JSON object payloads only; prototype keys are read with hasOwn, so `__proto__` is inert. */
function decodeObject(text: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'payload is neither a ribbon word nor JSON' };
  }
  if (!isPlainObject(value)) return { ok: false, reason: 'JSON payload is not an object' };
  return { ok: true, value };
}

function counter(value: unknown): number | null | 'bad' {
  if (value === undefined || value === null) return null;
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 'bad';
}

function batteryPercent(value: unknown): number | null | 'bad' {
  if (value === undefined || value === null) return null;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100 ? Math.round(value) : 'bad';
}

export function parseStatePayload(payload: Uint8Array): Parsed<StateReport> {
  const text = decodeText(payload);
  if (!text.ok) return text;
  if (isRibbonState(text.value)) {
    return {
      ok: true,
      value: { state: text.value, seq: null, boot: null, deviceAt: null, battery: null, warnings: [] },
    };
  }
  const obj = decodeObject(text.value);
  if (!obj.ok) return obj;
  const state = own(obj.value, 'state');
  if (!isRibbonState(state)) {
    return { ok: false, reason: 'state must be "red", "yellow" or "blue"' };
  }
  const warnings: string[] = [];
  const seq = counter(own(obj.value, 'seq'));
  if (seq === 'bad') warnings.push('seq dropped: not a whole number from 0 to 2^53-1');
  const boot = counter(own(obj.value, 'boot'));
  if (boot === 'bad') warnings.push('boot dropped: not a whole number from 0 to 2^53-1');
  const battery = batteryPercent(own(obj.value, 'battery'));
  if (battery === 'bad') warnings.push('battery dropped: not a number from 0 to 100');
  const at = own(obj.value, 'at');
  let deviceAt: string | null = null;
  if (at !== undefined && at !== null) {
    if (typeof at === 'string' && at.length <= MAX_AT_LENGTH && ISO_TIME.test(at) && !Number.isNaN(Date.parse(at))) {
      deviceAt = at;
    } else {
      warnings.push('at dropped: not an ISO 8601 time');
    }
  }
  return {
    ok: true,
    value: {
      state,
      seq: seq === 'bad' ? null : seq,
      // A boot without a usable seq means nothing for deduplication; keep it for the record.
      boot: boot === 'bad' ? null : boot,
      deviceAt,
      battery: battery === 'bad' ? null : battery,
      warnings,
    },
  };
}

/** A device's model or firmware version as it reports them: 1–32 printable ASCII characters. */
export const DEVICE_LABEL = /^[\x21-\x7e](?:[\x20-\x7e]{0,30}[\x21-\x7e])?$/;

function deviceLabel(value: unknown): string | null | 'bad' {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' && DEVICE_LABEL.test(value) ? value : 'bad';
}

export type HeartbeatReport = {
  battery: number;
  /** The device's model and firmware version, when it says them (for the inventory and per-model settings). */
  model: string | null;
  firmware: string | null;
  warnings: string[];
};

export function parseHeartbeatPayload(payload: Uint8Array): Parsed<HeartbeatReport> {
  const text = decodeText(payload);
  if (!text.ok) return text;
  const obj = decodeObject(text.value);
  if (!obj.ok) return obj;
  const battery = batteryPercent(own(obj.value, 'battery'));
  if (battery === null || battery === 'bad') {
    return { ok: false, reason: 'heartbeat needs battery: a number from 0 to 100' };
  }
  // A bad model or firmware does not cost the heartbeat (it proves the battery and the link).
  const warnings: string[] = [];
  const model = deviceLabel(own(obj.value, 'model'));
  if (model === 'bad') warnings.push('model dropped: not 1–32 printable ASCII characters');
  const firmware = deviceLabel(own(obj.value, 'fw'));
  if (firmware === 'bad') warnings.push('fw dropped: not 1–32 printable ASCII characters');
  return {
    ok: true,
    value: { battery, model: model === 'bad' ? null : model, firmware: firmware === 'bad' ? null : firmware, warnings },
  };
}

/** `ribbon/{id}/online`: retained "1" on connect, "0" from the will. */
export function parseOnlinePayload(payload: Uint8Array): Parsed<{ online: boolean }> {
  const text = decodeText(payload);
  if (!text.ok) return text;
  if (text.value === ONLINE_PAYLOADS.online) return { ok: true, value: { online: true } };
  if (text.value === ONLINE_PAYLOADS.offline) return { ok: true, value: { online: false } };
  return { ok: false, reason: 'online must be "1" or "0"' };
}
