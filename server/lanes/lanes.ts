import fs from 'node:fs';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { systemClock } from '../app/clock.js';
import type { Config } from '../config.js';
import { composePeopleSide } from '../people.js';
import { openDatabase } from '../store/db.js';
import { createStores, type SqliteStores } from '../store/index.js';
import { spawnCoreThread } from './thread.js';
import { wireLanes } from './wire.js';

export type RunningLanes = {
  readonly httpAddress: AddressInfo;
  /** Plain MQTT (null when not open: TLS only, or an external broker). */
  readonly mqttAddress: AddressInfo | null;
  /** MQTT over TLS (null without a certificate, or with an external broker). */
  readonly mqttsAddress: AddressInfo | null;
  stop(): Promise<void>;
};

export type ComposedLanes = {
  /** The core listens (broker, scheduler), then HTTP; if either fails, both are stopped and the error thrown. */
  listen(): Promise<RunningLanes>;
  stop(): Promise<void>;
  /** The core's thread, for tests that end it as a crash would. */
  readonly coreThread: import('node:worker_threads').Worker;
};

/**
 * `npm start`'s system (docs/design.md, "Two lanes"): the safety core on its own thread with its
 * own SQLite connection; the people side (HTTP, /ws, imports, hashing) on this one with another.
 * They meet only at the link: commands in, committed changes out. `onCrash`: the core's thread
 * ended or threw when it was not asked to stop; the caller ends the process.
 */
export async function composeLanes(
  config: Config,
  deps: { log: Logger; onCrash: (err: Error) => void },
): Promise<ComposedLanes> {
  const core = await spawnCoreThread(config, deps);
  // Opened after the core's thread has opened (and migrated) the database.
  let stores: SqliteStores;
  try {
    stores = createStores(openDatabase(config.dataDir));
  } catch (err) {
    await core.stop();
    throw err;
  }
  const lanes = await wireLanes(
    core,
    () => composePeopleSide(config, core.link, { log: deps.log, clock: systemClock, stores }),
    () => stores.db.close(),
  );
  return {
    coreThread: core.worker,
    async listen() {
      const running = await lanes.listen();
      await yieldToTheCore(deps.log);
      return { ...running, stop: lanes.stop };
    },
    stop: lanes.stop,
  };
}

/**
 * An error nothing caught on this thread (the people side) is logged and ends the process with
 * code 1; the core's thread ends with it, as after a kill, and a supervisor restarts both.
 */
export function superviseThisThread(log: Logger): void {
  const fail = (err: unknown) => {
    log.fatal({ err }, 'the people side failed; ending the process so it is restarted whole');
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

/**
 * How much lower than the core's thread the people side's runs (a Linux nice value: 0 to 19). At 10
 * a thread gets about a tenth of the CPU a normal one gets when both want it (5 gave a third): in
 * the HTTPS siege, once the people side's work was paced per turn, 5 let the flood's answers put
 * PUBACK p99 at 40–117 ms, 10 at 30–51 (met in 6 of 7 runs) with the red's receipt as fast
 * (bench/RESULTS.md, "Current figures").
 */
export const PEOPLE_SIDE_NICE = 10;

/**
 * On a machine short of CPU (a flood of logins or TLS handshakes), the kernel shares it by
 * priority: this (main) thread, the people side, takes a lower one than the safety core's, so the
 * core's thread and its sync threads run first. On Linux a nice value set from a thread is that
 * thread's own, and threads it makes later inherit it: so libuv's thread pool, which runs the
 * core's file work and the outbox's DNS lookups too, is made now (by a first call on it) at the
 * normal priority. Where the system does not allow it, all runs at one priority, as before.
 */
export async function yieldToTheCore(log: Logger, nice = PEOPLE_SIDE_NICE): Promise<void> {
  await fs.promises.access(os.tmpdir());
  try {
    os.setPriority(Math.max(os.getPriority(), nice));
  } catch (err) {
    log.warn({ err }, "could not lower the people side's priority; both lanes share the CPU evenly");
  }
}
