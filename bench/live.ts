// Live benchmarks (issue 6, parts 2 and 5): press → WebSocket delta on `/ws` dashboards.
//
// 1. Red to screen: one dashboard connection; background load of 1,000 blue presses/s from the
//    mqtt.js load generator (bench/lib/loadgen.ts, a child process) while probe devices (the light
//    engine, in THIS process) press red at a low rate, each on a household of its own (each a new
//    emergency). Latency = press sent (performance.now() just before the PUBLISH is written) → the
//    first delta for that household arriving on the WebSocket, read on the same clock in the same
//    process. Floor, same run: Mosquitto publish → subscriber latency at 1,000 msg/s
//    (bench/lib/relay.ts). Target: p99 within 10× the floor's p99.
// 2. Fan-out: N dashboards (100) on `/ws`, the same load: deltas delivered/s over all connections
//    and press → delta latency of the probe presses on every connection.
//
// The server is a child process started as `npm start` starts it (ADMIN_PASSWORD set; the bench
// logs in over HTTP and opens its WebSockets with that cookie and a same-host Origin).
// `node --import tsx bench/live.ts [--smoke]`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import type { DeviceCredential } from '../device-sim/credentials.js';
import { startLightFleet, type LightFleet } from '../device-sim/light.js';
import { addHousehold, provisionDevice } from '../server/app/provision.js';
import { openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { freePort, startChildServer, type ChildServer } from '../test/helpers/child-server-core.js';
import { runLoad, saturatedProcesses, type LoadClient, type LoadResult } from './lib/loadgen.js';
import { mosquittoVersion, startMosquitto } from './lib/mosquitto.js';
import { cpuPercentBetween, readProcessCpu, waitForQuietMachine } from './lib/proc-stat.js';
import { runRelay, type RelayResult } from './lib/relay.js';
import { appendResults, formatCell } from './lib/results.js';
import { createHistogram, type Summary } from './lib/stats.js';

const ADMIN_PASSWORD = 'bench-live-admin-password';

type Plan = {
  /** Background blue presses per second (load generator). */
  loadRate: number;
  loadDevices: number;
  /** Red probe presses per second. */
  probeRate: number;
  /** Probe (measured) phase per part. */
  probeMs: number;
  dashboards: number;
  warmupMs: number;
  floorMs: number;
};

function plan(smoke: boolean): Plan {
  return smoke
    ? { loadRate: 100, loadDevices: 10, probeRate: 10, probeMs: 1_500, dashboards: 5, warmupMs: 500, floorMs: 1_000 }
    : { loadRate: 1_000, loadDevices: 100, probeRate: 20, probeMs: 10_000, dashboards: 100, warmupMs: 1_000, floorMs: 6_000 };
}

type Provisioned = { load: LoadClient[]; probes: DeviceCredential[] };

/** Background devices (compounds live-0..3) and probe devices (compound live-probe), one household each. */
function provision(dataDir: string, loadDevices: number, probeDevices: number): Provisioned {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    return stores.db.transaction(() => {
      const load = Array.from({ length: loadDevices }, (_, i): LoadClient => {
        const householdId = addHousehold(stores, { compound: `live-${i % 4}`, building: `${i % 20}`, room: `${i}`, name: `load ${i}` }, now);
        const { id, secret } = provisionDevice(stores, householdId, now);
        return { clientId: id, username: id, password: secret, topic: `ribbon/${id}/state` };
      });
      const probes = Array.from({ length: probeDevices }, (_, i): DeviceCredential => {
        const householdId = addHousehold(stores, { compound: 'live-probe', building: `${i % 20}`, room: `p${i}`, name: `probe ${i}` }, now);
        const { id, secret } = provisionDevice(stores, householdId, now);
        return { id, secret, householdId };
      });
      return { load, probes };
    })();
  } finally {
    stores.db.close();
  }
}

async function login(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('ribbon_session='))
    ?.split(';')[0];
  if (!cookie) throw new Error('login: no session cookie');
  return cookie;
}

