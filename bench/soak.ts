// Soak benchmark (issue 17, point 4: "a long day"): the server as `npm start` runs it (a child
// process, its real clock), and 2,000 full mqtt.js devices (device-sim) playing the daily profile
// (device-sim/profiles.ts: a morning blue most days, a yellow a few times a month, a red about
// once a household-year, hourly heartbeats, now and then hours offline) at 60× speed for an hour:
// one simulated day every 24 minutes. The server has no clock of its own to speed up, so only the
// devices' day is compressed: their heartbeats come every minute instead of every hour, their
// presses 60 times as often; the server's sweeps, check-ins and escalations run in real time.
// Every --sample-sec seconds: the server's RSS, heap and event-loop delay p99 by lane, its ingest
// queue and outbox, its open descriptors and connected devices; at the end, every PUBACKed press
// looked up on disk (0 lost, 0 twice), and each series' first tenth against its last ("flat"
// within the tolerance of bench/lib/soak-series.ts FLAT).
// `npm run bench:soak [-- --minutes 60 --devices 2000 --speed 60 --sample-sec 10 --start-hour 6 --out FILE
// --no-results]`; the devices' day starts at --start-hour (local), so presses come within minutes.
// Not part of `npm run bench` (it runs an hour). Writes a JSON result (--out, default
// <tmpdir>/ribbon-soak-<time>.json) and, unless --no-results, a section of bench/RESULTS.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { ProfileRunResult } from '../device-sim/cli-report.js';
import { runProfilePlan } from '../device-sim/cli-run-profile.js';
import { DB_FILE_NAME } from '../server/store/db.js';
import { type ChildServer, freePort, startChildServer } from '../test/helpers/child-server-core.js';
import { NO_CONNECT_LIMIT, provision } from './ingest.js';
import { appendResults, formatCell, renderTable } from './lib/results.js';
import { FLAT, type SoakSample, sampleOf, SERIES, shown, type Trend, trends } from './lib/soak-series.js';
import { summarize, type Summary } from './lib/stats.js';

export type SoakOptions = {
  minutes: number;
  devices: number;
  /** Simulated time runs this many times faster than real time on the devices. */
  speed: number;
  sampleSec: number;
  seed: number;
  /** Local hour of the simulated day the devices start at (the daily profile's presses come 07–10 and 08–21). */
  startHour: number;
  log?: (line: string) => void;
};

export type SoakResult = {
  options: Omit<SoakOptions, 'log'>;
  startedAt: string;
  realSec: number;
  simulatedHours: number;
  samples: SoakSample[];
  trends: Trend[];
  /** No series grew beyond its tolerance (one that fell, as the loop delay after the connect burst, is no leak). */
  noneGrew: boolean;
  presses: { acked: number; stored: number; lost: number; twice: number; pubackMs: Summary };
  actions: { planned: Record<string, number>; done: Record<string, number>; failed: number; unacknowledged: number };
  server: { exit: { code: number | null; signal: string | null }; errors: number };
};

const DEFAULTS = { minutes: 60, devices: 2000, speed: 60, sampleSec: 10, seed: 17, startHour: 6 } as const;

