// The simulator's command line: `npm run sim -- --credentials devices.json`. Each device sends
// heartbeats with a slowly draining battery and presses at random, one printed line per press.
import { randomInt } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describeBadUrl, loadCredentials, type CredentialsFile } from './credentials.js';
import type { RibbonState } from '../protocol/ribbon.js';
import { connectDevice, DeviceClosedError, formatLocalIso, type SimDevice } from './device.js';
import { closeFleet, connectFleet } from './fleet.js';
import { startLightFleet, type LightFleet } from './light.js';
import { createRandom, deriveSeed } from './random.js';
import {
  countActions,
  estimatePlanSize,
  isProfile,
  MAX_PLAN_ACTIONS,
  planDay,
  PLAN_ACTIONS,
  PROFILES,
  type PlanAction,
  type PlanActionKind,
  type Profile,
} from './profiles.js';

export const USAGE = `Usage: npm run sim -- --credentials FILE [options]
       tsx device-sim/cli.ts --credentials FILE [options]

Simulated Ribbon Pact buttons. Each device sends heartbeats with a slowly draining battery and
presses at random (blue ~90 %, yellow ~8 %, red ~2 %); one line is printed per press, with the
time its PUBACK took.

Options:
  --credentials FILE     devices file written by provisioning (required): each
                         \`npm run admin -- add-device --household ID --credentials FILE\`
                         appends one device
  --url URL              broker URL (default: the file's url, else mqtt://127.0.0.1:1883)
  --devices N            use the first N devices of the file (default: all)
  --presses-per-hour X   average presses per device and hour (default 6; 0 for none)
  --heartbeat SEC        seconds between a device's heartbeats (default 60)
  --duration SEC         stop after SEC seconds (default: run until Ctrl-C)
  --seed N               random seed, 0 to 4294967295 (default: random, and printed);
                         the same seed gives the same plan
  --profile NAME         play a day-like plan instead of random presses:
                           daily  a blue press most mornings (sometimes forgotten), yellow a few
                                  times a month, red about once a household-year, hourly
                                  heartbeats with a draining battery, now and then offline for hours
                           storm  a power cut ends every sim hour: every device reconnects and
                                  presses within seconds, mostly blue, some red
                           chaos  drops between packets and mid-packet (the link cut inside a
                                  press's PUBLISH, then resent), duplicates, reordered seqs,
                                  malformed payloads, clock skew, reboots, reconnect storms
                         With a profile, --duration is in simulated seconds (default 86400) and
                         --presses-per-hour/--heartbeat do not apply.
  --speed K              with --profile: simulated time runs K times faster, 1 to 100000
                         (default 1); an action due at sim time t fires at real time t / K
  --engine NAME          mqttjs  the full mqtt.js device (default): reconnects, resends what
                                 was not acknowledged, heartbeats, profiles
                         light   net + mqtt-packet, a socket, a counter and a timer per device,
                                 for thousands of devices from one process: random presses only,
                                 no heartbeats (--heartbeat and --profile are refused), no
                                 reconnect; above 10,000 devices it connects from source addresses
                                 127.0.0.2-127.0.0.9 (a loopback broker only)
  -h, --help             show this help

A profile run ends with a summary: actions by kind, PUBACK p50/p99, failures and, for chaos,
how many presses were cut mid-packet on the wire.

Exit status: 0 when done, 1 when the run failed (e.g. could not connect), 2 for bad arguments.
`;

const DEFAULT_URL = 'mqtt://127.0.0.1:1883';
const STATE_WEIGHTS = { blue: 90, yellow: 8, red: 2 } as const satisfies Record<RibbonState, number>;
/** Node's timers hold at most 2^31 - 1 ms (about 24.8 days); longer delays fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
/** 100 presses a second per device: beyond that a run measures this process, not the server. */
const MAX_PRESSES_PER_HOUR = 360_000;
const CONNECT_CONCURRENCY = 50;
/** With --engine light: above this many devices, connect from several loopback source addresses. */
const LIGHT_SPREAD_ABOVE = 10_000;
const LIGHT_SOURCE_ADDRESSES = [
  '127.0.0.2',
  '127.0.0.3',
  '127.0.0.4',
  '127.0.0.5',
  '127.0.0.6',
  '127.0.0.7',
  '127.0.0.8',
  '127.0.0.9',
];
const LIGHT_CONNECT_CONCURRENCY = 500;
export const ENGINES = ['mqttjs', 'light'] as const;
export type Engine = (typeof ENGINES)[number];
const MAX_SPEED = 100_000;
/** A profile plays at most a year of simulated time. */
const MAX_PROFILE_SECONDS = 366 * 86_400;
const DEFAULT_PROFILE_SECONDS = 86_400;
/** Reconnect delay of profile devices: chaos drops links often, and sim time runs fast. */
const PROFILE_RECONNECT_MS = 100;

