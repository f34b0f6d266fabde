import { describe, expect, it } from 'vitest';
import { DISTRICT_DAY, planDistrictDay, silentDevices } from '../../../device-sim/district-day.js';

// The demo's day (issue 14, point 7): reds rare, yellows by day, ~1% silent, check-ins earlier
// today sent in the first minute.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// 2026-12-02 00:00 in Asia/Shanghai.
const MIDNIGHT = Date.UTC(2026, 11, 1, 16, 0);
const DEVICES = 2000;

const plan = (startHour: number, hours: number, seed = 42) =>
  planDistrictDay({
    devices: DEVICES,
    seed,
    start: MIDNIGHT + startHour * HOUR,
    localMidnight: MIDNIGHT,
    durationMs: hours * HOUR,
  });

describe('planDistrictDay', () => {
  it('when a whole day is planned from midnight, then most households check in blue, about 1% never press, and reds are a few an hour at most', () => {
    const day = plan(0, 24);
    const presses = day.filter((a) => a.action === 'press');
    const silent = silentDevices(DEVICES, 42);
    expect(silent.size).toBe(20);
    expect(presses.filter((a) => silent.has(a.device))).toEqual([]);
    const blueDevices = new Set(presses.filter((a) => a.state === 'blue').map((a) => a.device));
    expect(blueDevices.size).toBeGreaterThan(DEVICES * 0.9);
    const reds = presses.filter((a) => a.state === 'red');
    expect(reds.length).toBeGreaterThan(20);
    expect(reds.length).toBeLessThan(24 * 8);
    // Never a burst: no two reds within 3 minutes of each other.
    for (let i = 1; i < reds.length; i++)
      expect((reds[i]?.atSimMs ?? 0) - (reds[i - 1]?.atSimMs ?? 0)).toBeGreaterThanOrEqual(DISTRICT_DAY.redMinGapMs);
    // Yellows only between 08:00 and 20:00 (a press due just before 20:00 may land a gap later).
    const yellows = presses.filter((a) => a.state === 'yellow');
    expect(yellows.length).toBeGreaterThan(100);
    for (const y of yellows) expect(y.atSimMs).toBeGreaterThanOrEqual(8 * HOUR);
    // A few devices go offline, each back later.
    const offline = day.filter((a) => a.action === 'offline');
    expect(offline.length).toBeGreaterThan(2);
    expect(offline.length).toBeLessThan(40);
  });

  it('when the demo starts at 15:00, then the morning check-ins already due are sent in the first minute, and no earlier red or yellow is; a red and a yellow come within minutes', () => {
    const afternoon = plan(15, 1);
    const early = afternoon.filter((a) => a.atSimMs < DISTRICT_DAY.catchUpMs);
    const blues = early.filter((a) => a.action === 'press' && a.state === 'blue');
    expect(blues.length).toBeGreaterThan(DEVICES * 0.85);
    expect(early.filter((a) => a.action === 'press' && a.state !== 'blue')).toEqual([]);
    // …and a red and a yellow within its first minutes, whatever the hour (here late at night).
    const night = plan(22.5, 1).filter((a) => a.action === 'press' && a.state !== 'blue');
    expect(night.find((a) => a.state === 'red')?.atSimMs).toBeLessThan(4 * MINUTE);
    expect(night.find((a) => a.state === 'yellow')?.atSimMs).toBeLessThan(4 * MINUTE);
    for (let i = 1; i < afternoon.length; i++)
      expect(afternoon[i]?.atSimMs).toBeGreaterThanOrEqual(afternoon[i - 1]?.atSimMs ?? 0);
  });

  it('when planned twice with the same seed, then the plans are the same', () => {
    expect(plan(9, 2, 7)).toEqual(plan(9, 2, 7));
    expect(plan(9, 2, 7)).not.toEqual(plan(9, 2, 8));
    // Each day its own plan, the same silent households every day.
    const other = planDistrictDay({
      devices: DEVICES,
      seed: 8,
      silentSeed: 42,
      start: MIDNIGHT,
      localMidnight: MIDNIGHT,
      durationMs: 24 * HOUR,
    });
    const pressing = new Set(other.filter((a) => a.action === 'press').map((a) => a.device));
    for (const d of silentDevices(DEVICES, 42)) expect(pressing.has(d)).toBe(false);
  });
});
