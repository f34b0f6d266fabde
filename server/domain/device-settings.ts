/**
 * Device settings, pure (docs/rules.md, "Device settings"): how often a button sends its heartbeat
 * and how long past that the server waits before it counts the button as offline. Set per
 * compound, per device model, per compound and model, and a default; each value is resolved on
 * its own, most specific row first:
 *
 *   compound + model ─▶ compound ─▶ model ─▶ default row ─▶ built-in (3,600 s, 5 min)
 *
 * The place comes before the model: the compound's staff answer its alarms and see their own
 * setting hold for every button of theirs; a model's row is the fleet's default for that model
 * (what its maker advises), and a compound that must differ for one model sets compound + model.
 *
 * A button silent for heartbeat + grace is offline (domain/device-health.ts).
 */
import { DEVICE_LABEL } from './payload.js';

/** Bounds, in seconds (docs/rules.md says why). */
export const DEVICE_SETTING_BOUNDS = {
  heartbeatSec: { min: 60, max: 86_400 },
  graceSec: { min: 60, max: 3_600 },
} as const;

/** With no row at all: an hourly heartbeat, and 5 minutes' grace (the offline grace of before). */
export const BUILT_IN_DEVICE_SETTINGS: EffectiveDeviceSettings = { heartbeatSec: 3_600, graceSec: 300 };

export type EffectiveDeviceSettings = { heartbeatSec: number; graceSec: number };

/** What a row applies to: null compound = every compound, null model = every model. */
export type DeviceSettingsScope = { compoundId: number | null; model: string | null };

/** A stored row: either value may be left to the next row down (null). */
export type DeviceSettingsRow = DeviceSettingsScope & { heartbeatSec: number | null; graceSec: number | null };

/** Where a resolved value came from, for the screens ("from the compound's setting"). */
export type SettingSource = 'compound+model' | 'compound' | 'model' | 'default' | 'built-in';

export type ResolvedDeviceSettings = EffectiveDeviceSettings & {
  from: { heartbeatSec: SettingSource; graceSec: SettingSource };
};

/** The stored key of a scope (one row per scope): `default`, `compound:12`, `model:RB-3`, `compound:12/model:RB-3`. */
export function scopeKey(scope: DeviceSettingsScope): string {
  const parts = [
    ...(scope.compoundId !== null ? [`compound:${scope.compoundId}`] : []),
    ...(scope.model !== null ? [`model:${scope.model}`] : []),
  ];
  return parts.length === 0 ? 'default' : parts.join('/');
}

export function sourceOf(scope: DeviceSettingsScope): Exclude<SettingSource, 'built-in'> {
  if (scope.compoundId !== null) return scope.model !== null ? 'compound+model' : 'compound';
  return scope.model !== null ? 'model' : 'default';
}

/** The keys that may apply to a device, most specific first. */
export function candidateKeys(device: { compoundId: number | null; model: string | null }): string[] {
  const { compoundId, model } = device;
  const scopes: DeviceSettingsScope[] = [
    ...(compoundId !== null && model !== null ? [{ compoundId, model }] : []),
    ...(compoundId !== null ? [{ compoundId, model: null }] : []),
    ...(model !== null ? [{ compoundId: null, model }] : []),
    { compoundId: null, model: null },
  ];
  return scopes.map(scopeKey);
}

/**
 * The settings of a device in compound `compoundId` (null: not placed) reporting model `model`
 * (null: not reported yet), from the rows that may apply (any order; others are ignored).
 */
export function resolveDeviceSettings(
  device: { compoundId: number | null; model: string | null },
  rows: readonly DeviceSettingsRow[],
): ResolvedDeviceSettings {
  const byKey = new Map(rows.map((r) => [scopeKey(r), r]));
  const ordered = candidateKeys(device)
    .map((k) => byKey.get(k))
    .filter((r): r is DeviceSettingsRow => r !== undefined);
  const pick = (field: 'heartbeatSec' | 'graceSec'): [number, SettingSource] => {
    const row = ordered.find((r) => r[field] !== null);
    return row ? [row[field] as number, sourceOf(row)] : [BUILT_IN_DEVICE_SETTINGS[field], 'built-in'];
  };
  const [heartbeatSec, hbFrom] = pick('heartbeatSec');
  const [graceSec, graceFrom] = pick('graceSec');
  return { heartbeatSec, graceSec, from: { heartbeatSec: hbFrom, graceSec: graceFrom } };
}

export type SettingsProblem = { field: 'heartbeatSec' | 'graceSec' | 'model' | 'values'; message: string };

/**
 * A change's values checked against the bounds: the problems, each in Chinese then English
 * (the API answers 400 with them, the CLI prints them). null leaves a value to the next row down.
 */
export function checkDeviceSettings(input: {
  model: string | null;
  heartbeatSec: number | null;
  graceSec: number | null;
}): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const { heartbeatSec: hb, graceSec: g } = DEVICE_SETTING_BOUNDS;
  if (input.model !== null && !DEVICE_LABEL.test(input.model))
    problems.push({
      field: 'model',
      message: '型号须为 1–32 个可打印 ASCII 字符 / model must be 1–32 printable ASCII characters',
    });
  if (input.heartbeatSec === null && input.graceSec === null)
    problems.push({
      field: 'values',
      message: '请至少设置心跳间隔或离线宽限之一 / set the heartbeat interval, the offline grace, or both',
    });
  if (input.heartbeatSec !== null && !within(input.heartbeatSec, hb))
    problems.push({
      field: 'heartbeatSec',
      message: `心跳间隔须为 ${hb.min}–${hb.max} 秒（1 分钟到 24 小时）的整数 / heartbeatSec must be a whole number of seconds from ${hb.min} to ${hb.max}`,
    });
  if (input.graceSec !== null && !within(input.graceSec, g))
    problems.push({
      field: 'graceSec',
      message: `离线宽限须为 ${g.min}–${g.max} 秒（1 到 60 分钟）的整数 / graceSec must be a whole number of seconds from ${g.min} to ${g.max}`,
    });
  return problems;
}

function within(value: number, bounds: { min: number; max: number }): boolean {
  return Number.isInteger(value) && value >= bounds.min && value <= bounds.max;
}