export type CliIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Aborting it stops the run like Ctrl-C. */
  signal?: AbortSignal | undefined;
  /** Called once at the end of a --profile run with its full result (for tests and tools). */
  onProfileResult?: ((result: ProfileRunResult) => void) | undefined;
};

/** One press whose PUBACK arrived: the key the server deduplicates on. */
export type AckedPress = { device: string; boot: number | undefined; seq: number; state: RibbonState };

export type ProfileRunResult = {
  profile: Profile;
  seed: number;
  speed: number;
  /** Actions in the plan, by kind. */
  planned: Record<PlanActionKind, number>;
  /** Actions carried out, by kind (an action that threw is counted in failed instead). */
  done: Record<PlanActionKind, number>;
  acked: AckedPress[];
  pubackMs: number[];
  failed: number;
  unacknowledgedAtExit: number;
  /** PUBLISHes the `tear` actions cut mid-packet on the wire (each resent after the reconnect). */
  torn: number;
  /** Whether the whole plan was played (false when stopped early). */
  completed: boolean;
};

type CliArgs = {
  credentials: string;
  url: string | undefined;
  devices: number | undefined;
  pressesPerHour: number;
  heartbeatSec: number;
  durationSec: number | undefined;
  seed: number | undefined;
  profile: Profile | undefined;
  speed: number;
  engine: Engine;
};

class UsageError extends Error {}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the CLI; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let args: CliArgs | 'help';
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`error: ${err.message}`);
    io.err('Run with --help for usage.');
    return 2;
  }
  if (args === 'help') {
    io.out(USAGE.trimEnd());
    return 0;
  }

  let file: CredentialsFile;
  try {
    file = await loadCredentials(args.credentials);
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 2;
  }
  if (args.devices !== undefined && args.devices > file.devices.length) {
    io.err(`error: --devices ${args.devices}, but ${args.credentials} lists only ${file.devices.length}`);
    return 2;
  }
  const url = args.url ?? file.url ?? DEFAULT_URL;
  const credentials = file.devices.slice(0, args.devices ?? file.devices.length);
  const seed = args.seed ?? randomInt(0, 2 ** 32);
  if (args.profile !== undefined) {
    const estimate = estimatePlanSize(args.profile, {
      devices: credentials.length,
      durationSimSec: args.durationSec ?? DEFAULT_PROFILE_SECONDS,
    });
    if (estimate > MAX_PLAN_ACTIONS) {
      io.err(
        `error: about ${estimate} actions planned, more than ${MAX_PLAN_ACTIONS}: use fewer --devices or a shorter --duration`,
      );
      return 2;
    }
  }
  if (args.profile !== undefined) return runProfilePlan({ ...args, url, seed, profile: args.profile }, credentials, io);
  if (args.engine === 'light') return runLight({ ...args, url, seed }, credentials, io);
  return run({ ...args, url, seed }, credentials, io);
}

/** Resolves after `durationSec` (if given) or when `signal` aborts (Ctrl-C), whichever comes first. */
function runUntilStopped(durationSec: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      signal?.removeEventListener('abort', stop);
      if (durationTimer) clearTimeout(durationTimer);
      resolve();
    };
    const durationTimer = durationSec === undefined ? undefined : setTimeout(stop, durationSec * 1000);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