/** Open descriptors of a process (Linux); NaN where /proc is not readable. */
function openFds(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** Samples the server every `everyMs` until stopped; one scrape at a time. */
function startSampler(server: ChildServer, everyMs: number, log: (line: string) => void) {
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const take = async () => {
    try {
      const res = await fetch(`${server.httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      const s = sampleOf(text, openFds(server.pid), (performance.now() - t0) / 1000);
      samples.push(s);
      if (samples.length % 6 === 1) {
        log(
          `  ${Math.round(s.atSec)} s: rss ${formatCell(s.rssBytes / 2 ** 20)} MiB, heap core/people ` +
            `${formatCell(s.heapCoreBytes / 2 ** 20)}/${formatCell(s.heapPeopleBytes / 2 ** 20)} MiB, loop p99 ` +
            `${formatCell(s.loopP99CoreMs)}/${formatCell(s.loopP99PeopleMs)} ms, waiting ${s.ingestWaiting}, ` +
            `outbox ${s.outboxPending}, fds ${s.fds}, connected ${s.connectedDevices}`,
        );
      }
    } catch (err) {
      log(`  sample failed: ${(err as Error).message}`);
    }
  };
  const tick = () => {
    if (stopped) return;
    running = take().finally(() => {
      if (!stopped) timer = setTimeout(tick, everyMs);
    });
  };
  tick();
  return {
    samples,
    async stop(): Promise<SoakSample[]> {
      stopped = true;
      clearTimeout(timer);
      await running;
      return samples;
    },
  };
}

/** Each PUBACKed press looked up by the key the server deduplicates on: lost ones and doubles. */
function checkStored(dataDir: string, profile: ProfileRunResult): { stored: number; lost: number; twice: number } {
  const db = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true });
  try {
    const count = db.prepare<[string, number | null, number], { n: number }>(
      'SELECT count(*) AS n FROM events WHERE device_id = ? AND boot IS ? AND seq = ?',
    );
    let lost = 0;
    let twice = 0;
    for (const p of profile.acked) {
      const { n } = count.get(p.device, p.boot ?? null, p.seq) ?? { n: 0 };
      if (n === 0) lost += 1;
      if (n > 1) twice += 1;
    }
    const stored = (db.prepare("SELECT count(*) AS n FROM events WHERE source = 'device'").get() as { n: number }).n;
    return { stored, lost, twice };
  } finally {
    db.close();
  }
}

export async function benchSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { minutes, devices, speed, sampleSec, seed, startHour } = opts;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-soak-'));
  const startedAt = new Date().toISOString();
  let server: ChildServer | null = null;
  try {
    const clients = provision(dataDir, devices);
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: {
        // The server's own level (info: no line per press or heartbeat); 2,000 devices connect at once.
        LOG_LEVEL: 'info',
        ...NO_CONNECT_LIMIT,
      },
      readyTimeoutMs: 60_000,
    });
    const running = server;
    log(
      `soak: ${devices} devices, daily profile at ${speed}× for ${minutes} min (${formatCell((minutes * speed) / 60)} simulated hours), server pid ${running.pid}`,
    );
    let sampler: ReturnType<typeof startSampler> | null = null;
    let sampled: Promise<SoakSample[]> | null = null;
    let profile: ProfileRunResult | null = null;
    const durationSimSec = Math.round(minutes * 60 * speed);
    const credentials = clients.map((c) => ({ id: c.clientId, secret: c.password ?? '' }));
    const started = performance.now();
    const code = await runProfilePlan(
      {
        credentials: undefined,
        label: undefined,
        url: running.mqttUrl,
        tls: false,
        ca: undefined,
        devices,
        pressesPerHour: 0,
        heartbeatSec: 60,
        durationSec: durationSimSec,
        seed,
        profile: 'daily',
        speed,
        engine: 'mqttjs',
        startSimTime: simStart(startHour),
      },
      credentials,
      {
        out: (line) => {
          // Sampling starts once the fleet is connected: the connect burst is not the steady state.
          if (sampler === null && /^connected \d+ device/.test(line))
            sampler = startSampler(running, sampleSec * 1000, log);
          // … and ends with the plan, before the fleet is closed (closing is not the steady state either).
          if (sampler !== null && sampled === null && /^stopping:/.test(line))
            sampled = (sampler as ReturnType<typeof startSampler>).stop();
          log(`  sim: ${line.split('\n')[0]}`);
        },
        err: (line) => log(`  sim error: ${line}`),
        onProfileResult: (r) => {
          profile = r;
        },
      },
    );
    const realSec = (performance.now() - started) / 1000;
    const samples = sampler === null ? [] : await (sampled ?? (sampler as ReturnType<typeof startSampler>).stop());
    if (code !== 0 || profile === null) throw new Error(`the devices' run failed (exit ${code})`);
    const played = profile as ProfileRunResult;
    await waitForQuiet(running);
    const exit = await running.kill('SIGTERM');
    server = null;
    const { stored, lost, twice } = checkStored(dataDir, played);
    const errors = running.logs.filter((l) => l.level >= 50).length;
    const found = trends(samples);
    const result: SoakResult = {
      options: { minutes, devices, speed, sampleSec, seed, startHour },
      startedAt,
      realSec,
      simulatedHours: durationSimSec / 3600,
      samples,
      trends: found,
      noneGrew: found.length > 0 && found.every((t) => !t.grew),
      presses: { acked: played.acked.length, stored, lost, twice, pubackMs: summarize(played.pubackMs) },
      actions: {
        planned: played.planned,
        done: played.done,
        failed: played.failed,
        unacknowledged: played.unacknowledgedAtExit,
      },
      server: { exit: { code: exit.code, signal: exit.signal }, errors },
    };
    for (const line of renderTable(trendRows(result))) log(line);
    log(
      `presses: ${result.presses.acked} PUBACKed, ${lost} lost, ${twice} stored twice (${stored} device events on disk); ` +
        `PUBACK p50 ${formatCell(result.presses.pubackMs.p50)} ms, p99 ${formatCell(result.presses.pubackMs.p99)} ms; ` +
        `${played.failed} actions failed; server errors logged: ${errors}; ${
          result.noneGrew
            ? 'no series grew'
            : `GREW: ${found
                .filter((t) => t.grew)
                .map((t) => t.series)
                .join(', ')}`
        }`,
    );
    return result;
  } finally {
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Today at `hour` local time: where the devices' simulated day begins. */
function simStart(hour: number): number {
  const d = new Date();
  d.setHours(hour, 0, 0, 0);
  return d.getTime();
}

/** Gives the server a moment to answer what is still in flight, then a last look at its queue. */
async function waitForQuiet(server: ChildServer): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const text = await fetch(`${server.httpUrl}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    if (/^ribbon_ingest_waiting 0$/m.test(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function trendRows(result: SoakResult): Array<Record<string, string | number>> {
  return result.trends.map((t) => {
    const { relative, absolute, unit } = FLAT[t.series];
    const tolerance = [
      relative > 0 ? `±${Math.round(relative * 100)} %` : '',
      `${formatCell(shown(t.series, absolute))}${unit === '' ? '' : ` ${unit}`}`,
    ]
      .filter((x) => x !== '')
      .join(' or ');
    return {
      series: `${t.series}${unit === '' ? '' : ` (${unit})`}`,
      'first 10 %': shown(t.series, t.first),
      'last 10 %': shown(t.series, t.last),
      max: shown(t.series, t.max),
      'slope /h': shown(t.series, t.slopePerHour),
      tolerance,
      verdict: t.flat ? 'flat' : t.grew ? 'GROWS' : 'falls',
    };
  });
}

function parseOptions(argv: readonly string[]): SoakOptions & { out: string; results: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      minutes: { type: 'string' },
      devices: { type: 'string' },
      speed: { type: 'string' },
      'sample-sec': { type: 'string' },
      seed: { type: 'string' },
      'start-hour': { type: 'string' },
      out: { type: 'string' },
      'no-results': { type: 'boolean', default: false },
    },
  });
  const num = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new RangeError(`--${name} must be a number from ${min} to ${max}`);
    return n;
  };
  return {
    minutes: num('minutes', values.minutes, DEFAULTS.minutes, 0.1, 24 * 60),
    devices: Math.round(num('devices', values.devices, DEFAULTS.devices, 1, 20_000)),
    speed: num('speed', values.speed, DEFAULTS.speed, 1, 100_000),
    sampleSec: num('sample-sec', values['sample-sec'], DEFAULTS.sampleSec, 1, 3600),
    seed: Math.round(num('seed', values.seed, DEFAULTS.seed, 0, 2 ** 32 - 1)),
    startHour: Math.round(num('start-hour', values['start-hour'], DEFAULTS.startHour, 0, 23)),
    out:
      values.out ??
      path.join(os.tmpdir(), `ribbon-soak-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}.json`),
    results: !values['no-results'],
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const result = await benchSoak(options);
  fs.writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`result: ${options.out}`);
  if (options.results) {
    const file = appendResults({
      title: `Soak: the daily profile at ${options.speed}× over ${options.devices} devices for ${options.minutes} min`,
      method: [
        `\`npm run bench:soak -- --minutes ${options.minutes} --devices ${options.devices}\`: the server as \`npm start\` runs it`,
        `(a child process, its real clock), ${options.devices} mqtt.js devices playing device-sim's daily profile`,
        `with simulated time ${options.speed}× faster (the server's clock is not sped up: heartbeats and presses come`,
        `${options.speed}× as often, sweeps and check-ins run in real time). Sampled every ${options.sampleSec} s from /metrics`,
        'and /proc/PID/fd; "flat": the mean of the last 10 % of samples within the tolerance of the first 10 %.',
      ].join('\n'),
      rows: trendRows(result),
      notes: [
        `presses: ${result.presses.acked} PUBACKed, ${result.presses.lost} lost, ${result.presses.twice} stored twice; PUBACK p50 ${formatCell(result.presses.pubackMs.p50)} ms, p99 ${formatCell(result.presses.pubackMs.p99)} ms`,
        `${result.samples.length} samples over ${Math.round(result.realSec)} s; ${result.actions.failed} device actions failed; server errors logged: ${result.server.errors}`,
        `series flat: ${SERIES.filter((s) => result.trends.find((t) => t.series === s)?.flat).length} of ${SERIES.length}; grew: ${
          result.trends
            .filter((t) => t.grew)
            .map((t) => t.series)
            .join(', ') || 'none'
        }`,
      ],
    });
    console.log(`appended to ${file}`);
  }
  if (result.presses.lost > 0 || result.presses.twice > 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
