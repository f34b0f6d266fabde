import { describe, expect, it } from 'vitest';
import {
  DEVICE_REASONS,
  type DeviceHealthDecision,
  type DeviceSignal,
  decideDeviceHealth,
  heartbeatDueAt,
  LOW_BATTERY_PERCENT,
  mayClear,
} from '../../../../server/domain/device-health.js';
import { BUILT_IN_DEVICE_SETTINGS } from '../../../../server/domain/device-settings.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

/** Wednesday 2026-11-25 10:00 in Shanghai: the fake now. */
const T0 = Date.parse('2026-11-25T10:00:00+08:00');

const LOW = { type: 'raise', reason: 'low_battery' } as const;
const OFFLINE = { type: 'raise', reason: 'offline' } as const;
const batteryFine = (percent: number) =>
  ({ type: 'clear', note: `battery ${percent} %`, onlyReasons: ['low_battery'] }) as const;
const heard = (note: string) => ({ type: 'clear', note, onlyReasons: ['offline'] }) as const;

describe('the named defaults', () => {
  it('when the defaults are read, then they are the documented ones (20 %, an hourly heartbeat, 5 min grace)', () => {
    expect([LOW_BATTERY_PERCENT, BUILT_IN_DEVICE_SETTINGS]).toEqual([20, { heartbeatSec: 3600, graceSec: 300 }]);
    expect(DEVICE_REASONS).toEqual({ offline: 'offline', lowBattery: 'low_battery' });
  });
});

describe('battery', () => {
  it.each<[number, DeviceHealthDecision['alert']]>([
    [0, [LOW]],
    [1, [LOW]],
    [18, [LOW]],
    [19, [LOW]],
    [20, [batteryFine(20)]],
    [21, [batteryFine(21)]],
    [100, [batteryFine(100)]],
  ])('when a press carries a battery of %i percent, then the device alert steps are %j', (percent, alert) => {
    expect(decideDeviceHealth({ type: 'battery', percent }, T0)).toEqual({ online: null, heartbeatDueAt: null, alert });
  });
});

describe('being heard from', () => {
  it.each<[string, DeviceSignal, DeviceHealthDecision]>([
    [
      'a heartbeat at 19 % every hour, 5 min grace',
      { type: 'heartbeat', percent: 19, settings: { heartbeatSec: 3600, graceSec: 300 } },
      { online: null, heartbeatDueAt: T0 + HOUR + 5 * MIN, alert: [LOW, heard('heartbeat received')] },
    ],
    [
      'a heartbeat at 20 % every hour, 5 min grace',
      { type: 'heartbeat', percent: 20, settings: { heartbeatSec: 3600, graceSec: 300 } },
      { online: null, heartbeatDueAt: T0 + HOUR + 5 * MIN, alert: [batteryFine(20), heard('heartbeat received')] },
    ],
    [
      'a heartbeat at 80 % every 2 min, 1 min grace',
      { type: 'heartbeat', percent: 80, settings: { heartbeatSec: 120, graceSec: 60 } },
      { online: null, heartbeatDueAt: T0 + 180 * SEC, alert: [batteryFine(80), heard('heartbeat received')] },
    ],
    [
      'online, heartbeat every hour, 5 min grace',
      { type: 'online', settings: { heartbeatSec: 3600, graceSec: 300 } },
      { online: true, heartbeatDueAt: T0 + HOUR + 5 * MIN, alert: [heard('device back online')] },
    ],
    [
      'online, heartbeat every minute, 1 hour grace',
      { type: 'online', settings: { heartbeatSec: 60, graceSec: 3600 } },
      { online: true, heartbeatDueAt: T0 + MIN + HOUR, alert: [heard('device back online')] },
    ],
  ])('when the device sends %s, then the decision is as expected', (_what, signal, decision) => {
    expect(decideDeviceHealth(signal, T0)).toEqual(decision);
  });

  it.each<[number, number, number, number]>([
    [60, 60, 0, 2 * MIN],
    [120, 60, 0, 3 * MIN],
    [3600, 300, 0, HOUR + 5 * MIN],
    [3600, 300, 1, 1 + HOUR + 5 * MIN],
    [86_400, 3600, 0, 25 * HOUR],
  ])(
    'when a device beating every %i s with %i s grace is heard at T0 + %i ms, then it is due at T0 + %i ms',
    (heartbeatSec, graceSec, at, due) => {
      expect(heartbeatDueAt(T0 + at, { heartbeatSec, graceSec })).toBe(T0 + due);
    },
  );
});

describe('going and staying away', () => {
  it.each<[number]>([[0], [1], [59 * MIN]])(
    'when the device says it is offline at T0 + %i ms, then it is marked offline and due after exactly its grace (5 min), with no fault yet',
    (offset) => {
      expect(decideDeviceHealth({ type: 'offline', graceSec: 300 }, T0 + offset)).toEqual({
        online: false,
        heartbeatDueAt: T0 + offset + 5 * MIN,
        alert: [],
      });
    },
  );

  it.each<[number]>([[0], [5 * MIN], [3 * HOUR]])(
    'when its due time has passed unheard at T0 + %i ms (the sweep), then it is offline with an "offline" fault and no new due time',
    (offset) => {
      expect(decideDeviceHealth({ type: 'silent' }, T0 + offset)).toEqual({
        online: false,
        heartbeatDueAt: null,
        alert: [OFFLINE],
      });
    },
  );

  it.each<[string]>([['not JSON'], ['heartbeat needs battery: a number from 0 to 100']])(
    'when a message cannot be read (%s), then a fault is raised that names it and nothing else changes',
    (reason) => {
      expect(decideDeviceHealth({ type: 'unreadable', reason }, T0)).toEqual({
        online: null,
        heartbeatDueAt: null,
        alert: [{ type: 'raise', reason: `unreadable message: ${reason}` }],
      });
    },
  );
});

describe('which reasons clear a device alert', () => {
  it.each<[string | null, readonly string[], boolean]>([
    ['offline', ['offline'], true],
    ['low_battery', ['low_battery'], true],
    ['offline', ['low_battery'], false],
    ['low_battery', ['offline'], false],
    ['offline; low_battery', ['offline'], false],
    ['low_battery; offline', ['low_battery'], false],
    ['offline; low_battery', ['offline', 'low_battery'], true],
    ['unreadable message: not JSON', ['offline'], false],
    ['offline; unreadable message: not JSON', ['offline'], false],
    [null, ['offline'], true],
    ['', ['low_battery'], true],
  ])('when the alert holds %j and the step clears %j, then it may clear: %s', (reason, only, expected) => {
    expect(mayClear(reason, only)).toBe(expected);
  });
});