/** One dashboard connection: counts deltas, checks seq, and reports the first delta per household. */
type Dashboard = {
  ws: WebSocket;
  deltas: number;
  gaps: number;
  closes: Array<{ code: number; reason: string }>;
};

const HOUSEHOLD_KEY = '"householdId":';

/**
 * Opens a dashboard and resolves once its snapshot arrived. `onDelta(householdId, at)` is called
 * for each delta (without parsing the frame: at 100k frames/s JSON.parse of each would make the
 * bench process the bottleneck; the delta's shape is fixed by server/live/hub.ts).
 */
function openDashboard(port: number, cookie: string, onDelta: (householdId: number, atMs: number) => void): Promise<Dashboard> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { cookie, origin: `http://127.0.0.1:${port}` }, perMessageDeflate: false });
    const d: Dashboard = { ws, deltas: 0, gaps: 0, closes: [] };
    let seq = 0;
    let ready = false;
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      const text = data.toString('latin1');
      const seqStart = text.indexOf('"seq":') + 6;
      const n = Number.parseInt(text.slice(seqStart, text.indexOf(',', seqStart)), 10);
      if (seq !== 0 && n !== seq + 1) d.gaps += 1;
      seq = n;
      if (text.startsWith('{"type":"snapshot"')) {
        if (!ready) {
          ready = true;
          resolve(d);
        }
        return;
      }
      d.deltas += 1;
      const k = text.indexOf(HOUSEHOLD_KEY);
      if (k < 0) return;
      const start = k + HOUSEHOLD_KEY.length;
      let end = start;
      while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
      onDelta(Number(text.slice(start, end)), at);
    });
    ws.on('close', (code, reason) => {
      d.closes.push({ code, reason: reason.toString() });
      if (!ready) reject(new Error(`dashboard closed before its snapshot (${code} ${reason.toString()})`));
    });
    ws.on('error', (err) => {
      if (!ready) reject(err);
    });
  });
}

type PartResult = {
  name: string;
  dashboards: number;
  load: LoadResult;
  /** Press sent → first delta for its household, every dashboard. */
  latency: Summary;
  /** Press sent → PUBACK. */
  puback: Summary;
  probesSent: number;
  probesSeen: number;
  /** Probe samples expected (probes × dashboards) and recorded. */
  samplesMissing: number;
  deltasPerSec: number;
  windowMs: number;
  gaps: number;
  closes: number;
  serverCpuPercent: number;
  benchCpuPercent: number;
};

