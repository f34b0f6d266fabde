// Live benchmarks (issue 6, parts 2 and 5): press → WebSocket delta on `/ws` dashboards.
//
// 1. Red to screen: one dashboard connection; background load of 1,000 blue presses/s from the
//    mqtt.js load generator (bench/lib/loadgen.ts, a child process) while probe devices (the light
//    engine, in THIS process) press red at a low rate, each on a household of its own (each a new
//    emergency). Two latencies per probe press, from the press sent (performance.now() just before
//    the PUBLISH is written), read on the same clock in the same process:
//    - "seen": → the household's `receipt` change with status `recording` on the WebSocket, which
//      the server sends when the press arrives, BEFORE its commit (what a screen shows first);
//    - "on record": → the household's `report` change, sent after the group commit's fsync (the
//      press is on disk and its emergency alert raised).
//    Floor, same run: Mosquitto publish → subscriber latency at 1,000 msg/s (bench/lib/relay.ts).
//    Target: "seen" p99 within 10× the floor's p99; "on record" is given beside it, with its ratio.
// 2. Fan-out: N dashboards (100) on `/ws`, the same load: changes ("deltas") and delta frames
//    delivered/s over all connections, and both latencies of the probe presses on every connection.
// 3. The peer of DESIGN §5 (not in smoke mode): Node-RED 4, one flow `mqtt in` → `websocket out`,
//    on its own Mosquitto (bench/lib/node-red.ts, installed on demand), red to screen at 100/s and
//    1,000/s background load; ours is measured at the same rates.
//
// The server is a child process started as `npm start` starts it (ADMIN_PASSWORD set; the bench
// logs in over HTTP and opens its WebSockets with that cookie and a same-host Origin).
// `node --import tsx bench/live.ts [--smoke] [--red-only] [--cpu-prof DIR]`: with --cpu-prof the server is
// sampled (bench/lib/cpu-profile-preload.mjs) and writes DIR/server-<pid>.cpuprofile when it stops
// (figures are then inflated by the profiler, so nothing is appended to RESULTS.md). --red-only
// measures the floor and red to screen at each rate (~1 min), without the peer or fan-out, and
// only prints (a partial run appended as a full section would read as a missing figure).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import type { DeviceCredential } from '../device-sim/credentials.js';
import { startLightFleet, type LightFleet } from '../device-sim/light.js';
import { addHousehold, provisionDevice } from '../server/app/provision.js';
import { openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { freePort, loginOverHttp, startChildServer, type ChildServer } from '../test/helpers/child-server-core.js';
import { runLoad, saturatedProcesses, type LoadClient, type LoadResult } from './lib/loadgen.js';
import { mosquittoVersion, startMosquitto, type MosquittoHandle } from './lib/mosquitto.js';
import { startNodeRed, type NodeRedHandle } from './lib/node-red.js';
import { cpuPercentBetween, readProcessCpu, waitForQuietMachine } from './lib/proc-stat.js';
import { runRelay, type RelayResult } from './lib/relay.js';
import { appendResults, formatCell } from './lib/results.js';
import { createHistogram, type Summary } from './lib/stats.js';

const ADMIN_PASSWORD = 'bench-live-admin-password';
const PROFILE_PRELOAD = fileURLToPath(new URL('./lib/cpu-profile-preload.mjs', import.meta.url));

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
  /** Background rates at which red to screen is also measured for us and the Node-RED peer. */
  peerRates: number[];
  /** Before each part, wait up to this long for the machine to be quiet (others' load comes in bursts). */
  quietWaitMs: number;
};

/** The background blue presses of a part (ours or the peer's): one generator process, running past the probe window. */
function backgroundLoad(
  p: Plan,
  url: string,
  clients: LoadClient[],
  ratePerSec: number,
  watch: Record<string, number>,
): Promise<LoadResult> {
  return runLoad({
    url,
    clients,
    processes: 1,
    windowPerClient: 10,
    warmupMs: p.warmupMs,
    durationMs: p.probeMs + 1_500,
    ratePerSec,
    payload: 'ribbon-state',
    watch,
  });
}

/** Waits (bounded) for a quiet machine before a part; says so when it stays busy. */
async function quietBeforePart(p: Plan, name: string, log: (line: string) => void): Promise<void> {
  if (p.quietWaitMs <= 0) return;
  const quiet = await waitForQuietMachine({ maxBusyPercent: 25, timeoutMs: p.quietWaitMs });
  if (!quiet.quiet)
    log(
      `warning: ${name}: machine still ${Math.round(quiet.busyPercent)} % busy after ${Math.round(quiet.waitedMs / 1000)} s`,
    );
}

function plan(smoke: boolean): Plan {
  return smoke
    ? // No peer in smoke mode: it would need the npm registry (and ~10 s) inside `npm test`.
      {
        loadRate: 100,
        loadDevices: 10,
        probeRate: 10,
        probeMs: 1_500,
        dashboards: 5,
        warmupMs: 500,
        floorMs: 1_000,
        peerRates: [],
        quietWaitMs: 0,
      }
    : {
        loadRate: 1_000,
        loadDevices: 100,
        probeRate: 20,
        probeMs: 10_000,
        dashboards: 100,
        warmupMs: 1_000,
        floorMs: 6_000,
        peerRates: [100, 1_000],
        quietWaitMs: 60_000,
      };
}

