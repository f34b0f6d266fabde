// Traffic profiles for the simulator: pure, seeded schedule generators. A plan is a sorted list
// of actions in simulated time; the CLI plays it against real devices at `--speed` k (an action
// due at sim time t fires at real time t / k). Same options and seed → the same plan, always.
import type { RibbonState } from '../protocol/ribbon.js';
import { createRandom, deriveSeed, type Random } from './random.js';

export const PROFILES = ['daily', 'storm', 'chaos'] as const;
export type Profile = (typeof PROFILES)[number];

export const PLAN_ACTIONS = [
  'press',
  'heartbeat',
  'offline',
  'online',
  'bare',
  'garbage',
  'duplicate',
  'reorder',
  'reboot',
  'drop',
  'tear',
] as const;
export type PlanActionKind = (typeof PLAN_ACTIONS)[number];

export type PlanAction = {
  /** Milliseconds of simulated time since the start of the run. */
  atSimMs: number;
  /** Index of the device in the fleet. */
  device: number;
  action: PlanActionKind;
  /** press, tear, bare: the ribbon; reorder: the state of the press sent first (the later seq). */
  state?: RibbonState;
  /** reorder: the state of the press sent second (the earlier seq). */
  secondState?: RibbonState;
  /** press: how far the device's clock is off (chaos clock skew), in ms; absent when 0. */
  skewMs?: number;
  /** press, tear, heartbeat: battery percent. */
  battery?: number;
  /** garbage: the payload sent on the state topic, as latin1 bytes. */
  payload?: string;
  /**
   * tear: where the press's PUBLISH is cut, as a fraction in [0, 1) of its bytes after the first
   * (the device sends 1 + ⌊cut × (size − 1)⌋ bytes, so at least one and never all of them).
   */
  cut?: number;
};

