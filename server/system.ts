import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { RibbonBroker } from '../broker/create-broker.js';
import type { AuthSettings } from './api/auth.js';
import type { Alerting } from './app/alerting.js';
import type { ChangeFeed } from './app/changes.js';
import { type Clock, systemClock } from './app/clock.js';
import type { CommandAlert } from './app/command-alert.js';
import type { DeliveryResult } from './app/deliver-outbox.js';
import type { RecordPersonReport } from './app/record-person-report.js';
import type { SweepResult } from './app/sweep.js';
import type { Config } from './config.js';
import { type CoreDeps, startSafetyCore } from './core.js';
import type { ExternalIngest } from './ingest/external.js';
import { startPeopleSide } from './people.js';
import type { SqliteStores } from './store/index.js';

export { type Clock, systemClock } from './app/clock.js';
export { dailyJobs } from './scheduler/jobs.js';

export type RunningSystem = {
  readonly stores: SqliteStores;
  readonly alerting: Alerting;
  /** A person's action on an alert (acknowledge, arrive, resolve), committed and announced. */
  readonly commandAlert: CommandAlert;
  /** A person's report through the ingest path, committed and announced. */
  readonly recordPersonReport: RecordPersonReport;
  /** Runs one sweep now (the scheduler does this every second). */
  sweepNow(): SweepResult;
  /** Delivers the due outbox rows now (the scheduler does this every second, and on news). */
  deliverNow(): Promise<DeliveryResult>;
  readonly changes: ChangeFeed;
  readonly app: FastifyInstance;
  readonly broker: RibbonBroker | null;
  readonly external: ExternalIngest | null;
  readonly httpAddress: AddressInfo;
  readonly mqttAddress: AddressInfo | null;
  stop(): Promise<void>;
};

/**
 * The composition root: it only wires. The safety core (server/core.ts: database, ingest,
 * broker or external subscriber, rules, sweeps, outbox) starts first; the people side
 * (server/people.ts: HTTP API, dashboard, live hub) on top of it, talking to it through
 * commands in and committed changes out. Stopped in reverse. main.ts, the demo and the tests
 * all start the system through here, so what is tested is what runs.
 */
export async function startSystem(
  config: Config,
  deps: Omit<CoreDeps, 'clock'> & { clock?: Clock; auth?: Partial<AuthSettings> },
): Promise<RunningSystem> {
  const clock = deps.clock ?? systemClock;
  const core = await startSafetyCore(config, { ...deps, clock });
  let people: Awaited<ReturnType<typeof startPeopleSide>>;
  try {
    people = await startPeopleSide(config, core, { log: deps.log, clock, ...(deps.auth ? { auth: deps.auth } : {}) });
  } catch (err) {
    await core.stop();
    throw err;
  }
  let stopped = false;
  return {
    stores: core.stores,
    alerting: core.alerting,
    commandAlert: core.commandAlert,
    recordPersonReport: core.recordPersonReport,
    sweepNow: core.sweepNow,
    deliverNow: core.deliverNow,
    changes: core.changes,
    app: people.app,
    broker: core.broker,
    external: core.external,
    httpAddress: people.httpAddress,
    mqttAddress: core.mqttAddress,
    async stop() {
      if (stopped) return;
      stopped = true;
      // People first (no new commands), then the core drains what devices sent and closes.
      await people.stop();
      await core.stop();
    },
  };
}