type Provisioned = { load: LoadClient[]; probes: DeviceCredential[] };

/** Background devices (compounds live-0..3) and probe devices (compound live-probe), one household each. */
function provision(dataDir: string, loadDevices: number, probeDevices: number): Provisioned {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    return stores.db.transaction(() => {
      const load = Array.from({ length: loadDevices }, (_, i): LoadClient => {
        const householdId = addHousehold(
          stores,
          { compound: `live-${i % 4}`, building: `${i % 20}`, room: `${i}`, name: `load ${i}` },
          now,
        );
        const { id, secret } = provisionDevice(stores, householdId, now);
        return { clientId: id, username: id, password: secret, topic: `ribbon/${id}/state` };
      });
      const probes = Array.from({ length: probeDevices }, (_, i): DeviceCredential => {
        const householdId = addHousehold(
          stores,
          { compound: 'live-probe', building: `${i % 20}`, room: `p${i}`, name: `probe ${i}` },
          now,
        );
        const { id, secret } = provisionDevice(stores, householdId, now);
        return { id, secret, householdId };
      });
      return { load, probes };
    })();
  } finally {
    stores.db.close();
  }
}

/** One dashboard connection: counts frames and changes, checks seq, and reports each change's household and kind. */
type Dashboard = {
  ws: WebSocket;
  /** Delta frames and the changes in them. */
  frames: number;
  changes: number;
  gaps: number;
  closes: Array<{ code: number; reason: string }>;
};

const HOUSEHOLD_KEY = '"householdId":';
/** How each change in `changes` starts (its nested household/alert views start with "id"). */
const CHANGE_START = '{"type":"';
const STATUS_KEY = '"status":"';

/**
 * What the bench tells apart among a probe household's changes: the receipt that the press
 * arrived (sent before its commit), the report (sent after it), and the rest (alert, device,
 * a receipt's later statuses).
 */
type ChangeKind = 'recording' | 'report' | 'other';

/**
 * Opens a dashboard and resolves once its snapshot arrived. `onChange(householdId, kind, at, first)`
 * is called for each change of each delta frame, in frame order (`first`: once per frame), without
 * parsing the frame: at 100k changes/s JSON.parse of each would make the bench process the
 * bottleneck; the frame's shape is fixed by protocol/live.ts (written by server/live/batch.ts):
 * `{"type":"delta","seq":N,"changes":[{"type":…,…"householdId":H…},…]}`, where a receipt is
 * `{"type":"receipt","receiptId":…,"householdId":H,"deviceId":…,"status":…,…}` (flat, so its
 * `"status":"` is its own).
 */
function openDashboard(
  port: number,
  cookie: string,
  onChange: (householdId: number, kind: ChangeKind, atMs: number, firstOfFrame: boolean) => void,
): Promise<Dashboard> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
      headers: { cookie, origin: `http://127.0.0.1:${port}` },
      perMessageDeflate: false,
    });
    const d: Dashboard = { ws, frames: 0, changes: 0, gaps: 0, closes: [] };
    let seq = 0;
    let ready = false;
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      const text = data.toString('latin1');
      // Ticks (every ping interval, to tell a dead link from a quiet one) carry no seq.
      if (text.startsWith('{"type":"tick"')) return;
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
      d.frames += 1;
      let first = true;
      for (let c = text.indexOf(CHANGE_START, 1); c >= 0; c = text.indexOf(CHANGE_START, c + 1)) {
        d.changes += 1;
        const k = text.indexOf(HOUSEHOLD_KEY, c);
        if (k < 0) break;
        const start = k + HOUSEHOLD_KEY.length;
        let end = start;
        while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
        const typeAt = c + CHANGE_START.length;
        let kind: ChangeKind = 'other';
        if (text.startsWith('report"', typeAt)) kind = 'report';
        else if (text.startsWith('receipt"', typeAt)) {
          const s = text.indexOf(STATUS_KEY, end);
          if (s >= 0 && text.startsWith('recording"', s + STATUS_KEY.length)) kind = 'recording';
        }
        onChange(Number(text.slice(start, end)), kind, at, first);
        first = false;
      }
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

/** Sums of the server's group-commit histograms (GET /metrics), to difference over a window. */
type CommitCounters = {
  batches: number;
  messages: number;
  seconds: number;
  underMs: number;
  syncs: number;
  syncSeconds: number;
  syncUnderMs: number;
};

async function commitCounters(httpUrl: string): Promise<CommitCounters | null> {
  try {
    const text = await (await fetch(`${httpUrl}/metrics`)).text();
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
    return {
      batches: value(/^ribbon_commit_seconds_count(?:\{\})? (\S+)$/m),
      messages: value(/^ribbon_commit_batch_size_sum(?:\{\})? (\S+)$/m),
      seconds: value(/^ribbon_commit_seconds_sum(?:\{\})? (\S+)$/m),
      underMs: value(/^ribbon_commit_seconds_bucket\{le="0\.001"\} (\S+)$/m),
      syncs: value(/^ribbon_sync_seconds_count(?:\{\})? (\S+)$/m),
      syncSeconds: value(/^ribbon_sync_seconds_sum(?:\{\})? (\S+)$/m),
      syncUnderMs: value(/^ribbon_sync_seconds_bucket\{le="0\.001"\} (\S+)$/m),
    };
  } catch {
    return null;
  }
}

