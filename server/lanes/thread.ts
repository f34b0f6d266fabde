import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DeviceAddresses } from '../ingest/device-input.js';
import { type Change, type ChangeFeed, createChangeFeed } from '../app/changes.js';
import type { Config } from '../config.js';
import { startWorker } from '../worker-thread.js';
import type { CoreLink } from './link.js';
import { type CallName, type CoreThreadData, errorFrom, type FromCore, type ToCore } from './messages.js';

export type CoreThread = {
  /** The people side's link: calls become messages, the core's changes arrive on `changes`. */
  readonly link: CoreLink;
  /** The broker listens (or the subscriber connects) and the core's scheduler starts. */
  start(): Promise<DeviceAddresses>;
  /** The core drains and closes its database; then its thread ends. */
  stop(): Promise<void>;
  /** The thread, for tests that end it as a crash would. */
  readonly worker: Worker;
};

/**
 * The core's changes published once per turn of THIS loop, however many of its messages arrived
 * in it (the delta batcher then sends one frame per dashboard for the lot). A main thread that fell
 * behind gets a backlog of messages delivered in one go; publishing each on its own — a delta
 * frame to every dashboard per message, 1,000 a second — kept it busy 100–250 ms at a stretch
 * while the backlog fed itself, and fan-out to 100 dashboards went from p99 4 to 45 ms
 * (bench/RESULTS.md). `publish()` publishes what has arrived now (before a reply is heard).
 */
export function coalesceChanges(feed: ChangeFeed): { add(changes: readonly Change[]): void; publish(): void } {
  let arrived: Change[] = [];
  const publish = () => {
    const batch = arrived;
    arrived = [];
    for (const change of batch) feed.publish(change);
  };
  return {
    add(changes) {
      if (arrived.length === 0 && changes.length > 0) setImmediate(publish);
      for (const change of changes) arrived.push(change);
    },
    publish,
  };
}

/**
 * Starts the safety core on its own thread (server/lanes/core-thread.ts) and resolves once it is
 * composed. `onCrash` is called once if the thread ends or throws when it was not asked to stop:
 * the caller ends the process (docs/design.md, "Two lanes": never half a system).
 */
export async function spawnCoreThread(
  config: Config,
  deps: { log: Logger; onCrash: (err: Error) => void },
): Promise<CoreThread> {
  const worker = startWorker(import.meta.url, 'core-thread', { workerData: { config } satisfies CoreThreadData });
  // Made at once, so that an exit at any moment (a failed start, a stop) is seen.
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const changes = createChangeFeed();
  const replies = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let stopping = false;
  let ended: Error | null = null;
  // One waiter at a time for the lifecycle messages (composed, started, stopped, failed).
  let lifecycle: { resolve: (m: FromCore) => void; reject: (err: Error) => void } | null = null;
  const awaitLifecycle = () =>
    new Promise<FromCore>((resolve, reject) => {
      if (ended) reject(ended);
      else lifecycle = { resolve, reject };
    });

  const arrivals = coalesceChanges(changes);
  worker.on('message', (message: FromCore) => {
    switch (message.type) {
      case 'changes':
        arrivals.add(message.changes);
        return;
      case 'reply': {
        // What the core committed before answering is published before the answer is heard.
        arrivals.publish();
        const waiting = replies.get(message.id);
        replies.delete(message.id);
        if (message.ok) waiting?.resolve(message.value);
        else waiting?.reject(errorFrom(message.error));
        return;
      }
      default: {
        // After a failed compose or start the thread ends by itself: that is no crash.
        if (message.type === 'failed') stopping = true;
        const waiter = lifecycle;
        lifecycle = null;
        waiter?.resolve(message);
      }
    }
  });
  const end = (err: Error) => {
    if (ended) return;
    ended = err;
    for (const w of replies.values()) w.reject(err);
    replies.clear();
    lifecycle?.reject(err);
    lifecycle = null;
    if (!stopping) deps.onCrash(err);
  };
  worker.on('error', (err) => end(err));
  worker.on('exit', (code) => end(new Error(`the safety core's thread ended (exit code ${code})`)));

  const post = (message: ToCore) => {
    if (ended) throw ended;
    worker.postMessage(message);
  };
  const call = <T>(name: CallName, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (ended) {
        reject(ended);
        return;
      }
      const id = nextId++;
      replies.set(id, { resolve: resolve as (value: unknown) => void, reject });
      post({ type: 'call', id, name, args });
    });

  const composed = await awaitLifecycle();
  if (composed.type === 'failed') throw errorFrom(composed.error);

  const link: CoreLink = {
    changes,
    commandAlert: (alertId, command) => call('commandAlert', alertId, command),
    recordPersonReport: (report) => call('recordPersonReport', report),
    applyDeviceSettings: (scope) => call('applyDeviceSettings', scope),
    disconnectDevice(deviceId) {
      if (!ended) post({ type: 'disconnect', deviceId });
    },
    health: () => call('health'),
    metrics: () => call('metrics'),
  };
  return {
    link,
    worker,
    async start() {
      const waiting = awaitLifecycle();
      post({ type: 'start' });
      const started = await waiting;
      if (started.type === 'failed') {
        await exited;
        throw errorFrom(started.error);
      }
      if (started.type !== 'started') throw new Error(`the safety core answered ${started.type} to start`);
      return { mqttAddress: started.mqttAddress, mqttsAddress: started.mqttsAddress };
    },
    async stop() {
      if (stopping || ended) {
        await exited;
        return;
      }
      stopping = true;
      const waiting = awaitLifecycle().catch(() => undefined);
      worker.postMessage({ type: 'stop' } satisfies ToCore);
      await waiting;
      await exited;
    },
  };
}
