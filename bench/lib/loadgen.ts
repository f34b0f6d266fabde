// Load generator: spreads MQTT publishers over N child processes (one mqtt.js process saturates
// near 60k msg/s on this machine, so the caller chooses N), starts them together, and merges
// what they measured. See loadgen-worker.ts for what one process does.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  FromWorker,
  LoadClient,
  PayloadKind,
  SubscribeSpec,
  ToWorker,
  WorkerConfig,
  WorkerResult,
} from './loadgen-protocol.js';
import os from 'node:os';
import {
  cpuPercentBetween,
  machineCpuBetween,
  readMachineCpu,
  readProcessCpu,
  readProcessRss,
  type CpuSample,
  type MachineCpuSample,
} from './proc-stat.js';
import { createHistogram, type Summary } from './stats.js';

export type { LoadClient, PayloadKind, SubscribeSpec } from './loadgen-protocol.js';

const WORKER = fileURLToPath(new URL('./loadgen-worker.ts', import.meta.url));
// Children resolve `--import tsx` from their cwd: the project root, wherever we were started.
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunLoadOptions {
  /** mqtt://127.0.0.1:<port> */
  url: string;
  /** Publishers, dealt round-robin to the processes. */
  clients: LoadClient[];
  processes: number;
  /** QoS 1 messages each client may have awaiting PUBACK. */
  windowPerClient: number;
  /** Measured window, after the warm-up; sending stops at its end. */
  durationMs: number;
  /** Total rate over all processes; omitted = as fast as the windows allow. */
  ratePerSec?: number;
  /** Total cap on messages sent (warm-up included), split over the processes. */
  count?: number;
  payload: PayloadKind;
  /** Sending before the window opens, not measured (JIT, buffers, broker caches). Default 0. */
  warmupMs?: number;
  /** A QoS 1 subscriber in each process (see SubscribeSpec). */
  subscribe?: SubscribeSpec;
  /** Other processes whose CPU % over the window (and RSS at its end) to report: name → pid. */
  watch?: Record<string, number>;
  /** `boot` in ribbon-state payloads. Default: Unix seconds now. */
  boot?: number;
  /** Per client. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Connects in flight at once, per process. Default 100. */
  connectConcurrency?: number;
  /** Bound on waiting for outstanding PUBACKs/deliveries after the window. Default 5,000 ms. */
  drainTimeoutMs?: number;
  /** Bound on spawn + connecting everything. Default 30 s plus 2 ms per client. */
  readyTimeoutMs?: number;
}

export interface GeneratorStats {
  index: number;
  pid: number;
  clients: number;
  connectMs: number;
  windowMs: number;
  ackedPerSec: number;
  receivedPerSec: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** CPU time / wall time inside the window, % of one core: ~100 means this process was the limit. */
  cpuPercent: number;
}

export interface WatchedStats {
  name: string;
  pid: number;
  /** Over the measured window, % of one core; NaN if the process could not be read. */
  cpuPercent: number;
  rssBytes: number | null;
}

export interface LoadResult {
  processes: number;
  clients: number;
  windowPerClient: number;
  ratePerSec: number | null;
  /** Whole run (warm-up, window, drain), all processes. */
  sent: number;
  acked: number;
  received: number;
  unacked: number;
  publishErrors: number;
  disconnects: number;
  clientErrors: string[];
  /** With subscribe 'own-topics': acknowledged but never received; otherwise null. */
  lost: number | null;
  /** Mean length of the processes' measured windows. */
  durationMs: number;
  /** Sums over processes of (events inside the window / window length). */
  sentPerSec: number;
  ackedPerSec: number;
  receivedPerSec: number;
  /** publish() → PUBACK callback, messages sent inside the window. */
  pubackLatency: Summary;
  /** publish() → subscriber 'message' event (bytes100 payloads only; n = 0 otherwise). */
  receiveLatency: Summary;
  maxBehind: number;
  generators: GeneratorStats[];
  watched: WatchedStats[];
  /**
   * Whole machine over the window, % of one core (cores × 100 = every core busy). When no
   * process reaches 100 % but this is near the top, the machine itself (processes plus kernel
   * networking, much of it softirq on loopback) is the limit.
   */
  machine: {
    cores: number;
    busyPercent: number;
    softirqPercent: number;
    stealPercent: number;
    /**
     * busy − softirq − watched − generators: CPU used by processes that are not part of the run
     * (another test suite on the same machine). Approximate (windows differ by an IPC hop); more
     * than a few % means the figures are contended.
     */
    othersPercent: number;
  };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // rejections are observed where awaited; never unhandled
  return { promise, resolve, reject };
}

interface Worker {
  index: number;
  child: ChildProcess;
  ready: Deferred<void>;
  result: Deferred<WorkerResult>;
  exited: Promise<void>;
  /** True once its result arrived (it then closes its clients and exits by itself). */
  reported: boolean;
}