/**
 * Group commits over a window: how many presses each held and how long each held the event loop;
 * and the WAL syncs (fdatasync on the thread pool, each covering one or more commits) before their PUBACKs.
 */
type CommitStats = {
  batches: number;
  meanBatch: number;
  meanMs: number;
  underMsShare: number;
  syncs: number;
  syncMeanMs: number;
  syncUnderMsShare: number;
};

function commitStats(before: CommitCounters | null, after: CommitCounters | null): CommitStats {
  if (!before || !after)
    return {
      batches: Number.NaN,
      meanBatch: Number.NaN,
      meanMs: Number.NaN,
      underMsShare: Number.NaN,
      syncs: Number.NaN,
      syncMeanMs: Number.NaN,
      syncUnderMsShare: Number.NaN,
    };
  const batches = after.batches - before.batches;
  const syncs = after.syncs - before.syncs;
  return {
    syncs,
    syncMeanMs: ((after.syncSeconds - before.syncSeconds) / syncs) * 1000,
    syncUnderMsShare: (after.syncUnderMs - before.syncUnderMs) / syncs,
    batches,
    meanBatch: (after.messages - before.messages) / batches,
    meanMs: ((after.seconds - before.seconds) / batches) * 1000,
    underMsShare: (after.underMs - before.underMs) / batches,
  };
}

type PartResult = {
  name: string;
  commits: CommitStats;
  loadRate: number;
  dashboards: number;
  load: LoadResult;
  /** "Seen": press sent → its household's receipt `recording` (sent before the commit), every dashboard. */
  seen: Summary;
  /** "On record": press sent → its household's report (sent after the commit's fsync), every dashboard. */
  onRecord: Summary;
  /**
   * Per probe press and dashboard (index dashboard × probesSent + probe): the two latencies in ms,
   * NaN where that change never arrived (within the settle time).
   */
  seenMs: Float64Array;
  onRecordMs: Float64Array;
  /** Samples (probe × dashboard) whose report arrived before its receipt `recording` (earlier in the same frame, an earlier frame, or with none). */
  reportBeforeReceipt: number;
  /** Press sent → PUBACK. */
  puback: Summary;
  probesSent: number;
  /** Probes whose receipt `recording` / report reached at least one dashboard. */
  probesSeen: number;
  probesOnRecord: number;
  /** Samples expected (probes × dashboards) minus those recorded, for each latency. */
  seenMissing: number;
  onRecordMissing: number;
  /** Changes delivered per second over all dashboards (before the protocol coalesced, one frame each). */
  deltasPerSec: number;
  /** Delta frames delivered per second over all dashboards. */
  framesPerSec: number;
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
  /** Background presses/s. */
  loadRate: number;
  p: Plan;
  log: (line: string) => void;
}): Promise<PartResult> {
  const { p, fleet, server, log } = opts;
  // householdId → probe index; per probe: send time; per probe and dashboard: both latencies.
  const probeOf = new Map<number, number>();
  for (let i = 0; i < opts.probeCount; i++) probeOf.set(opts.probeHousehold(opts.probeOffset + i), i);
  const sentAt = new Float64Array(opts.probeCount).fill(Number.NaN);
  const seenMs = new Float64Array(opts.probeCount * opts.dashboards).fill(Number.NaN);
  const onRecordMs = new Float64Array(opts.probeCount * opts.dashboards).fill(Number.NaN);
  let seenSamples = 0;
  let onRecordSamples = 0;
  let reportBeforeReceipt = 0;
  const seen = createHistogram();
  const onRecord = createHistogram();
  const puback = createHistogram();
  let measuring = false;
  let backgroundDeltas = 0;
  let windowDeltas = 0;
  let windowFrames = 0;

  const boards: Dashboard[] = [];
  for (let b = 0; b < opts.dashboards; b++) {
    boards.push(
      await openDashboard(server.httpPort, opts.cookie, (householdId, kind, at, firstOfFrame) => {
        if (measuring) {
          windowDeltas += 1;
          if (firstOfFrame) windowFrames += 1;
        }
        const i = probeOf.get(householdId);
        if (i === undefined) {
          backgroundDeltas += 1;
          return;
        }
        const t0 = sentAt[i] as number;
        if (Number.isNaN(t0) || kind === 'other') return;
        // Each probe household gets one red press, so one receipt `recording` and one report;
        // only the first of each counts should the server ever repeat one.
        const sample = b * opts.probeCount + i;
        if (kind === 'recording') {
          if (!Number.isNaN(seenMs[sample] as number)) return;
          seenMs[sample] = at - t0;
          seenSamples += 1;
          seen.record(at - t0);
        } else {
          if (!Number.isNaN(onRecordMs[sample] as number)) return;
          // Changes are handed over in frame order: a receipt not yet here is behind its report.
          if (Number.isNaN(seenMs[sample] as number)) reportBeforeReceipt += 1;
          onRecordMs[sample] = at - t0;
          onRecordSamples += 1;
          onRecord.record(at - t0);
        }
      }),
    );
  }
  log(`${opts.name}: ${boards.length} dashboard(s) connected`);
  await quietBeforePart(p, opts.name, log);

  // The bench process is watched too, so that 'others' means processes outside the run.
  const loadPromise = backgroundLoad(p, server.mqttUrl, opts.loadClients, opts.loadRate, {
    server: server.pid,
    bench: process.pid,
  });
  let loadError: unknown = null;
  loadPromise.catch((err: unknown) => (loadError = err));

  // Start probing once the background load is flowing through to the dashboards.
  const until = performance.now() + 60_000;
  while (backgroundDeltas < Math.max(50, opts.loadRate / 5) * opts.dashboards) {
    if (loadError !== null) throw loadError;
    if (performance.now() > until) throw new Error(`${opts.name}: background load never reached the dashboards`);
    await new Promise((r) => setTimeout(r, 20));
  }

  const commitsBefore = await commitCounters(server.httpUrl);
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
  const expected = opts.probeCount * boards.length;
  const settleUntil = performance.now() + 2_000;
  while (performance.now() < settleUntil && (seenSamples < expected || onRecordSamples < expected))
    await new Promise((r) => setTimeout(r, 10));
  const windowMs = performance.now() - t0;
  measuring = false;
  const cpuAfter = readProcessCpu(server.pid);
  const bench = process.cpuUsage(benchBefore);
  const commitsAfter = await commitCounters(server.httpUrl);
  const load = await loadPromise;

  for (const b of boards) b.ws.close(1000);
  /** Probes with a sample on at least one dashboard. */
  const probesWith = (ms: Float64Array): number => {
    let n = 0;
    for (let i = 0; i < opts.probeCount; i++)
      if (boards.some((_, b) => !Number.isNaN(ms[b * opts.probeCount + i] as number))) n += 1;
    return n;
  };
  return {
    name: opts.name,
    commits: commitStats(commitsBefore, commitsAfter),
    loadRate: opts.loadRate,
    dashboards: boards.length,
    load,
    seen: seen.summary(),
    onRecord: onRecord.summary(),
    seenMs,
    onRecordMs,
    reportBeforeReceipt,
    puback: puback.summary(),
    probesSent: opts.probeCount,
    probesSeen: probesWith(seenMs),
    probesOnRecord: probesWith(onRecordMs),
    seenMissing: expected - seenSamples,
    onRecordMissing: expected - onRecordSamples,
    deltasPerSec: (windowDeltas / windowMs) * 1000,
    framesPerSec: (windowFrames / windowMs) * 1000,
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
    return await runRelay({
      url: broker.url,
      brokerPid: broker.pid,
      processes: 1,
      publishersPerProcess: 1,
      windowPerClient: 50,
      ratePerSec: p.loadRate,
      warmupMs: p.warmupMs,
      durationMs: p.floorMs,
    });
  } finally {
    await broker.stop();
  }
}

