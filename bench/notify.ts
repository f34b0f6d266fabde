// Notify benchmark (issue 13): from a red press to the first request at the SMS/voice provider,
// at 100 presses/s. `node --import tsx bench/notify.ts [--smoke]` (`npm run bench:notify`).
//
// One fake Alibaba Cloud gateway in THIS process (test/helpers/fake-aliyun-core.ts, the tests'
// own, which checks every request's ACS3 signature) and light-engine devices (device-sim/light.ts),
// also here, so that press and arrival are read on one clock. Two parts, the floor first:
// 1. Floor: a bare aedes broker with an in-process subscriber that sends one signed SendSms per
//    message to the gateway, in a process of its own (bench/lib/notify-floor.ts).
// 2. Ours: the server as a child process started as `npm start` starts it (two threads), on a
//    data dir provisioned before it starts: one household per press, each with one device and a
//    tier-1 volunteer of its own (a unique mobile number), and `aliyun-sms` + `aliyun-voice`
//    channels pointed at the gateway. A red opens an emergency; its SMS and call rows go out by
//    the outbox (kicked on the alert's change, swept every second).
// Each press is a different household (a second red of one household joins its open alert), sent
// open-loop at the plan's rate. Latency: performance.now() just before the PUBLISH is written →
// the arrival (headers in) at the gateway of the first request, with a good signature, for that
// household's phone number. Reported: p50/p99/max, presses with no request, which came first (SMS
// or call), SMS and call apart, the ratio to the floor. Method in the RESULTS.md section it appends.
// `--slow-calls MS`: the gateway answers each call MS ms late (a slow voice provider), SMS at once;
// printed only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { DeviceCredential } from '../device-sim/credentials.js';
import { type LightFleet, startLightFleet } from '../device-sim/light.js';
import { addHousehold, provisionDevice } from '../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { freePort, startChildServer, type ChildServer } from '../test/helpers/child-server-core.js';
import { type FakeAliyunRequest, startFakeAliyunGateway } from '../test/helpers/fake-aliyun-core.js';
import { startNotifyFloor, type FloorResult } from './lib/notify-floor.js';
import { describeNotify, type NotifyPart, type NotifyResult, notifySection } from './lib/notify-report.js';
import { cpuPercentBetween, readProcessCpu, waitForQuietMachine } from './lib/proc-stat.js';
import { appendResults } from './lib/results.js';
import { createHistogram } from './lib/stats.js';

export type { NotifyResult };

const ADMIN_PASSWORD = 'bench-notify-admin-password';
const KEY = { accessKeyId: 'LTAI-bench-key', accessKeySecret: 'bench-secret-of-aliyun' };
const SIGN_NAME = '彩带之约';
const SMS_TEMPLATES = { emergency: 'SMS_100001', service: 'SMS_100002', missed_checkin: 'SMS_100003' };
const TTS_CODE = 'TTS_200001';

export type NotifyPlan = {
  /** Red presses per second, open-loop, each on a household of its own. */
  rate: number;
  durationMs: number;
  /** After the last press: how long to wait for the last first requests. */
  drainMs: number;
  /**
   * Presses before the measured ones, at the same rate on households of their own, not in the
   * figures (each must still reach the gateway): the first request of a process loads fetch
   * (undici) and opens its connection, tens of ms once, in the floor and in ours alike.
   */
  warmupMs: number;
  compounds: number;
};

export function notifyPlan(smoke: boolean): NotifyPlan {
  return smoke
    ? { rate: 20, durationMs: 1_000, warmupMs: 500, drainMs: 10_000, compounds: 2 }
    : { rate: 100, durationMs: 20_000, warmupMs: 2_000, drainMs: 15_000, compounds: 20 };
}

/** Measured presses of a plan, and warm-up presses before them: one household (and device, and volunteer) each. */
export const pressesOf = (p: NotifyPlan): number => Math.round((p.rate * p.durationMs) / 1000);
export const warmupPressesOf = (p: NotifyPlan): number => Math.round((p.rate * p.warmupMs) / 1000);

/** Household i's volunteer: 139 and eight digits, unique per household. */
export const phoneOf = (i: number): string => `139${String(i).padStart(8, '0')}`;

