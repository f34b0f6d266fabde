import { describe, expect, it } from 'vitest';
import {
  CHAOS,
  countActions,
  DAILY,
  estimatePlanSize,
  GARBAGE_PAYLOADS,
  planDay,
  PROFILES,
  type PlanAction,
  type PlanOptions,
} from '../../../device-sim/profiles.js';

const DAY_SEC = 86_400;
// Local midnight, so the daily profile's morning window is the plan's 07:00–10:00.
const START = new Date(2026, 10, 25, 0, 0, 0, 0).getTime();
const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({
  devices: 10,
  seed: 42,
  speed: 1000,
  durationSimSec: DAY_SEC,
  startSimTime: START,
  ...o,
});

describe('planDay', () => {
  it.each(PROFILES)('when the %s plan is made twice with the same seed, then both are identical', (profile) => {
    expect(planDay(profile, opts())).toEqual(planDay(profile, opts()));
  });

  it.each(PROFILES)('when the %s plan is made with two seeds, then they differ', (profile) => {
    expect(planDay(profile, opts({ seed: 1 }))).not.toEqual(planDay(profile, opts({ seed: 2 })));
  });

  it.each(PROFILES)(
    'when a %s plan is made, then it is sorted, inside the duration and on known devices',
    (profile) => {
      const plan = planDay(profile, opts({ durationSimSec: 3 * DAY_SEC }));
      expect(plan.length).toBeGreaterThan(0);
      for (let i = 1; i < plan.length; i++) expect(plan[i]!.atSimMs).toBeGreaterThanOrEqual(plan[i - 1]!.atSimMs);
      for (const a of plan) {
        expect(a.atSimMs).toBeGreaterThanOrEqual(0);
        expect(a.atSimMs).toBeLessThan(3 * DAY_SEC * 1000);
        expect(a.device).toBeGreaterThanOrEqual(0);
        expect(a.device).toBeLessThan(10);
      }
      expect(plan.length).toBeLessThanOrEqual(estimatePlanSize(profile, { devices: 10, durationSimSec: 3 * DAY_SEC }));
    },
  );

  it('when bad options are given, then it throws', () => {
    expect(() => planDay('daily', opts({ devices: 0 }))).toThrow(RangeError);
    expect(() => planDay('daily', opts({ durationSimSec: 0 }))).toThrow(RangeError);
    expect(() => planDay('daily', opts({ speed: 0 }))).toThrow(RangeError);
  });

  it('when 200 households live 60 days, then the daily proportions are roughly right', () => {
    const days = 60;
    const devices = 200;
    const plan = planDay('daily', opts({ devices, durationSimSec: days * DAY_SEC, seed: 7 }));
    const presses = plan.filter((a) => a.action === 'press');
    const blue = presses.filter((a) => a.state === 'blue');
    const yellow = presses.filter((a) => a.state === 'yellow');
    const red = presses.filter((a) => a.state === 'red');
    const householdDays = devices * days;
    // Blue on ~85 % of mornings, minus the few spent offline.
    expect(blue.length / householdDays).toBeGreaterThan(0.78);
    expect(blue.length / householdDays).toBeLessThan(DAILY.morningBlue + 0.02);
    // Blue presses are in the morning, 07:00–10:00 local time.
    for (const a of blue) {
      const h = new Date(START + a.atSimMs).getHours();
      expect(h).toBeGreaterThanOrEqual(7);
      expect(h).toBeLessThan(10);
    }
    // Yellow: a few a month (3/30 a day).
    expect(yellow.length / householdDays).toBeGreaterThan(0.07);
    expect(yellow.length / householdDays).toBeLessThan(0.13);
    // Red: about one a household-year: 12,000 household-days → ~33.
    expect(red.length).toBeGreaterThan(10);
    expect(red.length).toBeLessThan(70);
    // Heartbeats hourly (a little less for the hours offline), battery draining, never below 0.
    const beats = plan.filter((a) => a.action === 'heartbeat');
    expect(beats.length / (householdDays * 24)).toBeGreaterThan(0.97);
    expect(beats.length / (householdDays * 24)).toBeLessThanOrEqual(1);
    const first = beats.filter((a) => a.device === 0);
    expect(first.at(-1)!.battery!).toBeLessThan(first[0]!.battery!);
    expect(beats.every((a) => a.battery! >= 0 && a.battery! <= 100)).toBe(true);
    // Offline for hours now and then (~3 % of days), each followed by online.
    const counts = countActions(plan);
    expect(counts.offline / householdDays).toBeGreaterThan(0.015);
    expect(counts.offline / householdDays).toBeLessThan(0.045);
    expect(counts.online).toBeGreaterThan(0.9 * counts.offline);
    // Daily is orderly: no chaos.
    expect(counts.garbage + counts.duplicate + counts.reorder + counts.drop + counts.reboot + counts.tear).toBe(0);
  });

  it('when a storm plan is made for 50 devices, then every device drops, comes back and presses within seconds', () => {
    const plan = planDay('storm', opts({ devices: 50, durationSimSec: 600 }));
    const counts = countActions(plan);
    expect(counts.offline).toBe(50);
    expect(counts.online).toBe(50);
    expect(counts.press).toBeGreaterThanOrEqual(50);
    const presses = plan.filter((a) => a.action === 'press');
    const first = Math.min(...presses.map((a) => a.atSimMs));
    const last = Math.max(...presses.map((a) => a.atSimMs));
    expect(last - first).toBeLessThan(12_000);
    for (let d = 0; d < 50; d++) {
      const mine = plan.filter((a) => a.device === d && a.action !== 'heartbeat').map((a) => a.action);
      expect(mine.slice(0, 3)).toEqual(['offline', 'online', 'press']);
    }
  });

  it('when a storm plan is big, then presses are mostly blue with some red', () => {
    const plan = planDay('storm', opts({ devices: 500, durationSimSec: 10 * 3600, seed: 3 }));
    const presses = plan.filter((a) => a.action === 'press');
    const share = (s: string): number => presses.filter((a) => a.state === s).length / presses.length;
    expect(share('blue')).toBeGreaterThan(0.75);
    expect(share('blue')).toBeLessThan(0.85);
    expect(share('red')).toBeGreaterThan(0.09);
    expect(share('red')).toBeLessThan(0.15);
  });

  it('when a chaos plan is big, then every kind of trouble appears in roughly its proportion', () => {
    const devices = 100;
    const plan = planDay('chaos', opts({ devices, durationSimSec: 5 * DAY_SEC, seed: 9 }));
    const counts = countActions(plan);
    const events = devices * 5 * 24 * CHAOS.perHour;
    const total = Object.values(CHAOS.weights).reduce((a, b) => a + b, 0);
    const expectShare = (n: number, weight: number): void => {
      const expected = (events * weight) / total;
      expect(n).toBeGreaterThan(expected * 0.85);
      expect(n).toBeLessThan(expected * 1.15);
    };
    expectShare(counts.duplicate, CHAOS.weights.duplicate);
    expectShare(counts.reorder, CHAOS.weights.reorder);
    expectShare(counts.garbage, CHAOS.weights.garbage);
    expectShare(counts.bare, CHAOS.weights.bare);
    expectShare(counts.reboot, CHAOS.weights.reboot);
    expectShare(counts.tear, CHAOS.weights.tear);
    const skewed = plan.filter((a) => a.action === 'press' && a.skewMs !== undefined);
    expectShare(skewed.length, CHAOS.weights.skew);
    for (const a of skewed) expect(Math.abs(a.skewMs!)).toBeGreaterThanOrEqual(3_600_000);
    // Drops: mid-stream ones plus reconnect storms (all devices at once, a few a day).
    expect(counts.drop).toBeGreaterThan((events * CHAOS.weights.drop) / total);
    expect(plan.filter((a) => a.action === 'garbage').every((a) => GARBAGE_PAYLOADS.includes(a.payload!))).toBe(true);
  });

  it('when a chaos plan is made twice with the same seed, then it tears the same presses at the same cut points', () => {
    const tears = (seed: number): PlanAction[] => planDay('chaos', opts({ seed })).filter((a) => a.action === 'tear');
    const first = tears(42);
    expect(first.length).toBeGreaterThan(5);
    expect(tears(42)).toEqual(first);
    for (const a of first) {
      expect(a.cut).toBeGreaterThanOrEqual(0);
      expect(a.cut).toBeLessThan(1);
      expect(a.state).toMatch(/^(red|yellow|blue)$/);
      expect(a.battery).toBeGreaterThanOrEqual(0);
    }
    // Cut points are drawn, not fixed: a torn packet may lose its header, its topic or its payload.
    expect(new Set(first.map((a) => a.cut)).size).toBe(first.length);
    expect(tears(43)).not.toEqual(first);
  });

  it.each(['daily', 'storm'] as const)('when a %s plan is made, then nothing is torn mid-packet', (profile) => {
    expect(countActions(planDay(profile, opts({ devices: 50 }))).tear).toBe(0);
  });
});