async function runPart(opts: {
  name: string;
  server: ChildServer;
  cookie: string;
  dashboards: number;
  fleet: LightFleet;
  probeOffset: number;
  probeCount: number;
  probeHousehold: (i: number) => number;
  loadClients: LoadClient[];
  p: Plan;
  log: (line: string) => void;
}): Promise<PartResult> {
  const { p, fleet, server, log } = opts;
  // householdId → probe index, and per probe: send time and how many dashboards saw it.
  const probeOf = new Map<number, number>();
  for (let i = 0; i < opts.probeCount; i++) probeOf.set(opts.probeHousehold(opts.probeOffset + i), i);
  const sentAt = new Float64Array(opts.probeCount).fill(Number.NaN);
  const seenBy = new Uint16Array(opts.probeCount);
  const latency = createHistogram();
  const puback = createHistogram();
  let measuring = false;
  let backgroundDeltas = 0;
  let windowDeltas = 0;

  const boards: Dashboard[] = [];
  for (let b = 0; b < opts.dashboards; b++) {
    const seen = new Uint8Array(opts.probeCount);
    boards.push(
      await openDashboard(server.httpPort, opts.cookie, (householdId, at) => {
        if (measuring) windowDeltas += 1;
        const i = probeOf.get(householdId);
        if (i === undefined) {
          backgroundDeltas += 1;
          return;
        }
        const t0 = sentAt[i] as number;
        if (Number.isNaN(t0) || seen[i]) return; // first delta for the household: its report
        seen[i] = 1;
        seenBy[i] = (seenBy[i] as number) + 1;
        latency.record(at - t0);
      }),
    );
  }
  log(`${opts.name}: ${boards.length} dashboard(s) connected`);

  const loadPromise = runLoad({
    url: server.mqttUrl,
    clients: opts.loadClients,
    processes: 1,
    windowPerClient: 10,
    warmupMs: p.warmupMs,
    durationMs: p.probeMs + 1_500,
    ratePerSec: p.loadRate,
    payload: 'ribbon-state',
    watch: { server: server.pid },
  });
  let loadError: unknown = null;
  loadPromise.catch((err: unknown) => (loadError = err));

  // Start probing once the background load is flowing through to the dashboards.
  const until = performance.now() + 60_000;
  while (backgroundDeltas < Math.max(50, p.loadRate / 5) * opts.dashboards) {
    if (loadError !== null) throw loadError;
    if (performance.now() > until) throw new Error(`${opts.name}: background load never reached the dashboards`);
    await new Promise((r) => setTimeout(r, 20));
  }

  const cpuBefore = readProcessCpu(server.pid);
  const benchBefore = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  const presses: Array<Promise<void>> = [];
  const interval = 1000 / p.probeRate;
  for (let i = 0; i < opts.probeCount; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const sent = performance.now();
    sentAt[i] = sent;
    presses.push(
      fleet.press(opts.probeOffset + i, 'red').then(
        () => puback.record(performance.now() - sent),
        (err: unknown) => log(`probe ${i}: ${(err as Error).message}`),
      ),
    );
  }
  await Promise.all(presses);
  // Let the last deltas arrive (bounded).
  const settleUntil = performance.now() + 2_000;
  while (performance.now() < settleUntil && seenBy.some((n) => n < boards.length)) await new Promise((r) => setTimeout(r, 10));
  const windowMs = performance.now() - t0;
  measuring = false;
  const cpuAfter = readProcessCpu(server.pid);
  const bench = process.cpuUsage(benchBefore);
  const load = await loadPromise;

  for (const b of boards) b.ws.close(1000);
  const expected = opts.probeCount * boards.length;
  const recorded = seenBy.reduce((a, n) => a + n, 0);
  return {
    name: opts.name,
    dashboards: boards.length,
    load,
    latency: latency.summary(),
    puback: puback.summary(),
    probesSent: opts.probeCount,
    probesSeen: seenBy.filter((n) => n > 0).length,
    samplesMissing: expected - recorded,
    deltasPerSec: (windowDeltas / windowMs) * 1000,
    windowMs,
    gaps: boards.reduce((a, b) => a + b.gaps, 0),
    closes: boards.reduce((a, b) => a + b.closes.filter((c) => c.code !== 1000 && c.code !== 1005).length, 0),
    serverCpuPercent: cpuBefore && cpuAfter ? cpuPercentBetween(cpuBefore, cpuAfter) : Number.NaN,
    benchCpuPercent: ((bench.user + bench.system) / 1000 / windowMs) * 100,
  };
}

async function measureFloor(p: Plan): Promise<RelayResult> {
  const broker = await startMosquitto();
  try {
    return await runRelay({ url: broker.url, brokerPid: broker.pid, processes: 1, publishersPerProcess: 1, windowPerClient: 50, ratePerSec: p.loadRate, warmupMs: p.warmupMs, durationMs: p.floorMs });
  } finally {
    await broker.stop();
  }
}

export type LiveBenchResult = { floor: RelayResult; redToScreen: PartResult; fanOut: PartResult };