function spawnWorker(index: number, hooks: { windowStart(): void; windowEnd(): void }): Worker {
  const child = fork(WORKER, [], {
    cwd: PROJECT_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const ready = deferred<void>();
  const result = deferred<WorkerResult>();
  const fail = (err: Error): void => {
    ready.reject(err);
    result.reject(err);
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      // After a result this is a no-op (a settled promise ignores later rejects).
      fail(new Error(`load generator ${index} exited (${signal ?? `code ${code}`}) before reporting`));
      resolve();
    });
  });
  const worker: Worker = { index, child, ready, result, exited, reported: false };
  child.on('error', (err) => fail(new Error(`load generator ${index}: ${err.message}`)));
  child.on('message', (message: FromWorker) => {
    switch (message.type) {
      case 'ready':
        ready.resolve();
        break;
      case 'window-start':
        hooks.windowStart();
        break;
      case 'window-end':
        hooks.windowEnd();
        break;
      case 'result':
        worker.reported = true;
        result.resolve(message.result);
        break;
      case 'error':
        fail(new Error(`load generator ${index}: ${message.message}`));
        break;
      default: {
        const never: never = message;
        fail(new Error(`load generator ${index}: unknown message ${JSON.stringify(never)}`));
      }
    }
  });
  return worker;
}

