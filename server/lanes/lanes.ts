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
  readonly mqttAddress: AddressInfo | null;
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
      return { ...(await lanes.listen()), stop: lanes.stop };
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