/** Households, each in a building of its own with a tier-1 volunteer scoped to it; the phone channels. */
function provision(dataDir: string, p: NotifyPlan, endpoint: string): DeviceCredential[] {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    return stores.db.transaction(() => {
      stores.channels.add(
        'aliyun-sms',
        '阿里云短信',
        { ...KEY, signName: SIGN_NAME, templates: SMS_TEMPLATES, endpoint },
        null,
        now,
      );
      stores.channels.add('aliyun-voice', '阿里云语音', { ...KEY, ttsCode: TTS_CODE, endpoint }, null, now);
      return Array.from({ length: warmupPressesOf(p) + pressesOf(p) }, (_, i): DeviceCredential => {
        const householdId = addHousehold(
          stores,
          { compound: `notify-${i % p.compounds}`, building: `${i}号楼`, room: '101', name: `老人${i}` },
          now,
        );
        const h = stores.places.getHousehold(householdId);
        if (h === null) throw new Error(`household ${householdId} vanished`);
        stores.people.add(
          {
            name: `志愿者${i}`,
            phone: phoneOf(i),
            role: 'volunteer',
            tier: 1,
            compoundId: h.compoundId,
            buildingId: h.buildingId,
          },
          now,
        );
        const { id, secret } = provisionDevice(stores, householdId, now);
        return { id, secret, householdId };
      });
    })();
  } finally {
    stores.db.close();
  }
}

/** The phone rows of the outbox, by channel kind and status ("aliyun-sms sent" → rows). */
function outboxCounts(db: Database.Database): Record<string, number> {
  const rows = db
    .prepare(
      `SELECT c.kind AS kind, o.status AS status, COUNT(*) AS n FROM outbox o JOIN channels c ON c.id = o.channel_id
       WHERE o.target = 'channel' GROUP BY c.kind, o.status`,
    )
    .all() as Array<{ kind: string; status: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [`${r.kind} ${r.status}`, r.n]));
}

/**
 * Waits (bounded) until the running server's phone rows are all settled (none pending), read on
 * a connection of our own: stopping it with answers still on their way would leave rows claimed
 * and log their marks as failures (the database is closed under them).
 */
