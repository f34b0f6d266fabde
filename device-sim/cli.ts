// The simulator's command line: `npm run sim -- --credentials devices.json`. Each device sends
// heartbeats with a slowly draining battery and presses at random, one printed line per press.
import { randomInt } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describeBadUrl, loadCredentials, type CredentialsFile } from './credentials.js';
import { DeviceClosedError, type RibbonState, type SimDevice } from './device.js';
import { closeFleet, connectFleet } from './fleet.js';
import { createRandom, deriveSeed, type Random } from './random.js';

export const USAGE = `Usage: npm run sim -- --credentials FILE [options]
       tsx device-sim/cli.ts --credentials FILE [options]

Simulated Ribbon Pact buttons. Each device sends heartbeats with a slowly draining battery and
presses at random (blue ~90 %, yellow ~8 %, red ~2 %); one line is printed per press, with the
time its PUBACK took.

Options:
  --credentials FILE     devices file written by the admin command (required)
  --url URL              broker URL (default: the file's url, else mqtt://127.0.0.1:1883)
  --devices N            use the first N devices of the file (default: all)
  --presses-per-hour X   average presses per device and hour (default 6; 0 for none)
  --heartbeat SEC        seconds between a device's heartbeats (default 60)
  --duration SEC         stop after SEC seconds (default: run until Ctrl-C)
  --seed N               random seed, 0 to 4294967295 (default: random, and printed)
  -h, --help             show this help

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

export type CliIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Aborting it stops the run like Ctrl-C. */
  signal?: AbortSignal | undefined;
};

type CliArgs = {
  credentials: string;
  url: string | undefined;
  devices: number | undefined;
  pressesPerHour: number;
  heartbeatSec: number;
  durationSec: number | undefined;
  seed: number | undefined;
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
  return run({ ...args, url, seed }, credentials, io);
}

export function parseCliArgs(argv: readonly string[]): CliArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
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
      },
    });
  } catch (err) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes and a readable message.
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (v.credentials === undefined || v.credentials === '') {
    throw new UsageError('--credentials FILE is required');
  }
  if (v.url !== undefined) {
    const problem = describeBadUrl(v.url);
    if (problem) throw new UsageError(`--url ${problem}`);
  }
  return {
    credentials: v.credentials,
    url: v.url,
    devices: v.devices === undefined ? undefined : integerArg('--devices', v.devices, 1, Number.MAX_SAFE_INTEGER),
    pressesPerHour:
      v['presses-per-hour'] === undefined
        ? 6
        : numberArg('--presses-per-hour', v['presses-per-hour'], { min: 0, max: MAX_PRESSES_PER_HOUR }),
    heartbeatSec:
      v.heartbeat === undefined ? 60 : numberArg('--heartbeat', v.heartbeat, { min: 0, minExclusive: true, max: MAX_SECONDS }),
    durationSec:
      v.duration === undefined
        ? undefined
        : numberArg('--duration', v.duration, { min: 0, minExclusive: true, max: MAX_SECONDS }),
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
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopping) fn();
    }, Math.min(ms, MAX_TIMER_MS));
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

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      io.signal?.removeEventListener('abort', stop);
      if (durationTimer) clearTimeout(durationTimer);
      resolve();
    };
    const durationTimer =
      args.durationSec === undefined ? undefined : setTimeout(stop, args.durationSec * 1000);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });

  stopping = true;
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
  io.out(`stopping: closing ${devices.length} device(s)`);
  // close() waits for the PUBACKs still in flight, so their lines still print.
  await closeFleet(devices);
  io.out(summarize(stats));
  return 0;
}

function summarize(stats: Stats): string {
  const { red, yellow, blue } = stats.presses;
  const total = red + yellow + blue;
  const sorted = [...stats.pubackMs].sort((a, b) => a - b);
  const pct = (p: number): string =>
    sorted.length === 0 ? '-' : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0).toFixed(1);
  return (
    `presses ${total} (red ${red}, yellow ${yellow}, blue ${blue}), heartbeats ${stats.heartbeats}, ` +
    `puback p50 ${pct(50)} ms p99 ${pct(99)} ms, failed ${stats.failed}, ` +
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
