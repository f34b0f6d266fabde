// The hobbyist peer (docs/design.md §5): red to screen through Node-RED 4 on its own Mosquitto,
// under the same background load as ours, timed on the same clock.
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { backgroundLoad, quietBeforePart, type Plan } from './live-plan.js';
import type { LoadClient, LoadResult } from './loadgen.js';
import { startMosquitto, type MosquittoHandle } from './mosquitto.js';
import { startNodeRed, type NodeRedHandle } from './node-red.js';
import { cpuPercentBetween, readProcessCpu } from './proc-stat.js';
import { formatCell } from './results.js';
import { createHistogram, type Summary } from './stats.js';

/** Probe presses to the peer carry this `boot` (background presses carry Unix seconds) and their index as `seq`. */
const PEER_PROBE_BOOT = 1;
const PEER_PROBE_MARK = `"boot":${PEER_PROBE_BOOT}}`;

export type PeerResult = {
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
export async function measurePeer(
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