export function parseCliArgs(argv: readonly string[]): CliArgs | 'help' {
  const parsed = (() => {
    try {
      return parseArgs({
        args: [...argv],
        strict: true,
        allowPositionals: false,
        options: {
          help: { type: 'boolean', short: 'h' },
          credentials: { type: 'string' },
          url: { type: 'string' },
          devices: { type: 'string' },
          'presses-per-hour': { type: 'string' },
          heartbeat: { type: 'string' },
          duration: { type: 'string' },
          seed: { type: 'string' },
          profile: { type: 'string' },
          speed: { type: 'string' },
          engine: { type: 'string' },
        },
      });
    } catch (err) {
      // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes and a readable message.
      throw new UsageError((err as Error).message);
    }
  })();
  const v = parsed.values;
  if (v.help) return 'help';
  if (v.credentials === undefined || v.credentials === '') {
    throw new UsageError('--credentials FILE is required');
  }
  if (v.url !== undefined) {
    const problem = describeBadUrl(v.url);
    if (problem) throw new UsageError(`--url ${problem}`);
  }
  const engine = v.engine ?? 'mqttjs';
  if (!(ENGINES as readonly string[]).includes(engine))
    throw new UsageError(`--engine must be one of ${ENGINES.join(', ')}, got "${engine}"`);
  if (engine === 'light') {
    if (v.profile !== undefined) {
      throw new UsageError(
        '--profile needs the full device (--engine mqttjs): profiles go offline, reconnect and send heartbeats, which the light engine does not',
      );
    }
    if (v.heartbeat !== undefined)
      throw new UsageError('--heartbeat is not supported with --engine light (light devices send no heartbeats)');
  }
  let profile: Profile | undefined;
  if (v.profile !== undefined) {
    if (!isProfile(v.profile))
      throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}, got "${v.profile}"`);
    profile = v.profile;
    if (v['presses-per-hour'] !== undefined) throw new UsageError('--presses-per-hour does not apply with --profile');
    if (v.heartbeat !== undefined) throw new UsageError('--heartbeat does not apply with --profile');
  } else if (v.speed !== undefined) {
    throw new UsageError('--speed needs --profile');
  }
  const speed = v.speed === undefined ? 1 : numberArg('--speed', v.speed, { min: 1, max: MAX_SPEED });
  const maxDuration = profile === undefined ? MAX_SECONDS : MAX_PROFILE_SECONDS;
  return {
    profile,
    speed,
    engine: engine as Engine,
    credentials: v.credentials,
    url: v.url,
    devices: v.devices === undefined ? undefined : integerArg('--devices', v.devices, 1, Number.MAX_SAFE_INTEGER),
    pressesPerHour:
      v['presses-per-hour'] === undefined
        ? 6
        : numberArg('--presses-per-hour', v['presses-per-hour'], { min: 0, max: MAX_PRESSES_PER_HOUR }),
    heartbeatSec:
      v.heartbeat === undefined
        ? 60
        : numberArg('--heartbeat', v.heartbeat, { min: 0, minExclusive: true, max: MAX_SECONDS }),
    durationSec:
      v.duration === undefined
        ? undefined
        : numberArg('--duration', v.duration, { min: 0, minExclusive: true, max: maxDuration }),
    seed: v.seed === undefined ? undefined : integerArg('--seed', v.seed, 0, 2 ** 32 - 1),
  };
}

function integerArg(name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function numberArg(name: string, text: string, range: { min: number; max: number; minExclusive?: boolean }): number {
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  const low = range.minExclusive ? value <= range.min : value < range.min;
  if (Number.isNaN(value) || low || value > range.max) {
    const bound = range.minExclusive ? `greater than ${range.min}` : `at least ${range.min}`;
    throw new UsageError(`${name} must be a number ${bound} and at most ${range.max}, got "${text}"`);
  }
  return value;
}

type RunArgs = Omit<CliArgs, 'url' | 'seed'> & { url: string; seed: number };

type Stats = {
  presses: Record<RibbonState, number>;
  heartbeats: number;
  pubackMs: number[];
  failed: number;
  unacknowledgedAtExit: number;
};

async function run(args: RunArgs, credentials: CredentialsFile['devices'], io: CliIo): Promise<number> {
  io.out(
    `connecting ${credentials.length} device(s) to ${args.url} (seed ${args.seed}, ` +
      `${args.pressesPerHour} presses/h, heartbeat ${args.heartbeatSec} s)`,
  );
  const started = performance.now();
  let devices: SimDevice[];
  try {
    devices = await connectFleet(credentials, { url: args.url, concurrency: CONNECT_CONCURRENCY });
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
  io.out(`connected ${devices.length} device(s) in ${Math.round(performance.now() - started)} ms`);

  const stats: Stats = {
    presses: { red: 0, yellow: 0, blue: 0 },
    heartbeats: 0,
    pubackMs: [],
    failed: 0,
    unacknowledgedAtExit: 0,
  };
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  const schedule = (ms: number, fn: () => void): void => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!stopping) fn();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    timers.add(timer);
  };
  const onFailure = (device: SimDevice, what: string, err: unknown): void => {
    if (err instanceof DeviceClosedError) {
      stats.unacknowledgedAtExit += 1;
      return;
    }
    stats.failed += 1;
    io.err(`${new Date().toISOString()} ${device.id} ${what} failed: ${(err as Error).message}`);
  };

  devices.forEach((device, i) => {
    const rng = createRandom(deriveSeed(args.seed, i));
    let battery = 60 + rng.next() * 40;
    const heartbeatMs = args.heartbeatSec * 1000;

    const beat = (): void => {
      // About 0.1 point per heartbeat: visible over an afternoon's demo, never below 0.
      battery = Math.max(0, battery - rng.next() * 0.2);
      device.heartbeat(Math.round(battery)).then(
        () => void (stats.heartbeats += 1),
        (err: unknown) => onFailure(device, 'heartbeat', err),
      );
      schedule(heartbeatMs, beat);
    };
    // Spread the first heartbeats over one interval so the fleet does not beat in step.
    schedule(rng.next() * heartbeatMs, beat);

    if (args.pressesPerHour > 0) {
      const meanGapMs = (3600 * 1000) / args.pressesPerHour;
      const pressAtRandom = (): void => {
        const state = rng.pick(STATE_WEIGHTS);
        const t0 = performance.now();
        device.press(state, { battery: Math.round(battery) }).then(
          ({ seq }) => {
            const ms = performance.now() - t0;
            stats.presses[state] += 1;
            stats.pubackMs.push(ms);
            io.out(`${new Date().toISOString()} ${device.id} ${state.padEnd(6)} seq=${seq} puback=${ms.toFixed(1)}ms`);
          },
          (err: unknown) => onFailure(device, `press ${state}`, err),
        );
        schedule(rng.exponential(meanGapMs), pressAtRandom);
      };
      // Presses form a Poisson process: exponential gaps with the requested mean.
      schedule(rng.exponential(meanGapMs), pressAtRandom);
    }
  });

  await runUntilStopped(args.durationSec, io.signal);

  stopping = true;
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
  io.out(`stopping: closing ${devices.length} device(s)`);
  // close() waits for the PUBACKs still in flight, so their lines still print.
  await closeFleet(devices);
  io.out(summarize(stats));
  return 0;
}

/** Random presses from light devices (device-sim/light.ts): no heartbeats, no reconnect. */
async function runLight(args: RunArgs, credentials: CredentialsFile['devices'], io: CliIo): Promise<number> {
  const url = new URL(args.url);
  if (url.protocol !== 'mqtt:') {
    io.err(`error: --engine light speaks plain TCP only, not ${url.protocol}//`);
    return 2;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 1883 : Number(url.port);
  const spread = credentials.length > LIGHT_SPREAD_ABOVE;
  io.out(
    `connecting ${credentials.length} light device(s) to ${args.url} (seed ${args.seed}, ${args.pressesPerHour} presses/h, no heartbeats` +
      `${spread ? `, from ${LIGHT_SOURCE_ADDRESSES[0]}-${LIGHT_SOURCE_ADDRESSES.at(-1)}` : ''})`,
  );
  let connectErrors = 0;
  let fleet: LightFleet;
  try {
    fleet = await startLightFleet({
      host,
      port,
      devices: credentials,
      localAddresses: spread ? LIGHT_SOURCE_ADDRESSES : undefined,
      connectConcurrency: LIGHT_CONNECT_CONCURRENCY,
      boot: Date.now(),
      onWarning: (m) => io.err(`warning: ${m}`),
      onError: (i, err) => {
        if (connectErrors++ < MAX_ERROR_LINES)
          io.err(`${new Date().toISOString()} ${credentials[i]?.id ?? i}: ${err.message}`);
      },
    });
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
  const report = fleet.report;
  io.out(
    `connected ${report.connected}/${report.attempted} device(s) in ${Math.round(report.durationMs)} ms ` +
      `(${Math.round(report.connectsPerSec)}/s, CONNACK p99 ${report.connectMs.p99.toFixed(1)} ms)`,
  );
  if (report.connected === 0) {
    io.err('error: no device connected');
    await fleet.close(1000);
    return 1;
  }

  const stats: Stats = {
    presses: { red: 0, yellow: 0, blue: 0 },
    heartbeats: 0,
    pubackMs: [],
    failed: 0,
    unacknowledgedAtExit: 0,
  };
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<Promise<void>>();
  let stopping = false;
  const schedule = (ms: number, fn: () => void): void => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!stopping) fn();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    timers.add(timer);
  };
  if (args.pressesPerHour > 0) {
    const meanGapMs = (3600 * 1000) / args.pressesPerHour;
    credentials.forEach((cred, i) => {
      if (!fleet.isConnected(i)) return;
      const rng = createRandom(deriveSeed(args.seed, i));
      const pressAtRandom = (): void => {
        const state = rng.pick(STATE_WEIGHTS);
        const t0 = performance.now();
        if (fleet.isConnected(i)) {
          const p = fleet.press(i, state).then(
            ({ seq }) => {
              const ms = performance.now() - t0;
              stats.presses[state] += 1;
              stats.pubackMs.push(ms);
              io.out(`${new Date().toISOString()} ${cred.id} ${state.padEnd(6)} seq=${seq} puback=${ms.toFixed(1)}ms`);
            },
            (err: unknown) => {
              if (stopping) stats.unacknowledgedAtExit += 1;
              else {
                stats.failed += 1;
                io.err(`${new Date().toISOString()} ${cred.id} press ${state} failed: ${(err as Error).message}`);
              }
            },
          );
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
        }
        schedule(rng.exponential(meanGapMs), pressAtRandom);
      };
      schedule(rng.exponential(meanGapMs), pressAtRandom);
    });
  }

  await runUntilStopped(args.durationSec, io.signal);

  for (const timer of timers) clearTimeout(timer);
  timers.clear();
  io.out(`stopping: closing ${fleet.size} light device(s)`);
  // Let the PUBACKs in flight arrive (bounded), then close; what is still pending then counts as unacknowledged.
  await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, DRAIN_MS))]);
  stopping = true;
  await fleet.close(DRAIN_MS);
  await Promise.all(inflight);
  io.out(summarize(stats));
  return 0;
}

