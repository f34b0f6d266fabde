import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DeviceAddresses } from '../ingest/device-input.js';
import { type ChangeFeed, createChangeFeed } from '../app/changes.js';
import type { Config } from '../config.js';
import { startWorker } from '../worker-thread.js';
import type { CoreLink } from './link.js';
import {
  type CallName,
  type ChangesMessage,
  type CoreThreadData,
  errorFrom,
  type FromCore,
  type ToCore,
} from './messages.js';

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
 * The least time between two publishes that the people side's callbacks bring about (`catchUp`):
 * a red's receipt waits at most this long for them, and under a flood of requests a dashboard gets
 * at most ~1,000 / this many extra delta frames a second, not one per request.
 */
export const CATCH_UP_EVERY_MS = 10;

/**
 * The core's changes on this (main) thread. They come on a port of their own, so that they can be
 * taken between two of this thread's callbacks, not only when its event loop reaches the port: under
 * a flood one poll phase runs the callbacks of hundreds of requests, and a red press's receipt
 * waited behind all of them (the siege, bench/RESULTS.md: p99 534 ms). `catchUp()` is called by
 * the people side at each new connection, request and upgrade (people.ts); it takes what has
 * arrived unless the last publish was less than `CATCH_UP_EVERY_MS` ago. What has arrived is
 * published before a reply is heard too (what the core committed before answering comes first).
 * Otherwise, as before the port of their own: what the loop delivers in one turn is published at
 * its end (setImmediate), once.
 *
 * All that has arrived is published in one go, in order, never a message at a time: the delta
 * batcher then sends one frame per dashboard for the lot. A main thread that fell behind has a
 * backlog, and publishing each message on its own — a frame to every dashboard per message, 1,000
 * a second — kept it busy 100–250 ms at a stretch while the backlog fed itself (bench/RESULTS.md).
 */
export function changesFromCore(
  port: MessagePort,
  feed: ChangeFeed,
  now: () => number = () => performance.now(),
): { catchUp(): void; publishArrived(): void } {
  /** Taken off the port, not yet published, in order. */
  let taken: ChangesMessage[] = [];
  let publishing = false;
  let lastPublished = Number.NEGATIVE_INFINITY;
  const publish = () => {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      taken.push(m.message as ChangesMessage);
    }
    // A listener that brings about another publish (through a request it makes) only takes what
    // is newer: the run below publishes it after what it is publishing now.
    if (publishing || taken.length === 0) return;
    publishing = true;
    try {
      while (taken.length > 0) {
        const batch = taken;
        taken = [];
        for (const changes of batch) for (const change of changes) feed.publish(change);
      }
    } finally {
      publishing = false;
      lastPublished = now();
    }
  };
  // Delivered by the loop: published once its poll phase is over, with all that came in it.
  let scheduled = false;
  port.on('message', (changes: ChangesMessage) => {
    taken.push(changes);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      publish();
    });
  });
  return {
    catchUp() {
      if (now() - lastPublished >= CATCH_UP_EVERY_MS) publish();
    },
    publishArrived: publish,
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
  const channel = new MessageChannel();
  const worker = startWorker(import.meta.url, 'core-thread', {
    workerData: { config, changes: channel.port2 } satisfies CoreThreadData,
    transferList: [channel.port2],
  });
  // Made at once, so that an exit at any moment (a failed start, a stop) is seen.
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const changes = createChangeFeed();
  const arrivals = changesFromCore(channel.port1, changes);
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

  worker.on('message', (message: FromCore) => {
    switch (message.type) {
      case 'reply': {
        // What the core committed before answering is published before the answer is heard.
        arrivals.publishArrived();
        const waiting = replies.get(message.id);
        replies.delete(message.id);
        if (message.ok) waiting?.resolve(message.value);
        else waiting?.reject(errorFrom(message.error));
        return;
      }
      default: {
        // After a failed compose or start the thread ends by itself: that is no crash.
        if (message.type === 'failed') stopping = true;
        if (message.type === 'stopped') arrivals.publishArrived();
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
  worker.on('exit', (code) => {
    // What it sent before it ended is published; then the port no longer holds this loop open.
    arrivals.publishArrived();
    channel.port1.close();
    end(new Error(`the safety core's thread ended (exit code ${code})`));
  });

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
    catchUp: arrivals.catchUp,
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
