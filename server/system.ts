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
import { type CoreDeps, composeSafetyCore } from './core.js';
import type { ExternalIngest } from './ingest/external.js';
import { inProcessLink } from './lanes/link.js';
import { composePeopleSide } from './people.js';
import { wireLanes } from './lanes/wire.js';
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
  /** Plain MQTT (null when not open: TLS only, or an external broker). */
  readonly mqttAddress: AddressInfo | null;
  /** MQTT over TLS (null without a certificate, or with an external broker). */
  readonly mqttsAddress: AddressInfo | null;
  /** Announces what the household journal holds now, not at its next tick (tests). */
  readHouseholdJournal(): void;
  stop(): Promise<void>;
};

/** The system built and wired, not yet listening (main.ts listens). */
export type ComposedSystem = {
  /**
   * Opens the device side (the broker listens or the subscriber connects), starts the scheduler,
   * then the HTTP server listens and the first admin is made; if any of it fails, everything is
   * stopped and the error thrown.
   */
  listen(): Promise<RunningSystem>;
  stop(): Promise<void>;
};

type SystemDeps = Omit<CoreDeps, 'clock'> & { clock?: Clock; auth?: Partial<AuthSettings> };

/**
 * The composition root on one thread: it only wires. The safety core (server/core.ts: database,
 * ingest, broker or external subscriber, rules, sweeps, outbox) first; the people side
 * (server/people.ts: HTTP API, dashboard, live hub) on top of it, talking to it through the same
 * link as across threads (commands in, committed changes out). Started in that order, stopped in
 * reverse. The demo and the tests build the system here (a fake clock, the stores at hand);
 * `npm start` builds the same two parts with the core on its own thread (server/lanes/lanes.ts).
 */
export async function composeSystem(config: Config, deps: SystemDeps): Promise<ComposedSystem> {
  const clock = deps.clock ?? systemClock;
  const core = await composeSafetyCore(config, { ...deps, clock });
  const lanes = await wireLanes(core, () =>
    composePeopleSide(config, inProcessLink(core), {
      log: deps.log,
      clock,
      stores: core.stores,
      ...(deps.auth ? { auth: deps.auth } : {}),
    }),
  );
  return {
    async listen() {
      const addresses = await lanes.listen();
      return {
        stores: core.stores,
        alerting: core.alerting,
        commandAlert: core.commandAlert,
        recordPersonReport: core.recordPersonReport,
        sweepNow: core.sweepNow,
        deliverNow: core.deliverNow,
        changes: core.changes,
        app: lanes.people.app,
        broker: core.broker,
        external: core.external(),
        ...addresses,
        readHouseholdJournal: lanes.people.readJournal,
        stop: lanes.stop,
      };
    },
    stop: lanes.stop,
  };
}

/** Builds the system and listens: what the tests, the demo and the benchmarks start. */
export async function startSystem(config: Config, deps: SystemDeps): Promise<RunningSystem> {
  return (await composeSystem(config, deps)).listen();
}