async function outboxSettled(dataDir: string, timeoutMs: number): Promise<Record<string, number>> {
  const db = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true });
  try {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const counts = outboxCounts(db);
      const pending = Object.entries(counts).some(([k, n]) => k.endsWith(' pending') && n > 0);
      if (!pending || performance.now() > until) return counts;
      await sleep(50);
    }
  } finally {
    db.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** What a part needs from the gateway: its requests routed to the part being measured. */
type Route = { current: ((r: FakeAliyunRequest) => void) | null };

/**
 * Presses every device once, red, open-loop at the plan's rate, and waits (bounded) for each
 * phone's first request. `watchPid`: the process under test, for its CPU over the window.
 */
async function pressAll(opts: {
  name: NotifyPart['name'];
  port: number;
  devices: readonly DeviceCredential[];
  plan: NotifyPlan;
  route: Route;
  watchPid: number;
  /** Requests a press should bring (ours: an SMS and a call; the floor: one SMS). */
  requestsEach: number;
  log: (line: string) => void;
}): Promise<NotifyPart> {
  const { devices, plan: p, log } = opts;
  const n = devices.length;
  // Devices 0 … warmup−1 press first and are left out of the latencies.
  const warmup = warmupPressesOf(p);
  const index = new Map(devices.map((_, i) => [phoneOf(i), i]));
  const sentAt = new Float64Array(n).fill(Number.NaN);
  const first = new Float64Array(n).fill(Number.NaN);
  const firstSms = new Float64Array(n).fill(Number.NaN);
  const firstCall = new Float64Array(n).fill(Number.NaN);
  const counts = { sms: 0, call: 0, refused: 0, unknown: 0, beforePress: 0, firstSms: 0, firstCall: 0 };
  let reached = 0;
  let requests = 0;
  let allIn: (() => void) | null = null;
  opts.route.current = (r) => {
    const i = r.phone === undefined ? undefined : index.get(r.phone);
    if (r.refused !== null) counts.refused += 1;
    else if (i === undefined) counts.unknown += 1;
    else if (Number.isNaN(sentAt[i] as number)) counts.beforePress += 1;
    else {
      const sms = r.action === 'SendSms';
      counts[sms ? 'sms' : 'call'] += 1;
      const perMedium = sms ? firstSms : firstCall;
      if (Number.isNaN(perMedium[i] as number)) perMedium[i] = r.arrivedAt;
      if (Number.isNaN(first[i] as number)) {
        first[i] = r.arrivedAt;
        reached += 1;
        counts[sms ? 'firstSms' : 'firstCall'] += 1;
      }
      requests += 1;
      if (reached === n && requests >= n * opts.requestsEach) allIn?.();
    }
  };

  let fleet: LightFleet | null = null;
  try {
    fleet = await startLightFleet({
      host: '127.0.0.1',
      port: opts.port,
      devices,
      onWarning: log,
      onError: (i, err) => log(`${opts.name}: device ${i}: ${err.message}`),
    });
    if (fleet.report.connected !== n)
      throw new Error(`${opts.name}: only ${fleet.report.connected}/${n} devices connected`);
    const pressFleet = fleet;

    const puback = createHistogram();
    const late = createHistogram();
    // Sampled every 1 ms: a sample is the time between two turns of a 1 ms timer, so 1 ms means no delay.
    const lag = monitorEventLoopDelay({ resolution: 1 });
    const cpuBefore = readProcessCpu(opts.watchPid);
    const benchBefore = process.cpuUsage();
    const presses: Array<Promise<void>> = [];
    let pressErrors = 0;
    const interval = 1000 / p.rate;
    lag.enable();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const sent = performance.now();
      sentAt[i] = sent;
      late.record(sent - due);
      presses.push(
        pressFleet.press(i, 'red').then(
          () => puback.record(performance.now() - sent),
          (err: unknown) => {
            pressErrors += 1;
            log(`${opts.name}: press ${i}: ${(err as Error).message}`);
          },
        ),
      );
    }
    const pressedMs = performance.now() - t0;
    await Promise.all(presses);
    if (reached < n || requests < n * opts.requestsEach) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, p.drainMs);
        allIn = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const windowMs = performance.now() - t0;
    lag.disable();
    const cpuAfter = readProcessCpu(opts.watchPid);
    const bench = process.cpuUsage(benchBefore);
    opts.route.current = null;

    const latencies = (arrivals: Float64Array) => {
      const h = createHistogram();
      for (let i = warmup; i < n; i++) {
        const at = arrivals[i] as number;
        if (!Number.isNaN(at)) h.record(at - (sentAt[i] as number));
      }
      return h.summary();
    };
    return {
      name: opts.name,
      presses: n - warmup,
      warmupPresses: warmup,
      pressedMs,
      pressErrors,
      firstRequest: latencies(first),
      sms: latencies(firstSms),
      call: latencies(firstCall),
      noRequest: n - reached,
      requests: { ...counts },
      puback: puback.summary(),
      sendLate: late.summary(),
      benchLag: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
      windowMs,
      cpuPercent: cpuBefore && cpuAfter ? cpuPercentBetween(cpuBefore, cpuAfter) : Number.NaN,
      benchCpuPercent: ((bench.user + bench.system) / 1000 / windowMs) * 100,
    };
  } finally {
    opts.route.current = null;
    if (fleet) await fleet.close(3_000);
  }
}

/** SIGTERM (a graceful stop), SIGKILL if it has not exited within 15 s. */
async function stopServer(server: ChildServer): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), 15_000);
  });
  const outcome = await Promise.race([server.kill('SIGTERM'), late]);
  clearTimeout(timer);
  if (outcome === 'late') await server.kill('SIGKILL');
}

async function quiet(smoke: boolean, name: string, log: (line: string) => void) {
  if (smoke) return null;
  const q = await waitForQuietMachine({ maxBusyPercent: 25, timeoutMs: 30_000 });
  if (!q.quiet)
    log(`warning: ${name}: the machine is ${Math.round(q.busyPercent)} % busy (of one core) before the part`);
  return q;
}