/** Probe presses to the peer carry this `boot` (background presses carry Unix seconds) and their index as `seq`. */
const PEER_PROBE_BOOT = 1;
const PEER_PROBE_MARK = `"boot":${PEER_PROBE_BOOT}}`;

type PeerResult = {
  name: string;
  version: string;
  loadRate: number;
  load: LoadResult;
  /** Probe press sent → its payload arriving on the peer's WebSocket. */
  latency: Summary;
  probesSent: number;
  probesSeen: number;
  messagesPerSec: number;
  peerCpuPercent: number;
  brokerCpuPercent: number;
  benchCpuPercent: number;
};

/**
 * Red to screen through the hobbyist peer: Mosquitto ← the same background load and probe
 * presses (mqtt.js, QoS 1, in this process); Node-RED's flow forwards each payload to one
 * WebSocket client in this process; latency on one clock, as for ours.
 */
async function runPeerPart(opts: {
  red: NodeRedHandle;
  broker: MosquittoHandle;
  loadRate: number;
  loadClients: LoadClient[];
  p: Plan;
  log: (line: string) => void;
}): Promise<PeerResult> {
  const { p, red, broker } = opts;
  const probeCount = Math.ceil((p.probeRate * p.probeMs) / 1000);
  const sentAt = new Float64Array(probeCount).fill(Number.NaN);
  const seen = new Uint8Array(probeCount);
  const latency = createHistogram();
  let background = 0;
  let windowMessages = 0;
  let measuring = false;
  const ws = new WebSocket(red.wsUrl, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data: Buffer) => {
    const at = performance.now();
    if (measuring) windowMessages += 1;
    const text = data.toString('latin1');
    if (!text.endsWith(PEER_PROBE_MARK)) {
      background += 1;
      return;
    }
    const i = (JSON.parse(text) as { seq: number }).seq;
    const t0 = sentAt[i];
    if (t0 === undefined || Number.isNaN(t0) || seen[i]) return;
    seen[i] = 1;
    latency.record(at - t0);
  });
  const probe = await mqtt.connectAsync(broker.url, {
    clientId: `bench-live-probe-${process.pid}`,
    clean: true,
    reconnectPeriod: 0,
  });
  try {
    await quietBeforePart(p, `peer at ${opts.loadRate}/s`, opts.log);
    const loadPromise = backgroundLoad(p, broker.url, opts.loadClients, opts.loadRate, {
      'node-red': red.pid,
      broker: broker.pid,
      bench: process.pid,
    });
    let loadError: unknown = null;
    loadPromise.catch((err: unknown) => (loadError = err));
    const until = performance.now() + 60_000;
    while (background < Math.max(50, opts.loadRate / 5)) {
      if (loadError !== null) throw loadError;
      if (performance.now() > until) throw new Error('peer: background load never reached the WebSocket');
      await new Promise((r) => setTimeout(r, 20));
    }
    const redBefore = readProcessCpu(red.pid);
    const brokerBefore = readProcessCpu(broker.pid);
    const benchBefore = process.cpuUsage();
    const t0 = performance.now();
    measuring = true;
    const interval = 1000 / p.probeRate;
    const presses: Array<Promise<unknown>> = [];
    for (let i = 0; i < probeCount; i++) {
      const wait = t0 + i * interval - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      sentAt[i] = performance.now();
      presses.push(
        probe.publishAsync(`ribbon/bench-probe-${i}/state`, `{"state":"red","seq":${i},"boot":${PEER_PROBE_BOOT}}`, {
          qos: 1,
        }),
      );
    }
    await Promise.all(presses);
    const settleUntil = performance.now() + 2_000;
    while (performance.now() < settleUntil && seen.some((n) => n === 0)) await new Promise((r) => setTimeout(r, 10));
    const windowMs = performance.now() - t0;
    measuring = false;
    const redAfter = readProcessCpu(red.pid);
    const brokerAfter = readProcessCpu(broker.pid);
    const bench = process.cpuUsage(benchBefore);
    const load = await loadPromise;
    return {
      name: 'Node-RED 4 (mqtt in → websocket out)',
      version: red.version,
      loadRate: opts.loadRate,
      load,
      latency: latency.summary(),
      probesSent: probeCount,
      probesSeen: seen.reduce((a, n) => a + n, 0),
      messagesPerSec: (windowMessages / windowMs) * 1000,
      peerCpuPercent: redBefore && redAfter ? cpuPercentBetween(redBefore, redAfter) : Number.NaN,
      brokerCpuPercent: brokerBefore && brokerAfter ? cpuPercentBetween(brokerBefore, brokerAfter) : Number.NaN,
      benchCpuPercent: ((bench.user + bench.system) / 1000 / windowMs) * 100,
    };
  } finally {
    await probe.endAsync().catch(() => undefined);
    ws.terminate();
  }
}