function describePart(r: PartResult): string {
  return (
    `${r.name}: ${r.dashboards} dashboard(s), ${r.probesSeen}/${r.probesSent} probes seen, latency p50 ${formatCell(r.latency.p50)} ms ` +
    `p99 ${formatCell(r.latency.p99)} ms max ${formatCell(r.latency.max)} ms (n ${r.latency.n}, missing ${r.samplesMissing}); ` +
    `${Math.round(r.deltasPerSec)} deltas/s delivered; load ${Math.round(r.load.ackedPerSec)} presses/s acked; ` +
    `server ${Math.round(r.serverCpuPercent)} % CPU, bench process ${Math.round(r.benchCpuPercent)} %, generator ` +
    `${r.load.generators.map((g) => Math.round(g.cpuPercent)).join('/')} %, others ${Math.round(r.load.machine.othersPercent)} %; seq gaps ${r.gaps}, abnormal closes ${r.closes}`
  );
}

export async function benchLive(opts: { smoke: boolean; log?: (line: string) => void; appendResults?: boolean }): Promise<LiveBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const p = plan(opts.smoke);
  if (!opts.smoke) {
    const quiet = await waitForQuietMachine({ maxBusyPercent: 25, timeoutMs: 30_000 });
    if (!quiet.quiet) log(`warning: machine still ${Math.round(quiet.busyPercent)} % busy after ${Math.round(quiet.waitedMs / 1000)} s: figures are contended`);
  }
  const floor = await measureFloor(p);
  log(
    `floor: Mosquitto at ${Math.round(floor.receivedPerSec)} msg/s, publish→subscriber p50 ${formatCell(floor.receiveLatency.p50)} ms ` +
      `p99 ${formatCell(floor.receiveLatency.p99)} ms max ${formatCell(floor.receiveLatency.max)} ms`,
  );

  const probesPerPart = Math.ceil((p.probeRate * p.probeMs) / 1000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-live-'));
  let server: ChildServer | null = null;
  let fleet: LightFleet | null = null;
  try {
    const prov = provision(dataDir, p.loadDevices, probesPerPart * 2);
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: { LOG_LEVEL: 'info', ADMIN_PASSWORD, MQTT_CONNECT_BURST: '100000', MQTT_CONNECT_RATE: '100000' },
    });
    const cookie = await login(server.httpUrl);
    fleet = await startLightFleet({ host: '127.0.0.1', port: server.mqttPort, devices: prov.probes, onWarning: log, onError: (i, err) => log(`probe device ${i}: ${err.message}`) });
    if (fleet.report.connected !== prov.probes.length) throw new Error(`only ${fleet.report.connected}/${prov.probes.length} probe devices connected`);
    const probeHousehold = (i: number): number => (prov.probes[i] as DeviceCredential).householdId;
    const common = { server, cookie, fleet, probeCount: probesPerPart, probeHousehold, loadClients: prov.load, p, log };
    const redToScreen = await runPart({ ...common, name: 'red to screen', dashboards: 1, probeOffset: 0 });
    log(describePart(redToScreen));
    const fanOut = await runPart({ ...common, name: 'fan-out', dashboards: p.dashboards, probeOffset: probesPerPart });
    log(describePart(fanOut));
    const result = { floor, redToScreen, fanOut };
    if (!opts.smoke && opts.appendResults !== false) appendResults(await section(result, p));
    return result;
  } finally {
    if (fleet) await fleet.close(3_000);
    if (server) await server.kill('SIGTERM').catch(() => undefined);
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function section(r: LiveBenchResult, p: Plan) {
  const floorP99 = r.floor.receiveLatency.p99;
  const ratio = (v: number): number => Number((v / floorP99).toFixed(1));
  const row = (x: PartResult) => ({
    run: `ours: ${x.name}, ${x.dashboards} dashboard(s)`,
    'p50 ms': x.latency.p50,
    'p99 ms': x.latency.p99,
    'max ms': x.latency.max,
    'p99 / floor p99': ratio(x.latency.p99),
    samples: x.latency.n,
    missing: x.samplesMissing,
    'deltas/s delivered': Math.round(x.deltasPerSec),
    'load acked/s': Math.round(x.load.ackedPerSec),
    'server CPU %': Math.round(x.serverCpuPercent),
    'bench CPU %': Math.round(x.benchCpuPercent),
    'generator CPU %': x.load.generators.map((g) => Math.round(g.cpuPercent)).join(' / '),
    'others CPU %': Math.round(x.load.machine.othersPercent),
    'seq gaps / closes': `${x.gaps} / ${x.closes}`,
  });
  const saturated = (x: PartResult): string =>
    [
      ...saturatedProcesses(x.load),
      x.benchCpuPercent >= 90 ? `bench process (${Math.round(x.benchCpuPercent)} %)` : '',
      // The watched server figure in saturatedProcesses covers the load window; ours the probe window.
      x.serverCpuPercent >= 90 && !saturatedProcesses(x.load).some((s) => s.startsWith('server')) ? `server (${Math.round(x.serverCpuPercent)} %)` : '',
    ]
      .filter(Boolean)
      .join(', ') || 'none';
  const version = await mosquittoVersion();
  return {
    title: 'Live: red to screen and fan-out on /ws',
    method:
      `The server started as \`npm start\` does (one Node process, ADMIN_PASSWORD set); the bench logs in (POST /api/session) ` +
      `and opens \`ws\` clients on /ws with the cookie and Origin http://127.0.0.1:<port>. Background: ${p.loadDevices} provisioned devices ` +
      `pressing blue QoS 1 at ${p.loadRate.toLocaleString('en-US')}/s in total from one mqtt.js generator process (bench/lib/loadgen.ts). ` +
      `Probes: light-engine devices (device-sim/light.ts) in the bench process press red at ${p.probeRate}/s for ${p.probeMs / 1000} s, ` +
      `each on a household of its own (each a new emergency). Latency = performance.now() before the PUBLISH is written → the first ` +
      `delta for that household (its report) arriving on a dashboard, one clock, one process; the fan-out part records it on every ` +
      `dashboard (${p.dashboards} sharing one admin session). Deltas/s = delta frames received over all dashboards in the probe ` +
      `window / its length. Floor, same run: Mosquitto ${version} (nodelay, no persistence, unlimited queues) relaying 100-byte ` +
      `QoS 1 messages publisher → subscriber at ${p.loadRate.toLocaleString('en-US')}/s (bench/lib/relay.ts), publish → receive ` +
      'latency. CPU % = CPU time / wall time, 100 = one core (server and bench: the probe window; generator: its window).',
    rows: [
      row(r.redToScreen),
      row(r.fanOut),
      {
        run: 'floor: Mosquitto publish → subscriber',
        'p50 ms': r.floor.receiveLatency.p50,
        'p99 ms': floorP99,
        'max ms': r.floor.receiveLatency.max,
        'p99 / floor p99': 1,
        samples: r.floor.receiveLatency.n,
        'load acked/s': Math.round(r.floor.ackedPerSec),
        'server CPU %': Math.round(r.floor.brokerCpuPercent),
        'generator CPU %': r.floor.generators.map((g) => Math.round(g.cpuPercent)).join(' / '),
        'others CPU %': Math.round(r.floor.machine.othersPercent),
      },
    ],
    notes: [
      `Red to screen p99 **${formatCell(r.redToScreen.latency.p99)} ms** = **${ratio(r.redToScreen.latency.p99)}×** the floor's p99 ` +
        `(${formatCell(floorP99)} ms); target ≤ 10×: ${r.redToScreen.latency.p99 <= 10 * floorP99 ? 'met' : 'MISSED'}.`,
      `Fan-out: **${Math.round(r.fanOut.deltasPerSec).toLocaleString('en-US')} deltas/s** delivered to ${r.fanOut.dashboards} dashboards, ` +
        `p99 ${formatCell(r.fanOut.latency.p99)} ms.`,
      `At ≥ 90 % of a core: red to screen: ${saturated(r.redToScreen)}; fan-out: ${saturated(r.fanOut)}.`,
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchLive({ smoke: process.argv.includes('--smoke') }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
