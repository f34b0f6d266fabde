// The 'district day' of the demo (npm run demo, issue 14 point 7): a pure, seeded plan in the
// same PlanAction shape as profiles.ts, for a whole district's buttons starting NOW (not at
// midnight): most households check in blue in the morning and some again in the evening, reds
// are rare across the district (a Poisson process, a few an hour by day), yellows a few times
// more often, about 1% of households never press (silent), and a few devices go offline for
// hours. Check-ins that were due earlier today are sent in the first minute, so the wall is blue
// at once instead of at tomorrow's breakfast; the first red and yellow come within minutes.
import type { RibbonState } from '../protocol/ribbon.js';
import type { PlanAction } from './profiles.js';
import { createRandom, deriveSeed, type Random } from './random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DISTRICT_DAY = {
  /** Share of households silent: they never press (missed check-ins, as the rules make them). */
  silentShare: 0.01,
  /** Chance of the morning blue (06:30–09:30) and of a second one in the evening (17:30–20:30). */
  morningBlue: 0.93,
  eveningBlue: 0.45,
  /** District-wide mean gap between two reds, by day (07–22) and by night. */
  redGapDayMs: 12 * MINUTE,
  redGapNightMs: 60 * MINUTE,
  /** Never two reds closer than this across the district (a demo, not a disaster). */
  redMinGapMs: 3 * MINUTE,
  /** District-wide mean gap between two yellows (08–20 only). */
  yellowGapMs: 4 * MINUTE,
  /** Chance a device goes offline for 1–4 hours on a given day. */
  offlinePerDay: 0.006,
  /** Earlier-today check-ins are sent within this long of the start. */
  catchUpMs: MINUTE,
} as const;

export type DistrictDayOptions = {
  devices: number;
  seed: number;
  /** Epoch ms of the start (the plan's sim time 0). */
  start: number;
  /** Epoch ms of the local midnight on or before `start`, in the households' zone. */
  localMidnight: number;
  durationMs: number;
  /** The seed the silent households were chosen with (silentDevices; default `seed`): the same every day. */
  silentSeed?: number;
};

/** The devices (indices) whose households never press: the same for a seed and a fleet size. */
export function silentDevices(devices: number, seed: number): Set<number> {
  const rng = createRandom(deriveSeed(seed, 0x5113));
  const want = Math.max(1, Math.round(devices * DISTRICT_DAY.silentShare));
  const out = new Set<number>();
  while (out.size < Math.min(want, devices)) out.add(rng.int(devices));
  return out;
}

const between = (rng: Random, lo: number, hi: number): number => lo + rng.next() * (hi - lo);

export function planDistrictDay(o: DistrictDayOptions): PlanAction[] {
  if (!Number.isInteger(o.devices) || o.devices < 1) throw new RangeError(`devices must be >= 1, got ${o.devices}`);
  if (!(o.durationMs > 0)) throw new RangeError(`durationMs must be > 0, got ${o.durationMs}`);
  if (!(o.localMidnight <= o.start && o.start - o.localMidnight < DAY))
    throw new RangeError('localMidnight must be the midnight on or before start');
  const silent = silentDevices(o.devices, o.silentSeed ?? o.seed);
  const actions: PlanAction[] = [];
  // Sim time of an epoch time; catch-up: a check-in earlier today goes out in the first minute.
  const push = (a: Omit<PlanAction, 'atSimMs'>, at: number, rng: Random): void => {
    const sim = at - o.start;
    if (sim >= o.durationMs) return;
    if (sim >= 0) actions.push({ ...a, atSimMs: Math.round(sim) });
    else if (at >= o.localMidnight && a.action === 'press' && a.state === 'blue')
      actions.push({ ...a, atSimMs: Math.round(rng.next() * DISTRICT_DAY.catchUpMs) });
  };
  const days = Math.ceil((o.start + o.durationMs - o.localMidnight) / DAY);
  // Offline windows per device, so its presses can avoid them.
  const offline: Array<Array<[number, number]>> = [];
  for (let i = 0; i < o.devices; i++) {
    const rng = createRandom(deriveSeed(o.seed, i));
    const windows: Array<[number, number]> = [];
    for (let d = 0; d < days; d++) {
      if (rng.next() >= DISTRICT_DAY.offlinePerDay) continue;
      const from = Math.max(o.start + MINUTE, o.localMidnight + d * DAY + between(rng, 6, 20) * HOUR);
      windows.push([from, from + between(rng, 1, 4) * HOUR]);
    }
    offline.push(windows);
    const off = (t: number): boolean => windows.some(([a, b]) => t >= a && t < b);
    for (const [a, b] of windows) {
      push({ device: i, action: 'offline' }, a, rng);
      push({ device: i, action: 'online' }, b, rng);
    }
    const battery = Math.round(between(rng, 55, 100));
    for (let t = o.start + rng.next() * HOUR; t < o.start + o.durationMs; t += HOUR)
      if (!off(t)) push({ device: i, action: 'heartbeat', battery }, t, rng);
    if (silent.has(i)) continue;
    for (let d = 0; d < days; d++) {
      const midnight = o.localMidnight + d * DAY;
      const presses: number[] = [];
      if (rng.next() < DISTRICT_DAY.morningBlue) presses.push(midnight + between(rng, 6.5, 9.5) * HOUR);
      if (rng.next() < DISTRICT_DAY.eveningBlue) presses.push(midnight + between(rng, 17.5, 20.5) * HOUR);
      for (const t of presses) if (!off(t)) push({ device: i, action: 'press', state: 'blue', battery }, t, rng);
    }
  }
  // Reds and yellows across the district: one process each, on a household that presses at all.
  const rng = createRandom(deriveSeed(o.seed, 0xa1e7));
  const pressing = [...Array(o.devices).keys()].filter((i) => !silent.has(i));
  const hourOf = (t: number): number => ((((t - o.localMidnight) % DAY) + DAY) % DAY) / HOUR;
  const kinds: Array<[RibbonState, (t: number) => number | null, number]> = [
    [
      'red',
      (t) => (hourOf(t) >= 7 && hourOf(t) < 22 ? DISTRICT_DAY.redGapDayMs : DISTRICT_DAY.redGapNightMs),
      DISTRICT_DAY.redMinGapMs,
    ],
    ['yellow', (t) => (hourOf(t) >= 8 && hourOf(t) < 20 ? DISTRICT_DAY.yellowGapMs : null), 0],
  ];
  // A demo started at any hour (not at midnight: a later day of the same run) shows a red and a
  // yellow answered within its first minutes; then the day's own pace.
  const firstSoon = o.start > o.localMidnight;
  for (const [state, gap, minGap] of kinds) {
    let t = o.start + MINUTE;
    if (firstSoon) {
      t += between(rng, 0.5, 2.5) * MINUTE;
      push({ device: pressing[rng.int(pressing.length)] ?? 0, action: 'press', state }, t, rng);
    }
    while (t < o.start + o.durationMs) {
      const mean = gap(t);
      if (mean === null) {
        t += 10 * MINUTE; // no yellows at night: look again later
        continue;
      }
      t += minGap + rng.exponential(mean - minGap);
      const device = pressing[rng.int(pressing.length)] ?? 0;
      if (offline[device]?.some(([a, b]) => t >= a && t < b)) continue;
      push({ device, action: 'press', state }, t, rng);
    }
  }
  return actions
    .map((a, n) => ({ a, n }))
    .sort((x, y) => x.a.atSimMs - y.a.atSimMs || x.a.device - y.a.device || x.n - y.n)
    .map(({ a }) => a);
}