type ProfileArgs = RunArgs & { profile: Profile };

type Slot = {
  cred: CredentialsFile['devices'][number];
  device: SimDevice | undefined;
  /** While offline: the counter to carry on with when the device comes back. */
  parked: { boot: number | undefined; seq: number };
  /** Actions of one device run in plan order (an `online` is awaited before what follows). */
  queue: Promise<void>;
  last: { state: RibbonState; seq: number; boot: number | undefined; at: string } | undefined;
};

const MAX_ERROR_LINES = 20;
/** At the end of a plan, how long to wait for PUBACKs still due before closing. */
const DRAIN_MS = 3000;

async function runProfilePlan(args: ProfileArgs, credentials: CredentialsFile['devices'], io: CliIo): Promise<number> {
  const durationSimSec = args.durationSec ?? DEFAULT_PROFILE_SECONDS;
  // Sim time starts at local midnight today, so the same seed plays the same day.
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const startSimTime = midnight.getTime();
  let plan: PlanAction[];
  try {
    plan = planDay(args.profile, {
      devices: credentials.length,
      seed: args.seed,
      speed: args.speed,
      durationSimSec,
      startSimTime,
    });
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 2;
  }
  const realSec = durationSimSec / args.speed;
  io.out(
    `profile ${args.profile}: ${plan.length} actions for ${credentials.length} device(s) over ${durationSimSec} sim s ` +
      `at speed ${args.speed} (${realSec.toFixed(1)} s real), seed ${args.seed}`,
  );

  // A fresh counter generation per run, so presses of an earlier run are not taken for duplicates.
  // Milliseconds × 1000 leaves room for reboots (boot + 1) without meeting a later run's boot.
  const boot = Date.now() * 1000;
  const started = performance.now();
  let devices: SimDevice[];
  try {
    devices = await connectFleet(credentials, {
      url: args.url,
      boot,
      reconnectPeriodMs: PROFILE_RECONNECT_MS,
      concurrency: CONNECT_CONCURRENCY,
    });
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
  io.out(`connected ${devices.length} device(s) in ${Math.round(performance.now() - started)} ms`);

  const zero = (): Record<PlanActionKind, number> =>
    Object.fromEntries(PLAN_ACTIONS.map((k) => [k, 0])) as Record<PlanActionKind, number>;
  const result: ProfileRunResult = {
    profile: args.profile,
    seed: args.seed,
    speed: args.speed,
    planned: countActions(plan),
    done: zero(),
    acked: [],
    pubackMs: [],
    failed: 0,
    unacknowledgedAtExit: 0,
    torn: 0,
    completed: false,
  };
  let errorLines = 0;
  const fail = (id: string, what: string, err: unknown): void => {
    if (err instanceof DeviceClosedError) {
      result.unacknowledgedAtExit += 1;
      return;
    }
    result.failed += 1;
    if (errorLines++ < MAX_ERROR_LINES) io.err(`${id} ${what} failed: ${(err as Error).message}`);
  };
  const inFlight = new Set<Promise<unknown>>();
  const track = (id: string, what: string, p: Promise<unknown>): void => {
    const settled = p.then(
      () => undefined,
      (err: unknown) => fail(id, what, err),
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  };
  const slots: Slot[] = credentials.map((cred, i) => ({
    cred,
    device: devices[i],
    parked: { boot, seq: 0 },
    queue: Promise.resolve(),
    last: undefined,
  }));
  const simAt = (a: PlanAction): string => formatLocalIso(new Date(startSimTime + a.atSimMs + (a.skewMs ?? 0)));

  const press = (slot: Slot, d: SimDevice, state: RibbonState, at: string, battery?: number, cut?: number): void => {
    const t0 = performance.now();
    const extra = battery === undefined ? { at } : { at, battery };
    const p = cut === undefined ? d.press(state, extra) : d.pressTorn(state, cut, extra);
    // press() takes its seq synchronously: d.seq is this press's.
    slot.last = { state, seq: d.seq, boot: d.boot, at };
    track(
      d.id,
      `${cut === undefined ? 'press' : 'torn press'} ${state}`,
      p.then(({ seq, boot: b }) => {
        result.pubackMs.push(performance.now() - t0);
        result.acked.push({ device: d.id, boot: b, seq, state });
      }),
    );
  };

  const exec = async (slot: Slot, a: PlanAction): Promise<void> => {
    const d = slot.device;
    if (a.action === 'online') {
      if (d) return;
      slot.device = await connectDevice({
        url: args.url,
        id: slot.cred.id,
        secret: slot.cred.secret,
        boot: slot.parked.boot,
        startSeq: slot.parked.seq,
        reconnectPeriodMs: PROFILE_RECONNECT_MS,
      });
      devices.push(slot.device);
      result.done.online += 1;
      return;
    }
    // Anything else on a device that is offline is not sent (its plan should not have any).
    if (!d) return;
    switch (a.action) {
      case 'offline':
        slot.device = undefined;
        slot.parked = { boot: d.boot, seq: d.seq };
        await d.kill();
        break;
      case 'press':
        press(slot, d, a.state ?? 'blue', simAt(a), a.battery);
        break;
      case 'tear':
        // Cut inside the PUBLISH when mqtt.js writes it (at once, or after a drop's reconnect).
        press(slot, d, a.state ?? 'blue', simAt(a), a.battery, a.cut ?? 0.5);
        break;
      case 'heartbeat':
        track(d.id, 'heartbeat', d.heartbeat(a.battery ?? 100));
        break;
      case 'bare':
        track(d.id, 'bare press', d.pressBare(a.state ?? 'blue'));
        break;
      case 'garbage':
        track(d.id, 'garbage', d.publishRaw('state', Buffer.from(a.payload ?? 'garbage', 'latin1')));
        break;
      case 'duplicate': {
        const last = slot.last;
        // Nothing pressed yet in this counter generation: nothing to repeat.
        if (!last || last.boot !== d.boot || last.seq > d.seq) return;
        const body = JSON.stringify({ state: last.state, seq: last.seq, boot: last.boot, at: last.at });
        track(d.id, 'duplicate', d.publishRaw('state', body));
        break;
      }
      case 'reorder': {
        // seq n+2 goes out before n+1; then n+2 again from the device's own counter (a resend).
        const first = a.state ?? 'blue';
        const at = simAt(a);
        const body = JSON.stringify({ state: first, seq: d.seq + 2, boot: d.boot, at });
        track(d.id, 'reordered press', d.publishRaw('state', body));
        press(slot, d, a.secondState ?? 'blue', at);
        press(slot, d, first, at);
        break;
      }
      case 'reboot':
        d.reboot();
        slot.last = undefined;
        break;
      case 'drop':
        if (d.connected) d.dropConnection();
        break;
    }
    result.done[a.action] += 1;
  };

  const dispatch = (a: PlanAction): void => {
    const slot = slots[a.device];
    if (!slot) return;
    slot.queue = slot.queue.then(() => exec(slot, a)).catch((err: unknown) => fail(slot.cred.id, a.action, err));
  };

  const t0 = performance.now();
  const endRealMs = (durationSimSec * 1000) / args.speed;
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let next = 0;
    const stop = (completed: boolean): void => {
      io.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      result.completed = completed;
      resolve();
    };
    const onAbort = (): void => stop(false);
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      const simNow = elapsed * args.speed;
      while (next < plan.length && plan[next]!.atSimMs <= simNow) dispatch(plan[next++]!);
      const due = next < plan.length ? plan[next]!.atSimMs / args.speed : endRealMs;
      if (next >= plan.length && elapsed >= endRealMs) {
        stop(true);
        return;
      }
      timer = setTimeout(tick, Math.min(MAX_TIMER_MS, Math.max(0, due - elapsed)));
    };
    if (io.signal?.aborted) return stop(false);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    tick();
  });

  // Let every device finish its queue (an `online` may still be connecting), then close.
  await Promise.all(slots.map((s) => s.queue));
  // Give presses sent during a drop a moment to be resent and acknowledged (bounded).
  if (result.completed && inFlight.size > 0) {
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...inFlight]),
      new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, DRAIN_MS))),
    ]);
    clearTimeout(drainTimer);
  }
  io.out(`stopping: closing ${slots.filter((s) => s.device).length} device(s)`);
  await closeFleet(slots.flatMap((s) => (s.device ? [s.device] : [])));
  // Devices replaced along the way are already closed; close() on them is a no-op.
  await closeFleet(devices);
  await Promise.all([...inFlight]);
  result.torn = devices.reduce((n, d) => n + d.tornPackets, 0);
  io.out(summarizeProfile(result));
  io.onProfileResult?.(result);
  return 0;
}

