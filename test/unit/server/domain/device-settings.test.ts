import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_DEVICE_SETTINGS,
  candidateKeys,
  checkDeviceSettings,
  type DeviceSettingsRow,
  resolveDeviceSettings,
  scopeKey,
} from '../../../../server/domain/device-settings.js';

const row = (
  compoundId: number | null,
  model: string | null,
  heartbeatSec: number | null,
  graceSec: number | null,
): DeviceSettingsRow => ({ compoundId, model, heartbeatSec, graceSec });

// Every kind of row at once: compound 7 + RB-3, compound 7, model RB-3, default.
const ALL = [row(7, 'RB-3', 600, null), row(7, null, 120, 60), row(null, 'RB-3', 900, 120), row(null, null, 1800, 600)];

describe('resolveDeviceSettings', () => {
  it.each<[string, { compoundId: number | null; model: string | null }, DeviceSettingsRow[], unknown]>([
    [
      'no rows at all',
      { compoundId: 7, model: 'RB-3' },
      [],
      { heartbeatSec: 3600, graceSec: 300, from: { heartbeatSec: 'built-in', graceSec: 'built-in' } },
    ],
    [
      'compound + model beats all; its missing grace comes from the compound',
      { compoundId: 7, model: 'RB-3' },
      ALL,
      { heartbeatSec: 600, graceSec: 60, from: { heartbeatSec: 'compound+model', graceSec: 'compound' } },
    ],
    [
      'another model in the compound: the compound, not the model row',
      { compoundId: 7, model: 'RB-9' },
      ALL,
      { heartbeatSec: 120, graceSec: 60, from: { heartbeatSec: 'compound', graceSec: 'compound' } },
    ],
    [
      'the model in another compound: the model row',
      { compoundId: 8, model: 'RB-3' },
      ALL,
      { heartbeatSec: 900, graceSec: 120, from: { heartbeatSec: 'model', graceSec: 'model' } },
    ],
    [
      'a device that has not said its model, elsewhere: the default row',
      { compoundId: 8, model: null },
      ALL,
      { heartbeatSec: 1800, graceSec: 600, from: { heartbeatSec: 'default', graceSec: 'default' } },
    ],
    [
      'a compound that sets only the grace: the heartbeat from the model',
      { compoundId: 7, model: 'RB-3' },
      [row(7, null, null, 180), row(null, 'RB-3', 900, null)],
      { heartbeatSec: 900, graceSec: 180, from: { heartbeatSec: 'model', graceSec: 'compound' } },
    ],
    [
      "another compound's rows are ignored",
      { compoundId: 8, model: 'RB-9' },
      [row(7, null, 120, 60), row(7, 'RB-9', 600, 60)],
      { heartbeatSec: 3600, graceSec: 300, from: { heartbeatSec: 'built-in', graceSec: 'built-in' } },
    ],
  ])('when %s, then the settings are as expected', (_what, device, rows, expected) => {
    expect(resolveDeviceSettings(device, rows)).toEqual(expected);
    // The order the rows come in does not matter.
    expect(resolveDeviceSettings(device, [...rows].reverse())).toEqual(expected);
  });

  it('when the built-in values are read, then they are an hourly heartbeat and 5 minutes of grace', () => {
    expect(BUILT_IN_DEVICE_SETTINGS).toEqual({ heartbeatSec: 3600, graceSec: 300 });
  });

  it('when a device is placed and reports a model, then its keys are the four scopes, most specific first', () => {
    expect(candidateKeys({ compoundId: 7, model: 'RB-3' })).toEqual([
      'compound:7/model:RB-3',
      'compound:7',
      'model:RB-3',
      'default',
    ]);
    expect(candidateKeys({ compoundId: 7, model: null })).toEqual(['compound:7', 'default']);
    expect(scopeKey({ compoundId: null, model: null })).toBe('default');
  });
});

describe('checkDeviceSettings', () => {
  it.each<[string, { model: string | null; heartbeatSec: number | null; graceSec: number | null }, string[]]>([
    ['the lowest values', { model: null, heartbeatSec: 60, graceSec: 60 }, []],
    ['the highest values', { model: 'RB-3', heartbeatSec: 86_400, graceSec: 3600 }, []],
    ['only a grace', { model: null, heartbeatSec: null, graceSec: 120 }, []],
    ['a heartbeat of 59 s', { model: null, heartbeatSec: 59, graceSec: null }, ['heartbeatSec']],
    ['a heartbeat over a day', { model: null, heartbeatSec: 86_401, graceSec: null }, ['heartbeatSec']],
    ['a heartbeat of 90.5 s', { model: null, heartbeatSec: 90.5, graceSec: null }, ['heartbeatSec']],
    ['a grace of 59 s', { model: null, heartbeatSec: null, graceSec: 59 }, ['graceSec']],
    ['a grace over an hour', { model: null, heartbeatSec: 600, graceSec: 3601 }, ['graceSec']],
    ['neither value', { model: null, heartbeatSec: null, graceSec: null }, ['values']],
    ['a model with a newline', { model: 'RB\n3', heartbeatSec: 600, graceSec: null }, ['model']],
  ])('when the change has %s, then the problems are %j', (_what, input, fields) => {
    const problems = checkDeviceSettings(input);
    expect(problems.map((p) => p.field)).toEqual(fields);
    // Chinese first, then English.
    for (const p of problems) expect(p.message).toMatch(/^[^\x00-\x7f].* \/ [a-z]/);
  });
});