/** The peer at each rate, or why it could not be measured. */
async function measurePeer(
  p: Plan,
  loadClients: LoadClient[],
  log: (line: string) => void,
): Promise<{ runs: PeerResult[]; error: string | null }> {
  if (p.peerRates.length === 0) return { runs: [], error: null };
  const broker = await startMosquitto();
  let red: NodeRedHandle | null = null;
  try {
    red = await startNodeRed({ mqttPort: broker.port });
    const runs: PeerResult[] = [];
    for (const rate of p.peerRates) {
      const r = await runPeerPart({ red, broker, loadRate: rate, loadClients, p, log });
      log(
        `peer: Node-RED ${r.version} at ${rate}/s, ${r.probesSeen}/${r.probesSent} probes seen, latency p50 ${formatCell(r.latency.p50)} ms ` +
          `p99 ${formatCell(r.latency.p99)} ms max ${formatCell(r.latency.max)} ms; Node-RED ${Math.round(r.peerCpuPercent)} % CPU, ` +
          `Mosquitto ${Math.round(r.brokerCpuPercent)} %, bench ${Math.round(r.benchCpuPercent)} %, others ${Math.round(r.load.machine.othersPercent)} %`,
      );
      runs.push(r);
    }
    return { runs, error: null };
  } catch (err) {
    log(`peer: Node-RED not measured: ${(err as Error).message}`);
    return { runs: [], error: (err as Error).message };
  } finally {
    if (red) await red.stop();
    await broker.stop();
  }
}

export type LiveBenchResult = {
  floor: RelayResult;
  redToScreen: PartResult;
  /** Red to screen at the other peer rates (100/s): empty in smoke mode. */
  redToScreenAt: PartResult[];
  /** Null with `redOnly`. */
  fanOut: PartResult | null;
  peer: { runs: PeerResult[]; error: string | null };
};

/** A p99 as a multiple of the floor's p99, to one decimal. */
function floorRatio(ms: number, floorP99: number): number {
  return Number((ms / floorP99).toFixed(1));
}

function describeLatency(label: string, s: Summary, missing: number, floorP99: number): string {
  return (
    `${label} p50 ${formatCell(s.p50)} ms p99 ${formatCell(s.p99)} ms max ${formatCell(s.max)} ms ` +
    `(${floorRatio(s.p99, floorP99)}× the floor's p99; n ${s.n}, missing ${missing})`
  );
}

function describePart(r: PartResult, floorP99: number): string {
  return (
    `${r.name} at ${r.loadRate}/s: ${r.dashboards} dashboard(s), ${r.probesSeen}/${r.probesSent} probes seen, ` +
    `${r.probesOnRecord}/${r.probesSent} on record; ${describeLatency('seen (receipt, before the commit)', r.seen, r.seenMissing, floorP99)}; ` +
    `${describeLatency('on record (report, after the commit)', r.onRecord, r.onRecordMissing, floorP99)}; ` +
    `report before its receipt ${r.reportBeforeReceipt}; PUBACK p50 ${formatCell(r.puback.p50)} ms p99 ${formatCell(r.puback.p99)} ms; ` +
    `commits: ${r.commits.batches} of ${formatCell(r.commits.meanBatch)} presses, ${formatCell(r.commits.meanMs)} ms mean, ` +
    `${Math.round(r.commits.underMsShare * 100)} % under 1 ms; ` +
    `WAL syncs: ${r.commits.syncs}, ${formatCell(r.commits.syncMeanMs)} ms mean, ${Math.round(r.commits.syncUnderMsShare * 100)} % under 1 ms; ` +
    `${Math.round(r.deltasPerSec)} deltas/s delivered in ${Math.round(r.framesPerSec)} frames/s; load ${Math.round(r.load.ackedPerSec)} presses/s acked; ` +
    `server ${Math.round(r.serverCpuPercent)} % CPU, bench process ${Math.round(r.benchCpuPercent)} %, generator ` +
    `${r.load.generators.map((g) => Math.round(g.cpuPercent)).join('/')} %, others ${Math.round(r.load.machine.othersPercent)} %; seq gaps ${r.gaps}, abnormal closes ${r.closes}`
  );
}

