// The floor: a broker relaying QoS 1 messages from publishers to a QoS 1 subscriber, with
// nothing written to disk. Each generator process holds its publishers and one subscriber to
// exactly their topics, so publish → receive latency is read on one clock and loss is countable.
import type { LoadClient, LoadResult } from './loadgen.js';
import { runLoad } from './loadgen.js';

export interface RelayOptions {
  /** mqtt://127.0.0.1:<port> of the broker under test (Mosquitto for the floor). */
  url: string;
  /** Broker pid, for its CPU % over the window (omit if it is not a separate process). */
  brokerPid?: number;
  /** Generator processes (each: publishers + one subscriber). Default 1. */
  processes?: number;
  /** Default 1: one publisher and one subscriber per process, the "two clients" of docs/design.md §5. */
  publishersPerProcess?: number;
  /** QoS 1 messages each publisher may have awaiting PUBACK. Default 100. */
  windowPerClient?: number;
  durationMs: number;
  warmupMs?: number;
  /** Total over all processes; omitted = full speed. */
  ratePerSec?: number;
  /** Total cap on messages (warm-up included). */
  count?: number;
  drainTimeoutMs?: number;
}

export interface RelayResult extends LoadResult {
  mode: 'full speed' | 'fixed rate';
  /** Broker CPU over the window, % of one core (NaN when no pid was given or readable). */
  brokerCpuPercent: number;
}

export function relayClients(processes: number, publishersPerProcess: number, tag: string): LoadClient[] {
  return Array.from({ length: processes * publishersPerProcess }, (_, i) => ({
    clientId: `bench-pub-${tag}-${i}`,
    topic: `bench/relay/${tag}/${i}`,
  }));
}

export async function runRelay(opts: RelayOptions): Promise<RelayResult> {
  const processes = opts.processes ?? 1;
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const load = await runLoad({
    url: opts.url,
    clients: relayClients(processes, opts.publishersPerProcess ?? 1, tag),
    processes,
    windowPerClient: opts.windowPerClient ?? 100,
    durationMs: opts.durationMs,
    payload: 'bytes100',
    subscribe: 'own-topics',
    ...(opts.warmupMs !== undefined ? { warmupMs: opts.warmupMs } : {}),
    ...(opts.ratePerSec !== undefined ? { ratePerSec: opts.ratePerSec } : {}),
    ...(opts.count !== undefined ? { count: opts.count } : {}),
    ...(opts.drainTimeoutMs !== undefined ? { drainTimeoutMs: opts.drainTimeoutMs } : {}),
    ...(opts.brokerPid !== undefined ? { watch: { broker: opts.brokerPid } } : {}),
  });
  return {
    ...load,
    mode: opts.ratePerSec === undefined ? 'full speed' : 'fixed rate',
    brokerCpuPercent: load.watched.find((w) => w.name === 'broker')?.cpuPercent ?? Number.NaN,
  };
}
