// Messages between the load generator parent (loadgen.ts) and its child processes
// (loadgen-worker.ts), carried over the Node IPC channel.
import type { HistogramData } from './stats.js';

/**
 * - `ribbon-state`: `{"state":"blue","seq":N,"boot":B}` — what a button publishes (seq counts
 *   per client from 1; boot is fixed per run), ~40 bytes.
 * - `bytes100`: exactly 100 bytes of JSON whose first field is the send time, so a subscriber
 *   can measure publish → receive: `{"t":"<20-digit CLOCK_MONOTONIC ns>","c":i,"s":N,"p":"xx…"}`.
 *   process.hrtime is CLOCK_MONOTONIC on Linux, one clock for every process on the machine, so
 *   the receiver may live in another process.
 */
export type PayloadKind = 'ribbon-state' | 'bytes100';

export interface LoadClient {
  clientId: string;
  username?: string;
  password?: string;
  /** Topic this client publishes to. */
  topic: string;
  /** Source address to bind (127.0.0.x), to get past 28k ports per address pair. */
  localAddress?: string;
}

/**
 * A QoS 1 subscriber inside each generator process: `own-topics` subscribes to exactly the
 * topics of that process's publishers (so each message is received once, by the process that
 * sent it, and loss can be counted); `{filter}` subscribes every process to the same filter.
 */
export type SubscribeSpec = 'own-topics' | { filter: string };

export interface WorkerConfig {
  index: number;
  url: string;
  clients: LoadClient[];
  windowPerClient: number;
  warmupMs: number;
  /** Length of the measured window; sending stops at its end. */
  durationMs: number;
  /** This process's cap on messages sent (warm-up included); null = no cap. */
  maxMessages: number | null;
  /** This process's share of the total rate; null = as fast as the windows allow. */
  ratePerSec: number | null;
  payload: PayloadKind;
  boot: number;
  subscribe: SubscribeSpec | null;
  subscriberClientId: string;
  connectTimeoutMs: number;
  drainTimeoutMs: number;
  connectConcurrency: number;
}

export interface WorkerResult {
  index: number;
  pid: number;
  clients: number;
  connectMs: number;
  /** Totals over the whole run: warm-up, window and drain. */
  sent: number;
  acked: number;
  received: number;
  publishErrors: number;
  clientErrors: string[];
  disconnects: number;
  /** Still unacknowledged when the drain timed out (0 on a clean run). */
  unacked: number;
  /** Measured window: events that happened inside it, divided by its length. */
  windowMs: number;
  windowSent: number;
  windowAcked: number;
  windowReceived: number;
  /** Latencies of messages published inside the window. */
  pubackLatency: HistogramData;
  receiveLatency: HistogramData;
  /** Fixed-rate mode: most messages that were due but waited for a free window slot. */
  maxBehind: number;
  /** This process's CPU time inside the window, and as % of one core. */
  cpuUserMs: number;
  cpuSystemMs: number;
  cpuPercent: number;
}

export type ToWorker = { type: 'run'; config: WorkerConfig } | { type: 'start' };

export type FromWorker =
  | { type: 'ready'; connectMs: number }
  | { type: 'window-start' }
  | { type: 'window-end' }
  | { type: 'result'; result: WorkerResult }
  | { type: 'error'; message: string };
