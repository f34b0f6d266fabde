// One measured part on our server (red to screen or fan-out): dashboards open, the background
// load flowing through to them, then red probe presses from the light engine in this process, each
// timed to its receipt `recording` ("seen", before the commit) and its report ("on record", after
// it) on every dashboard, on one clock.
import type { LightFleet } from '../../device-sim/light.js';
import type { ChildServer } from '../../test/helpers/child-server-core.js';
import { commitCounters, commitStats, type CommitStats } from './commit-metrics.js';
import { openDashboard, type Dashboard } from './live-dashboard.js';
import { backgroundLoad, quietBeforePart, type Plan } from './live-plan.js';
import type { LoadClient, LoadResult } from './loadgen.js';
import { cpuPercentBetween, readProcessCpu } from './proc-stat.js';
import { createHistogram, type Summary } from './stats.js';

export type PartResult = {
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

export async function runPart(opts: {
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