/**
 * The verdict (DESIGN §5: p99 within 10× the floor's p99) is on "seen", what a screen shows
 * first; "on record" (the press on disk, its alert raised) is given beside it with its ratio.
 */
function redToScreenVerdict(
  r: PartResult,
  floorP99: number,
  opts: { strong?: (text: string) => string; contended?: string } = {},
): string {
  const strong = opts.strong ?? ((t: string) => t);
  return (
    `Red to screen at ${r.loadRate.toLocaleString('en-US')}/s: seen p99 ${strong(`${formatCell(r.seen.p99)} ms`)} = ${strong(`${floorRatio(r.seen.p99, floorP99)}×`)} ` +
    `the floor's p99 (${formatCell(floorP99)} ms); target ≤ 10×: ${r.seen.p99 <= 10 * floorP99 ? 'met' : 'MISSED'}${opts.contended ?? ''}. ` +
    `On record (not the target's measure) p99 ${formatCell(r.onRecord.p99)} ms = ${floorRatio(r.onRecord.p99, floorP99)}× the floor's p99`
  );
}

export async function benchLive(opts: {
  smoke: boolean;
  log?: (line: string) => void;
  appendResults?: boolean;
  /** Profile the server: `--cpu-prof` into this directory (written when it stops on SIGTERM). */
  cpuProfDir?: string;
  /** Only the floor and red to screen (every rate): no peer, no fan-out, nothing appended. */
  redOnly?: boolean;
}): Promise<LiveBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const p = opts.redOnly === true ? { ...plan(opts.smoke), dashboards: 1 } : plan(opts.smoke);
  if (!opts.smoke) {
    const quiet = await waitForQuietMachine({ maxBusyPercent: 25, timeoutMs: 30_000 });
    if (!quiet.quiet)
      log(
        `warning: machine still ${Math.round(quiet.busyPercent)} % busy after ${Math.round(quiet.waitedMs / 1000)} s: figures are contended`,
      );
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
    const otherRates = p.peerRates.filter((r) => r !== p.loadRate);
    const prov = provision(dataDir, p.loadDevices, probesPerPart * (2 + otherRates.length));
    // The peer first, alone on the machine (our server is not started yet); same load clients.
    const peer = opts.redOnly === true ? { runs: [], error: null } : await measurePeer(p, prov.load, log);
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: {
        LOG_LEVEL: 'info',
        ADMIN_PASSWORD,
        MQTT_CONNECT_BURST: '100000',
        MQTT_CONNECT_RATE: '100000',
        // Node refuses --cpu-prof in NODE_OPTIONS; a preloaded module runs the same sampler.
        ...(opts.cpuProfDir !== undefined
          ? {
              NODE_OPTIONS: `--import ${pathToFileURL(PROFILE_PRELOAD).href}`,
              RIBBON_CPU_PROF_DIR: path.resolve(opts.cpuProfDir),
            }
          : {}),
      },
    });
    const cookie = await loginOverHttp(server.httpUrl, 'admin', ADMIN_PASSWORD);
    fleet = await startLightFleet({
      host: '127.0.0.1',
      port: server.mqttPort,
      devices: prov.probes,
      onWarning: log,
      onError: (i, err) => log(`probe device ${i}: ${err.message}`),
    });
    if (fleet.report.connected !== prov.probes.length)
      throw new Error(`only ${fleet.report.connected}/${prov.probes.length} probe devices connected`);
    const probeHousehold = (i: number): number => (prov.probes[i] as DeviceCredential).householdId;
    const common = { server, cookie, fleet, probeCount: probesPerPart, probeHousehold, loadClients: prov.load, p, log };
    const floorP99 = floor.receiveLatency.p99;
    const redToScreen = await runPart({
      ...common,
      name: 'red to screen',
      dashboards: 1,
      probeOffset: 0,
      loadRate: p.loadRate,
    });
    log(describePart(redToScreen, floorP99));
    log(redToScreenVerdict(redToScreen, floorP99));
    const redToScreenAt: PartResult[] = [];
    for (const [k, rate] of otherRates.entries()) {
      const r = await runPart({
        ...common,
        name: 'red to screen',
        dashboards: 1,
        probeOffset: probesPerPart * (2 + k),
        loadRate: rate,
      });
      log(describePart(r, floorP99));
      redToScreenAt.push(r);
    }
    if (opts.redOnly === true) return { floor, redToScreen, redToScreenAt, fanOut: null, peer };
    const fanOut = await runPart({
      ...common,
      name: 'fan-out',
      dashboards: p.dashboards,
      probeOffset: probesPerPart,
      loadRate: p.loadRate,
    });
    log(describePart(fanOut, floorP99));
    const result = { floor, redToScreen, redToScreenAt, fanOut, peer };
    if (!opts.smoke && opts.appendResults !== false && opts.cpuProfDir === undefined)
      appendResults(await section(result, fanOut, p));
    return result;
  } finally {
    if (fleet) await fleet.close(3_000);
    if (server) await server.kill('SIGTERM').catch(() => undefined);
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A verdict whose inputs ran beside other work (others CPU over 25 % of a core) says so. */
function contendedNote(othersPercents: number[]): string {
  const worst = Math.max(...othersPercents.filter(Number.isFinite));
  return worst > 25 ? ` — not a fair verdict: others used up to ${Math.round(worst)} % of a core meanwhile` : '';
}

async function section(r: LiveBenchResult, fanOut: PartResult, p: Plan) {
  const floorP99 = r.floor.receiveLatency.p99;
  const ratio = (v: number): number => floorRatio(v, floorP99);
  // "seen" columns: what a screen shows first (ours: the receipt; the peer: its payload; the
  // floor: the message at the subscriber). "on record" columns: ours only (the report, after the commit).
  const row = (x: PartResult) => ({
    run: `ours: ${x.name}, ${x.dashboards} dashboard(s), load ${x.loadRate.toLocaleString('en-US')}/s`,
    'seen p50 ms': x.seen.p50,
    'seen p99 ms': x.seen.p99,
    'seen max ms': x.seen.max,
    'seen p99 / floor p99': ratio(x.seen.p99),
    'on record p50 ms': x.onRecord.p50,
    'on record p99 ms': x.onRecord.p99,
    'on record max ms': x.onRecord.max,
    'on record p99 / floor p99': ratio(x.onRecord.p99),
    // The PUBACK leaves after the press is committed (fsync): on record − PUBACK ≈ commit → dashboard.
    'PUBACK p50 / p99 ms': `${formatCell(x.puback.p50)} / ${formatCell(x.puback.p99)}`,
    'commit: presses / mean ms': `${formatCell(x.commits.meanBatch)} / ${formatCell(x.commits.meanMs)}`,
    'samples (seen / on record)': `${formatCell(x.seen.n)} / ${formatCell(x.onRecord.n)}`,
    'missing (seen / on record)': `${x.seenMissing} / ${x.onRecordMissing}`,
    'report before receipt': x.reportBeforeReceipt,
    'deltas/s delivered': Math.round(x.deltasPerSec),
    'frames/s': Math.round(x.framesPerSec),
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
      x.benchCpuPercent >= 90 && !saturatedProcesses(x.load).some((s) => s.startsWith('bench'))
        ? `bench (${Math.round(x.benchCpuPercent)} %)`
        : '',
      // The watched server figure in saturatedProcesses covers the load window; ours the probe window.
      x.serverCpuPercent >= 90 && !saturatedProcesses(x.load).some((s) => s.startsWith('server'))
        ? `server (${Math.round(x.serverCpuPercent)} %)`
        : '',
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
      `each on a household of its own (each a new emergency). Two latencies per probe press, from performance.now() before the ` +
      `PUBLISH is written, on one clock in one process. Seen = → that household's \`receipt\` change with status \`recording\` ` +
      `arriving on a dashboard: the server sends it as soon as it has read the press (a red, from a known device, not a ` +
      `redelivery), BEFORE the press is committed, so nothing is on disk yet; it is what a screen shows first. On record = → that ` +
      `household's \`report\` change, which the server sends only after the group commit that writes the press and opens its ` +
      `emergency alert has been fsync'd (SQLite synchronous=FULL); its \`alert\` change and the receipt's \`recorded\` follow in ` +
      `the same frame or a later one. The target (p99 ≤ 10× the floor's p99) is judged on seen; on record is given beside it with ` +
      `its own ratio. Sections whose method names one latency (before the receipts of commit 410a3bd) measured it to the ` +
      `household's first change, which was then its report: what on record measures. Report before receipt = samples in which a ` +
      `report arrived before its receipt \`recording\` (or without one). PUBACK: the same press → its PUBACK, ` +
      `which the server sends once the press is committed; commit: presses per group commit and its mean duration, fsync ` +
      `included, from the server's ribbon_commit_* histograms on GET /metrics over the probe window. The fan-out part records both ` +
      `latencies on every dashboard (${p.dashboards} sharing one admin session). Deltas/s = changes received over all dashboards in the probe window / ` +
      `its length; frames/s = delta frames likewise (a frame holds the changes of one event-loop turn; before 2026-11-25 one each). ` +
      `Others CPU % = machine busy − softirq − server, bench, generator (before 2026-11-25 it counted the bench process too). Floor, same run: Mosquitto ${version} (nodelay, no persistence, unlimited queues) relaying 100-byte ` +
      `QoS 1 messages publisher → subscriber at ${p.loadRate.toLocaleString('en-US')}/s (bench/lib/relay.ts), publish → receive ` +
      'latency (in the seen columns). CPU % = CPU time / wall time, 100 = one core (server and bench: the probe window; generator: its window).' +
      (p.peerRates.length > 0
        ? ` Peer (DESIGN §5), run first, alone: Node-RED ${r.peer.runs[0]?.version ?? '4'} (bench/peers/node-red, editor off, logs at warn) ` +
          `with one flow, \`mqtt in\` (ribbon/+/state, QoS 1, auto-detect) → \`websocket out\` (payload only), fed by its own ` +
          `Mosquitto ${version} (same configuration as the floor); the same ${p.loadDevices} load clients at ` +
          `${p.peerRates.map((x) => x.toLocaleString('en-US')).join(' and ')}/s; probes: an mqtt.js client in the bench process ` +
          `publishing red QoS 1 at ${p.probeRate}/s; latency = performance.now() before publish → the payload on a \`ws\` client ` +
          `in the bench process (in the seen columns: it is what the peer's screen shows, and all it shows). Ours is measured at the ` +
          'same rates (one dashboard) and compared on both. The peer writes nothing to disk and checks no device; ours checks the ' +
          'device before the receipt (seen), and commits each press to SQLite (synchronous=FULL) and raises an emergency before the ' +
          'report (on record).'
        : ''),
    rows: [
      row(r.redToScreen),
      ...r.redToScreenAt.map(row),
      ...r.peer.runs.map((x) => ({
        run: `peer: ${x.name}, 1 client, load ${x.loadRate.toLocaleString('en-US')}/s`,
        'seen p50 ms': x.latency.p50,
        'seen p99 ms': x.latency.p99,
        'seen max ms': x.latency.max,
        'seen p99 / floor p99': ratio(x.latency.p99),
        'samples (seen / on record)': formatCell(x.latency.n),
        'missing (seen / on record)': `${x.probesSent - x.probesSeen}`,
        'deltas/s delivered': Math.round(x.messagesPerSec),
        'frames/s': Math.round(x.messagesPerSec),
        'load acked/s': Math.round(x.load.ackedPerSec),
        'server CPU %': `${Math.round(x.peerCpuPercent)} (+ Mosquitto ${Math.round(x.brokerCpuPercent)})`,
        'bench CPU %': Math.round(x.benchCpuPercent),
        'generator CPU %': x.load.generators.map((g) => Math.round(g.cpuPercent)).join(' / '),
        'others CPU %': Math.round(x.load.machine.othersPercent),
      })),
      row(fanOut),
      {
        run: 'floor: Mosquitto publish → subscriber',
        'seen p50 ms': r.floor.receiveLatency.p50,
        'seen p99 ms': floorP99,
        'seen max ms': r.floor.receiveLatency.max,
        'seen p99 / floor p99': 1,
        'samples (seen / on record)': formatCell(r.floor.receiveLatency.n),
        'load acked/s': Math.round(r.floor.ackedPerSec),
        'server CPU %': Math.round(r.floor.brokerCpuPercent),
        'generator CPU %': r.floor.generators.map((g) => Math.round(g.cpuPercent)).join(' / '),
        'others CPU %': Math.round(r.floor.machine.othersPercent),
      },
    ],
    notes: [
      `${redToScreenVerdict(r.redToScreen, floorP99, {
        strong: (t) => `**${t}**`,
        contended: contendedNote([r.floor.machine.othersPercent, r.redToScreen.load.machine.othersPercent]),
      })}.`,
      `Fan-out: **${Math.round(fanOut.deltasPerSec).toLocaleString('en-US')} deltas/s** (changes) delivered to ${fanOut.dashboards} dashboards ` +
        `in ${Math.round(fanOut.framesPerSec).toLocaleString('en-US')} frames/s, ` +
        `seen p99 ${formatCell(fanOut.seen.p99)} ms, on record p99 ${formatCell(fanOut.onRecord.p99)} ms.`,
      ...r.peer.runs
        .map((x) => {
          const ours = [r.redToScreen, ...r.redToScreenAt].find((o) => o.loadRate === x.loadRate);
          return ours
            ? `At ${x.loadRate.toLocaleString('en-US')}/s: Node-RED p50 ${formatCell(x.latency.p50)} / p99 ${formatCell(x.latency.p99)} ms; ` +
                `ours seen p50 ${formatCell(ours.seen.p50)} / p99 ${formatCell(ours.seen.p99)} ms, p99 ` +
                `${formatCell(ours.seen.p99 / x.latency.p99)}× the peer's (target: no worse, ≤ 1×: ${ours.seen.p99 <= x.latency.p99 ? 'met' : 'MISSED'}` +
                `${contendedNote([x.load.machine.othersPercent, ours.load.machine.othersPercent])}); ` +
                `ours on record p50 ${formatCell(ours.onRecord.p50)} / p99 ${formatCell(ours.onRecord.p99)} ms, p99 ` +
                `${formatCell(ours.onRecord.p99 / x.latency.p99)}× the peer's (no verdict: the peer has no commit to wait for).`
            : '';
        })
        .filter(Boolean),
      ...(r.peer.error !== null ? [`Peer Node-RED not measured: ${r.peer.error}`] : []),
      `At ≥ 90 % of a core: red to screen: ${saturated(r.redToScreen)}; fan-out: ${saturated(fanOut)}.`,
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const profAt = process.argv.indexOf('--cpu-prof');
  const cpuProfDir = profAt >= 0 ? process.argv[profAt + 1] : undefined;
  if (profAt >= 0 && (cpuProfDir === undefined || cpuProfDir.startsWith('--')))
    throw new Error('--cpu-prof needs a directory');
  benchLive({
    smoke: process.argv.includes('--smoke'),
    redOnly: process.argv.includes('--red-only'),
    ...(cpuProfDir !== undefined ? { cpuProfDir } : {}),
  }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