export type PlanOptions = {
  devices: number;
  seed: number;
  /** Sim time runs this many times faster than real time; plans keep gaps meaningful at it. */
  speed: number;
  durationSimSec: number;
  /** Epoch ms of the run's start in simulated time (local time of day comes from it). */
  startSimTime: number;
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Upper bound on a plan's size: beyond it a run measures this process, not the server. */
export const MAX_PLAN_ACTIONS = 5_000_000;

export const GARBAGE_PAYLOADS: readonly string[] = [
  'not json at all',
  '{"state":"purple","seq":1}',
  '[1,2,3]',
  '{"seq":5,"boot":1}',
  '{"state":',
  '\xff\xfe\xfd',
  'null',
];

export function isProfile(text: string): text is Profile {
  return (PROFILES as readonly string[]).includes(text);
}

/** Rough size of a plan before building it (for argument checks). */
export function estimatePlanSize(profile: Profile, opts: Pick<PlanOptions, 'devices' | 'durationSimSec'>): number {
  const hours = opts.durationSimSec / 3600;
  const perDeviceHour = profile === 'daily' ? 1.3 : 4.5;
  return Math.ceil(opts.devices * (hours * perDeviceHour + 4));
}

export function planDay(profile: Profile, opts: PlanOptions): PlanAction[] {
  validate(opts);
  const durationMs = opts.durationSimSec * 1000;
  const actions: PlanAction[] = [];
  const push = (a: PlanAction): void => {
    if (a.atSimMs >= 0 && a.atSimMs < durationMs) actions.push({ ...a, atSimMs: Math.round(a.atSimMs) });
  };
  for (let i = 0; i < opts.devices; i++) {
    const rng = createRandom(deriveSeed(opts.seed, i));
    if (profile === 'daily') planDaily(rng, i, opts, durationMs, push);
    else if (profile === 'storm') planStorm(rng, i, opts, durationMs, push);
    else planChaos(rng, i, opts, durationMs, push);
  }
  if (profile === 'chaos') planReconnectStorms(opts, durationMs, push);
  if (actions.length > MAX_PLAN_ACTIONS) {
    throw new RangeError(
      `planDay: ${actions.length} actions exceed ${MAX_PLAN_ACTIONS}: fewer devices or a shorter duration`,
    );
  }
  // Stable order: time, then device, then the order in which they were generated.
  return actions
    .map((a, n) => ({ a, n }))
    .sort((x, y) => x.a.atSimMs - y.a.atSimMs || x.a.device - y.a.device || x.n - y.n)
    .map(({ a }) => a);
}

function validate(o: PlanOptions): void {
  if (!Number.isInteger(o.devices) || o.devices < 1)
    throw new RangeError(`planDay: devices must be a positive integer, got ${o.devices}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 2 ** 32 - 1)
    throw new RangeError(`planDay: bad seed ${o.seed}`);
  if (!(o.speed > 0)) throw new RangeError(`planDay: speed must be > 0, got ${o.speed}`);
  if (!(o.durationSimSec > 0)) throw new RangeError(`planDay: durationSimSec must be > 0, got ${o.durationSimSec}`);
  if (!Number.isFinite(o.startSimTime)) throw new RangeError(`planDay: bad startSimTime ${o.startSimTime}`);
}

type Push = (a: PlanAction) => void;

/** Local midnight (of the sim clock's zone) on or before t. */
function localMidnight(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function between(rng: Random, lo: number, hi: number): number {
  return lo + rng.next() * (hi - lo);
}

const round1 = (n: number): number => Math.round(n);

/** Heartbeats every hour (random phase) with a battery draining 0.02–0.06 points an hour. */
function heartbeats(
  rng: Random,
  device: number,
  durationMs: number,
  push: Push,
  isOffline: (t: number) => boolean,
): (t: number) => number {
  const start = between(rng, 60, 100);
  const drainPerHour = between(rng, 0.02, 0.06);
  const battery = (t: number): number => Math.max(0, round1(start - (drainPerHour * t) / HOUR));
  for (let t = rng.next() * HOUR; t < durationMs; t += HOUR) {
    if (!isOffline(t)) push({ atSimMs: t, device, action: 'heartbeat', battery: battery(t) });
  }
  return battery;
}

export const DAILY = {
  /** Share of days with the morning blue press (the rest: forgotten). */
  morningBlue: 0.85,
  /** Yellow presses per day (a few a month). */
  yellowPerDay: 3 / 30,
  /** Red presses per day (about one a household-year). */
  redPerDay: 1 / 365,
  /** Chance a device goes offline for hours on a given day. */
  offlinePerDay: 0.03,
} as const;

function planDaily(rng: Random, device: number, o: PlanOptions, durationMs: number, push: Push): void {
  const firstMidnight = localMidnight(o.startSimTime) - o.startSimTime; // <= 0, sim ms
  // Offline windows first, so the day's other actions can avoid them.
  const windows: Array<[number, number]> = [];
  for (let day = firstMidnight; day < durationMs; day += DAY) {
    if (rng.next() < DAILY.offlinePerDay) {
      const from = day + rng.next() * DAY;
      windows.push([from, from + between(rng, 2, 8) * HOUR]);
    }
  }
  const isOffline = (t: number): boolean => windows.some(([a, b]) => t >= a && t < b);
  const battery = heartbeats(rng, device, durationMs, push, isOffline);
  for (const [a, b] of windows) {
    push({ atSimMs: a, device, action: 'offline' });
    if (a >= 0) push({ atSimMs: b, device, action: 'online' });
  }
  for (let day = firstMidnight; day < durationMs; day += DAY) {
    const presses: Array<[number, RibbonState]> = [];
    if (rng.next() < DAILY.morningBlue) presses.push([day + between(rng, 7, 10) * HOUR, 'blue']);
    if (rng.next() < DAILY.yellowPerDay) presses.push([day + between(rng, 8, 21) * HOUR, 'yellow']);
    if (rng.next() < DAILY.redPerDay) presses.push([day + rng.next() * DAY, 'red']);
    for (const [t, state] of presses) {
      if (!isOffline(t)) push({ atSimMs: t, device, action: 'press', state, battery: battery(t) });
    }
  }
}

export const STORM = {
  /** A power cut every this many sim ms; the first ends STORM.firstEndMs into the run. */
  everyMs: HOUR,
  firstEndMs: 30_000,
  /** Length of the cut. */
  cutMs: 20_000,
  /** Devices come back within this window after the cut ends, and press within pressWithinMs. */
  reconnectWithinMs: 3000,
  pressWithinMs: 5000,
  states: { blue: 80, yellow: 8, red: 12 },
  /** Chance a device presses a second time (a worried second press). */
  secondPress: 0.15,
} as const;

function planStorm(rng: Random, device: number, _o: PlanOptions, durationMs: number, push: Push): void {
  const cuts: Array<[number, number]> = [];
  for (let end = Math.min(STORM.firstEndMs, durationMs / 2); end < durationMs; end += STORM.everyMs) {
    cuts.push([Math.max(0, end - STORM.cutMs), end]);
  }
  const isOffline = (t: number): boolean => cuts.some(([a, b]) => t >= a && t < b + STORM.reconnectWithinMs + 1000);
  const battery = heartbeats(rng, device, durationMs, push, isOffline);
  for (const [from, end] of cuts) {
    // The cut: every device drops at once (no DISCONNECT), then all come back and press.
    push({ atSimMs: from + rng.next() * 200, device, action: 'offline' });
    const back = end + rng.next() * STORM.reconnectWithinMs;
    push({ atSimMs: back, device, action: 'online' });
    const pressAt = back + rng.next() * STORM.pressWithinMs;
    push({ atSimMs: pressAt, device, action: 'press', state: rng.pick(STORM.states), battery: battery(pressAt) });
    if (rng.next() < STORM.secondPress) {
      const again = pressAt + between(rng, 200, 3000);
      push({ atSimMs: again, device, action: 'press', state: rng.pick(STORM.states), battery: battery(again) });
    }
  }
}

export const CHAOS = {
  /** Mean events per device and sim hour (besides heartbeats). */
  perHour: 2.5,
  weights: { press: 40, duplicate: 12, reorder: 8, garbage: 8, skew: 8, drop: 8, bare: 4, reboot: 3, tear: 6 },
  states: { blue: 85, yellow: 10, red: 5 },
  /** Reconnect storms (all devices drop within a second) per sim day. */
  reconnectStormsPerDay: 3,
} as const;

function planChaos(rng: Random, device: number, _o: PlanOptions, durationMs: number, push: Push): void {
  const battery = heartbeats(rng, device, durationMs, push, () => false);
  const meanGap = HOUR / CHAOS.perHour;
  for (let t = rng.exponential(meanGap); t < durationMs; t += rng.exponential(meanGap)) {
    const kind = rng.pick(CHAOS.weights);
    const state = rng.pick(CHAOS.states);
    switch (kind) {
      case 'press':
        push({ atSimMs: t, device, action: 'press', state, battery: battery(t) });
        break;
      case 'skew': {
        // A device clock hours off, either way.
        const hours = between(rng, 1, 12) * (rng.next() < 0.5 ? -1 : 1);
        push({ atSimMs: t, device, action: 'press', state, battery: battery(t), skewMs: Math.round(hours * HOUR) });
        break;
      }
      case 'drop':
        // Mid-stream: the link goes, and presses follow while it is down.
        push({ atSimMs: t, device, action: 'drop' });
        push({ atSimMs: t + 1, device, action: 'press', state, battery: battery(t) });
        break;
      case 'tear':
        // Mid-packet: the link goes inside a press's PUBLISH; the device resends it after reconnecting.
        push({ atSimMs: t, device, action: 'tear', state, battery: battery(t), cut: rng.next() });
        break;
      case 'reorder':
        push({ atSimMs: t, device, action: 'reorder', state, secondState: rng.pick(CHAOS.states) });
        break;
      case 'garbage':
        push({ atSimMs: t, device, action: 'garbage', payload: GARBAGE_PAYLOADS[rng.int(GARBAGE_PAYLOADS.length)]! });
        break;
      case 'bare':
        push({ atSimMs: t, device, action: 'bare', state });
        break;
      case 'duplicate':
      case 'reboot':
        push({ atSimMs: t, device, action: kind });
        break;
      default: {
        const unknown: never = kind;
        throw new Error(`planChaos: no plan for ${String(unknown)}`);
      }
    }
  }
}

function planReconnectStorms(o: PlanOptions, durationMs: number, push: Push): void {
  const rng = createRandom(deriveSeed(o.seed, 0xffff_ffff));
  const meanGap = DAY / CHAOS.reconnectStormsPerDay;
  for (let t = rng.exponential(meanGap); t < durationMs; t += rng.exponential(meanGap)) {
    for (let device = 0; device < o.devices; device++) {
      push({ atSimMs: t + rng.next() * 1000, device, action: 'drop' });
    }
  }
}

/** Counts of a plan's actions by kind (every kind present, zeros included). */
export function countActions(plan: readonly PlanAction[]): Record<PlanActionKind, number> {
  const counts = Object.fromEntries(PLAN_ACTIONS.map((k) => [k, 0])) as Record<PlanActionKind, number>;
  for (const a of plan) counts[a.action] += 1;
  return counts;
}