function percentile(values: readonly number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return '-';
  return (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0).toFixed(1);
}

function summarizeProfile(r: ProfileRunResult): string {
  const kinds = PLAN_ACTIONS.filter((k) => r.planned[k] > 0);
  const byKind = kinds.map((k) => `${k} ${r.done[k]}/${r.planned[k]}`).join(', ');
  return (
    `${r.profile} ${r.completed ? 'done' : 'stopped early'} (seed ${r.seed}, speed ${r.speed}): ` +
    `actions done/planned: ${byKind || 'none'}; acked presses ${r.acked.length}, ` +
    `puback p50 ${percentile(r.pubackMs, 50)} ms p99 ${percentile(r.pubackMs, 99)} ms, ` +
    `failed ${r.failed}, unacknowledged at exit ${r.unacknowledgedAtExit}` +
    (r.planned.tear > 0 ? `, cut mid-packet ${r.torn}` : '')
  );
}

function summarize(stats: Stats): string {
  const { red, yellow, blue } = stats.presses;
  const total = red + yellow + blue;
  return (
    `presses ${total} (red ${red}, yellow ${yellow}, blue ${blue}), heartbeats ${stats.heartbeats}, ` +
    `puback p50 ${percentile(stats.pubackMs, 50)} ms p99 ${percentile(stats.pubackMs, 99)} ms, failed ${stats.failed}, ` +
    `unacknowledged at exit ${stats.unacknowledgedAtExit}`
  );
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  // once: a second Ctrl-C gets Node's default and ends the process at once.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  main(process.argv.slice(2), { ...defaultIo, signal: controller.signal })
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
        process.exitCode = 1;
      },
    )
    .finally(() => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
}