function post(worker: Worker, message: ToWorker): void {
  if (worker.child.connected) worker.child.send(message);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Splits `total` into `parts` integers that differ by at most one. */
function split(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

export async function runLoad(opts: RunLoadOptions): Promise<LoadResult> {
  const processes = opts.processes;
  if (!Number.isInteger(processes) || processes < 1) throw new RangeError(`processes must be ≥ 1, got ${processes}`);
  if (opts.clients.length < processes) {
    throw new RangeError(`${opts.clients.length} clients cannot feed ${processes} processes`);
  }
  if (!Number.isInteger(opts.windowPerClient) || opts.windowPerClient < 1) {
    throw new RangeError(`windowPerClient must be ≥ 1, got ${opts.windowPerClient}`);
  }
  if (!(opts.durationMs > 0)) throw new RangeError(`durationMs must be > 0, got ${opts.durationMs}`);
  if (opts.ratePerSec !== undefined && !(opts.ratePerSec > 0)) {
    throw new RangeError(`ratePerSec must be > 0, got ${opts.ratePerSec}`);
  }
  const host = new URL(opts.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new Error(`benchmarks target 127.0.0.1 only, got ${opts.url}`);
  }

  const warmupMs = opts.warmupMs ?? 0;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 5_000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000 + 2 * opts.clients.length;
  const boot = opts.boot ?? Math.floor(Date.now() / 1000);
  const runTag = `${process.pid}-${Date.now().toString(36)}`;

  const watchedNames = Object.entries(opts.watch ?? {});
  let watchedBefore: Array<CpuSample | null> = [];
  let watchedAfter: Array<CpuSample | null> = [];
  // Fields, not `let`s: assigned in IPC callbacks, which TypeScript's narrowing does not see.
  const machineSamples: { before: MachineCpuSample | null; after: MachineCpuSample | null } = {
    before: null,
    after: null,
  };
  let windowsStarted = 0;
  let windowsEnded = 0;
  const hooks = {
    windowStart(): void {
      // The first window to open starts the watch: processes open theirs within an IPC hop.
      if (windowsStarted++ === 0) {
        watchedBefore = watchedNames.map(([, pid]) => readProcessCpu(pid));
        machineSamples.before = readMachineCpu();
      }
    },
    windowEnd(): void {
      if (++windowsEnded === processes) {
        watchedAfter = watchedNames.map(([, pid]) => readProcessCpu(pid));
        machineSamples.after = readMachineCpu();
      }
    },
  };

  const workers: Worker[] = [];
  try {
    for (let i = 0; i < processes; i++) workers.push(spawnWorker(i, hooks));
    for (const worker of workers) {
      const i = worker.index;
      const maxMessages = opts.count === undefined ? null : split(opts.count, processes, i);
      const config: WorkerConfig = {
        index: i,
        url: opts.url,
        clients: opts.clients.filter((_, k) => k % processes === i),
        windowPerClient: opts.windowPerClient,
        warmupMs,
        durationMs: opts.durationMs,
        maxMessages,
        ratePerSec: opts.ratePerSec === undefined ? null : opts.ratePerSec / processes,
        payload: opts.payload,
        boot,
        subscribe: opts.subscribe ?? null,
        subscriberClientId: `bench-sub-${runTag}-${i}`,
        connectTimeoutMs,
        drainTimeoutMs,
        connectConcurrency: opts.connectConcurrency ?? 100,
      };
      post(worker, { type: 'run', config });
    }
    await withTimeout(Promise.all(workers.map((w) => w.ready.promise)), readyTimeoutMs, 'load generators connecting');
    for (const worker of workers) post(worker, { type: 'start' });
    const results = await withTimeout(
      Promise.all(workers.map((w) => w.result.promise)),
      warmupMs + opts.durationMs + drainTimeoutMs + 30_000,
      'load generators running',
    );
    if (watchedAfter.length === 0) watchedAfter = watchedNames.map(([, pid]) => readProcessCpu(pid));
    const watched = watchedNames.map(([name, pid], k): WatchedStats => {
      const before = watchedBefore[k] ?? null;
      const after = watchedAfter[k] ?? null;
      return {
        name,
        pid,
        cpuPercent: before && after ? cpuPercentBetween(before, after) : Number.NaN,
        rssBytes: readProcessRss(pid),
      };
    });
    const cores = os.cpus().length;
    const { before: machineBefore, after: machineAfter } = machineSamples;
    const between =
      machineBefore && machineAfter
        ? machineCpuBetween(machineBefore, machineAfter, cores)
        : { busyPercent: Number.NaN, softirqPercent: Number.NaN, stealPercent: Number.NaN };
    const ours =
      watched.reduce((acc, w) => acc + (Number.isFinite(w.cpuPercent) ? w.cpuPercent : 0), 0) +
      results.reduce((acc, r) => acc + (Number.isFinite(r.cpuPercent) ? r.cpuPercent : 0), 0);
    const othersPercent = Math.max(0, between.busyPercent - between.softirqPercent - ours);
    return aggregate(opts, results, watched, { cores, ...between, othersPercent });
  } finally {
    await Promise.all(workers.map((w) => stopWorker(w)));
  }
}

/** A worker that reported exits on its own: give it 2 s, then SIGKILL. Any other: SIGKILL now. */
async function stopWorker(worker: Worker): Promise<void> {
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (!worker.reported) child.kill('SIGKILL');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await Promise.race([worker.exited, new Promise((resolve) => setTimeout(resolve, 4_000).unref())]);
  clearTimeout(timer);
}

function aggregate(
  opts: RunLoadOptions,
  results: WorkerResult[],
  watched: WatchedStats[],
  machine: LoadResult['machine'],
): LoadResult {
  const puback = createHistogram();
  const receive = createHistogram();
  const sum = (f: (r: WorkerResult) => number): number => results.reduce((acc, r) => acc + f(r), 0);
  const perSec = (events: number, windowMs: number): number => (windowMs > 0 ? (events / windowMs) * 1000 : Number.NaN);
  for (const r of results) {
    puback.merge(r.pubackLatency);
    receive.merge(r.receiveLatency);
  }
  const acked = sum((r) => r.acked);
  const received = sum((r) => r.received);
  return {
    processes: results.length,
    clients: opts.clients.length,
    windowPerClient: opts.windowPerClient,
    ratePerSec: opts.ratePerSec ?? null,
    sent: sum((r) => r.sent),
    acked,
    received,
    unacked: sum((r) => r.unacked),
    publishErrors: sum((r) => r.publishErrors),
    disconnects: sum((r) => r.disconnects),
    clientErrors: results.flatMap((r) => r.clientErrors),
    lost: opts.subscribe === 'own-topics' ? Math.max(0, acked - received) : null,
    durationMs: sum((r) => r.windowMs) / results.length,
    sentPerSec: sum((r) => perSec(r.windowSent, r.windowMs)),
    ackedPerSec: sum((r) => perSec(r.windowAcked, r.windowMs)),
    receivedPerSec: sum((r) => perSec(r.windowReceived, r.windowMs)),
    pubackLatency: puback.summary(),
    receiveLatency: receive.summary(),
    maxBehind: Math.max(...results.map((r) => r.maxBehind)),
    generators: results.map((r) => ({
      index: r.index,
      pid: r.pid,
      clients: r.clients,
      connectMs: r.connectMs,
      windowMs: r.windowMs,
      ackedPerSec: perSec(r.windowAcked, r.windowMs),
      receivedPerSec: perSec(r.windowReceived, r.windowMs),
      cpuUserMs: r.cpuUserMs,
      cpuSystemMs: r.cpuSystemMs,
      cpuPercent: r.cpuPercent,
    })),
    watched,
    machine,
  };
}

/**
 * Names of the processes that used at least `thresholdPercent` of a core in the window — the
 * likely bottleneck(s) of a full-speed run.
 */
export function saturatedProcesses(result: LoadResult, thresholdPercent = 90): string[] {
  return [
    ...result.watched
      .filter((w) => w.cpuPercent >= thresholdPercent)
      .map((w) => `${w.name} (${Math.round(w.cpuPercent)} %)`),
    ...result.generators
      .filter((g) => g.cpuPercent >= thresholdPercent)
      .map((g) => `generator ${g.index} (${Math.round(g.cpuPercent)} %)`),
  ];
}