export async function benchNotify(opts: {
  smoke: boolean;
  log?: (line: string) => void;
  appendResults?: boolean;
  /**
   * A slow voice provider: the gateway answers each call this many ms late (SMS at once). A
   * diagnostic (does a slow call hold back other presses' SMS?): nothing is appended then.
   */
  slowCallsMs?: number;
  /** Another plan than the mode's (a short trial); nothing is appended then. */
  plan?: NotifyPlan;
}): Promise<NotifyResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const p = opts.plan ?? notifyPlan(opts.smoke);
  const route: Route = { current: null };
  const slowCallsMs = opts.slowCallsMs ?? 0;
  const gateway = await startFakeAliyunGateway({
    ...KEY,
    keep: false,
    onRequest: (r) => route.current?.(r),
    answerAfterMs: (r) => (r.action === 'SingleCallByTts' ? slowCallsMs : 0),
  });
  if (slowCallsMs > 0) log(`the gateway answers each call ${slowCallsMs} ms late (SMS at once); nothing is appended`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-notify-'));
  let server: ChildServer | null = null;
  let floorProcess: Awaited<ReturnType<typeof startNotifyFloor>> | null = null;
  try {
    const devices = provision(dataDir, p, gateway.endpoint);
    log(
      `provisioned ${devices.length} households, each with a device and a volunteer of its own; gateway ${gateway.endpoint}`,
    );

    // 1. The floor, alone on the machine (the server is not started yet); the same devices.
    const floorQuiet = await quiet(opts.smoke, 'floor', log);
    floorProcess = await startNotifyFloor({
      endpoint: gateway.endpoint,
      ...KEY,
      signName: SIGN_NAME,
      templateCode: SMS_TEMPLATES.emergency,
      phones: Object.fromEntries(devices.map((d, i) => [d.id, phoneOf(i)])),
    });
    const floor = await pressAll({
      name: 'floor',
      port: floorProcess.port,
      devices,
      plan: p,
      route,
      watchPid: floorProcess.pid,
      requestsEach: 1,
      log,
    });
    const floorCounts: FloorResult = await floorProcess.finish();
    await floorProcess.stop();
    floorProcess = null;

    // 2. Ours.
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: {
        LOG_LEVEL: 'info',
        ADMIN_PASSWORD,
        PUBLIC_URL: 'https://ribbon.example.cn',
        // Every device connects at once before the presses: a start, not an attack.
        MQTT_CONNECT_BURST: '100000',
        MQTT_CONNECT_RATE: '100000',
      },
      readyTimeoutMs: 60_000,
    });
    const oursQuiet = await quiet(opts.smoke, 'ours', log);
    const ours = await pressAll({
      name: 'ours',
      port: server.mqttPort,
      devices,
      plan: p,
      route,
      watchPid: server.pid,
      requestsEach: 2,
      log,
    });
    const outbox = await outboxSettled(dataDir, p.drainMs);
    const running = server;
    server = null;
    await stopServer(running);
    const errorLines = running.logs.filter((l) => l.level >= 50);
    const warnLines = running.logs.filter((l) => l.level === 40);
    const result: NotifyResult = {
      plan: p,
      floor,
      floorCounts,
      ours,
      outbox,
      server: {
        errorLines: errorLines.length,
        warnLines: warnLines.length,
        samples: [...new Set([...errorLines, ...warnLines].map((l) => l.msg))].slice(0, 5),
      },
      quiet: { floor: floorQuiet, ours: oursQuiet },
    };
    for (const line of describeNotify(result)) log(line);
    if (!opts.smoke && opts.appendResults !== false && slowCallsMs === 0 && opts.plan === undefined)
      appendResults(notifySection(result));
    return result;
  } finally {
    if (floorProcess) await floorProcess.stop();
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    await gateway.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--slow-calls');
  const slowCallsMs = at >= 0 ? Number(process.argv[at + 1]) : 0;
  if (!Number.isInteger(slowCallsMs) || slowCallsMs < 0 || slowCallsMs > 60_000)
    throw new Error('--slow-calls needs a whole number of milliseconds, 0 to 60000');
  benchNotify({ smoke: process.argv.includes('--smoke'), slowCallsMs }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
