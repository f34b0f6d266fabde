import type { Logger } from 'pino';
import { createBoundedLog } from '../broker/admission.js';
import type { RibbonBroker } from '../broker/create-broker.js';
import { ACK_LINK_TTL_MS, type AckRecipient, ackLink, signAckToken } from './app/ack-link.js';
import { createAlerting, type Alerting } from './app/alerting.js';
import { loadLinkSecret } from './store/secrets.js';
import { alertChanges, createAnnouncer } from './app/announce.js';
import { createBackup, tightenBackups } from './app/backup.js';
import { createChangeFeed, type ChangeFeed } from './app/changes.js';
import type { Clock } from './app/clock.js';
import { type CommandAlert, createCommandAlert } from './app/command-alert.js';
import { createDailyReport } from './app/daily-report.js';
import { applyDeviceSettings } from './app/device-settings.js';
import type { DeviceSettingsScope } from './domain/device-settings.js';
import { createOutboxDelivery, type DeliveryResult } from './app/deliver-outbox.js';
import { createRetention } from './app/retention.js';
import { createRecordMessages } from './app/record-messages.js';
import { createRecordPersonReport, type RecordPersonReport } from './app/record-person-report.js';
import { createSweep, type SweepResult } from './app/sweep.js';
import type { Config } from './config.js';
import { createDeviceInput, type DeviceAddresses } from './ingest/device-input.js';
import { createDiskFullWatch } from './ingest/disk-full.js';
import type { ExternalIngest } from './ingest/external.js';
import { type AckPublisher, type ConfigPublisher, createIngestPipeline } from './ingest/pipeline.js';
import { createIngestMetrics, Registry } from './metrics.js';
import { createCoreCounters, registerCoreGauges } from './metrics-core.js';
import { registerProcessMetrics } from './metrics-process.js';
import { createUnreadableMetrics } from './metrics-unreadable.js';
import { createChannelLookup } from './notify/channel-cache.js';
import { mediumOf } from './notify/phone.js';
import type { ChannelDeps } from './notify/index.js';
import { startScheduler } from './scheduler/index.js';
import { dailyJobs, everySecondJobs } from './scheduler/jobs.js';
import { createDatabaseFile } from './store/database-file.js';
import {
  ackBeforeSync,
  UNSAFE_ACK_BEFORE_SYNC,
  UNSAFE_CHECKPOINT_MS,
  UNSAFE_SYNC_DELAY_MS,
} from './ingest/test-build.js';
import { createWalSync, openDatabase, secureDataFiles, startWalCheckpointer } from './store/db.js';
import { claimServerPid } from './store/server-pid.js';
import { createStores, type SqliteStores } from './store/index.js';
import { createGaugeReads } from './store/gauges.js';
import { createRetentionStore } from './store/retention.js';

/** WAL checkpoint failures in the log: a few at once, then one a minute (a full disk fails every one). */
const CHECKPOINT_ERROR_LOG = { burst: 3, perSec: 1 / 60 } as const;

/** On stop, how long to wait for WAL syncs under way before closing the database anyway. */
const SHUTDOWN_SYNC_WAIT_MS = 10_000;

export type CoreDeps = {
  log: Logger;
  clock: Clock;
  scheduler?: boolean;
  channelDeps?: ChannelDeps;
  /** An fsync of the WAL failed (default: exit with code 70 so a supervisor restarts the server). */
  onSyncFailure?: (err: Error) => void;
  /** Tests: wraps the WAL sync before PUBACKs (to hold it and see that nothing is acknowledged meanwhile). */
  aroundSync?: (sync: (done: (err: Error | null) => void) => void) => (done: (err: Error | null) => void) => void;
};

/**
 * The safety core (docs/design.md, "Two lanes"): the broker (or the external subscriber), the
 * ingest pipeline with group commit and WAL sync, the rules and sweeps, the outbox. The people
 * side speaks to it only through a link (server/lanes/link.ts): commands in, committed changes
 * out (`changes`). Under `npm start` it runs on its own thread (server/lanes/core-thread.ts);
 * nothing here may wait on HTTP.
 */
export type SafetyCore = {
  readonly stores: SqliteStores;
  readonly alerting: Alerting;
  readonly changes: ChangeFeed;
  readonly registry: Registry;
  readonly commandAlert: CommandAlert;
  readonly recordPersonReport: RecordPersonReport;
  /** A device-settings row changed: devices it reaches get their settings again (server/lanes/link.ts). */
  applyDeviceSettings(scope: DeviceSettingsScope): { told: number };
  /** Closes a device's live connection at once (retired, or a new secret): a command from the people side. */
  disconnectDevice(deviceId: string): void;
  sweepNow(): SweepResult;
  deliverNow(): Promise<DeliveryResult>;
  /** The database answers and the broker is listening (or the external one connected). */
  health(): {
    database: boolean;
    /** Device messages are being refused for a full disk (server/ingest/disk-full.ts). */
    diskFull: boolean;
    broker: 'embedded' | 'external';
    brokerConnected: boolean;
    connectedDevices: number;
  };
  readonly broker: RibbonBroker | null;
  /** The subscriber of MQTT_URL once started (null with the embedded broker). */
  external(): ExternalIngest | null;
  /** Opens the device side (the broker listens, or the subscriber connects) and starts the scheduler. */
  start(): Promise<DeviceAddresses>;
  /** Stops input, commits what is queued, waits (bounded) for its sync, closes the database. */
  stop(): Promise<void>;
};

/** Builds the safety core: nothing listens, connects or runs on a timer until `start()`. */
export async function composeSafetyCore(config: Config, deps: CoreDeps): Promise<SafetyCore> {
  const { log, clock } = deps;
  // The files hold names and phone numbers: 0600 files, 0700 folders; older ones tightened.
  const tightened = [...secureDataFiles(config.dataDir), ...tightenBackups(config.backup.dir)];
  if (tightened.length > 0)
    log.warn({ files: tightened }, '数据文件权限已收紧为仅属主可读写 / data files tightened to owner-only (0600/0700)');
  const db = openDatabase(config.dataDir);
  // While this is open, `admin -- restore` refuses (store/server-pid.ts).
  const releasePid = claimServerPid(config.dataDir);
  // WAL checkpoints in a worker thread, not inside a group commit (bench/RESULTS.md, "Red to
  // screen: the tail"); stopped before the database closes, whose close then checkpoints all.
  // Every 100 ms while the disk is full: at a bounded rate (a burst, then one a minute, with the count left out).
  const checkpointErrors = createBoundedLog<{ err: Error }>(
    (fields, msg) => log.error(fields, msg),
    CHECKPOINT_ERROR_LOG,
  );
  const checkpointer = startWalCheckpointer(db, {
    // A checkpoint syncs the WAL first: in the unsafe test build it must not close the window.
    ...(UNSAFE_ACK_BEFORE_SYNC ? { intervalMs: UNSAFE_CHECKPOINT_MS } : {}),
    onError: (err) =>
      checkpointErrors.warn(
        'checkpoint',
        { err },
        'WAL checkpoint failed (the auto-checkpoint still bounds the WAL)',
        clock.now(),
      ),
  });
  const stores = createStores(db);
  // Device batches commit without an fsync on the event loop and are synced on the thread pool
  // before their PUBACKs (server/store/db.ts, createWalSync).
  const walSync = createWalSync(db);
  const durableSync = deps.aroundSync ? deps.aroundSync(walSync.sync) : walSync.sync;
  const registry = new Registry();
  const ingestMetrics = createIngestMetrics(registry);
  const diskFull = createDiskFullWatch({
    log,
    now: () => clock.now(),
    onRefused: (messages) => ingestMetrics.diskFullRefusals.inc({}, messages),
  });
  registry.gauge(
    'ribbon_disk_full',
    '1 while device messages are refused (no PUBACK) because the disk is full; 0 once a commit succeeds again.',
    () => (diskFull.full() ? 1 : 0),
  );
  const counters = createCoreCounters(registry, ingestMetrics.events);
  const changes = createChangeFeed();
  const announcer = createAnnouncer({ transaction: stores.transaction, changes });
  const linkSecret = loadLinkSecret(db, clock.now());
  const alerting = createAlerting({
    stores,
    log: log.child({ component: 'alerting' }),
    // The people on duty, where the compound has a roster for the tier (server/domain/duty.ts).
    onDuty: (compoundId, tier, now) => stores.duty.onDuty(compoundId, tier, now),
    // Each SMS carries its person's one-tap link and 处理码 (server/app/ack-link.ts, docs/api.md "One-tap link").
    ackLink: (alertId, r, now) => {
      const recipient: AckRecipient | null =
        r.personId !== undefined
          ? { kind: 'person', id: r.personId }
          : r.contactId !== undefined
            ? { kind: 'contact', id: r.contactId }
            : null;
      if (recipient === null) return null;
      const expiresAt = now + ACK_LINK_TTL_MS;
      const token = signAckToken(linkSecret, { alertId, recipient, expiresAt });
      return { link: ackLink(config.publicUrl, token), code: stores.ackCodes.issue(token, expiresAt, now) };
    },
  });
  const unreadable = createUnreadableMetrics(registry);
  const record = createRecordMessages(stores, alerting, {
    batchTransaction: walSync.transaction,
    rejectLimits: config.rejected,
    onRejectedDropped: (rows) => unreadable.dropped.inc(rows),
  });
  // Acks go out through whichever broker is in use: bound once it is up (the pipeline and the
  // broker need each other; no message arrives before the broker is up).
  let publishAck: AckPublisher = () => {};
  let publishConfig: ConfigPublisher = () => {};
  const pipeline = createIngestPipeline({
    record,
    batchMax: config.ingest.batchMax,
    log,
    metrics: ingestMetrics,
    unreadable,
    announcer,
    publishAck: (deviceId, ack) => publishAck(deviceId, ack),
    publishConfig: (deviceId, config) => publishConfig(deviceId, config),
    sync: UNSAFE_ACK_BEFORE_SYNC ? ackBeforeSync(durableSync, UNSAFE_SYNC_DELAY_MS) : durableSync,
    syncsInFlight: walSync.concurrency,
    // What the failed sync covered may or may not be on disk, and Linux may have dropped the
    // pages it could not write: a restart lets SQLite recover from what really is on disk (the
    // devices resend what got no PUBACK). A supervisor (systemd, a container restart policy) restarts it.
    onSyncFailure: deps.onSyncFailure ?? (() => setImmediate(() => process.exit(70))),
    diskFull,
  });

  // Stopped in reverse order of starting; the database last (see stop()).
  const processMetrics = registerProcessMetrics(registry, 'core', { processWide: true });
  const cleanup: Array<() => Promise<void> | void> = [() => checkpointer.stop(), () => processMetrics.stop()];
  const closeDatabase = () => {
    walSync.close();
    db.close();
    releasePid();
  };
  try {
    const input = await createDeviceInput(config, { stores, pipeline, log, clock });
    cleanup.unshift(() => input.close());
    publishAck = input.publishAck;
    publishConfig = input.publishConfig;
    registerCoreGauges(registry, {
      stores,
      gauges: createGaugeReads(db),
      clock,
      connectedDevices: () => input.connectedDevices(),
      ingestWaiting: () => pipeline.waiting,
    });

    // Rules: the sweep (escalations, reminders, missed check-ins, silent devices) and the outbox.
    const delivery = createOutboxDelivery({
      stores,
      channelFor: createChannelLookup({ stores, log, ...(deps.channelDeps ? { channelDeps: deps.channelDeps } : {}) }),
      publishDeviceAck: (deviceId, ack) => publishAck(deviceId, ack),
      now: () => clock.now(),
      log: log.child({ component: 'outbox' }),
      phoneWanted: (alertId) => stores.alerts.get(alertId)?.status === 'open',
      onAttempt: counters.deliveryAttempt,
      // An SMS or call settled: the alert's reach (and, if its tier is out of phones, the next tier).
      onPhoneSettled: (alertId) =>
        announcer.commit((announce) => {
          const now = clock.now();
          const changed = alerting.phoneSettled(alertId, now);
          if (changed !== null) for (const c of alertChanges([changed], now)) announce(c);
        }),
    });
    // On stop: the sends under way are ended and waited for before the database closes (a
    // provider's late answer must not write to a closed connection; the row's lease retries it).
    cleanup.unshift(() => delivery.stop());
    const sweep = createSweep({ stores, alerting, log: log.child({ component: 'sweep' }) });
    const sweepNow = (): SweepResult => {
      const result = sweep(clock.now());
      announcer.publish(alertChanges(result.changes, clock.now()));
      return result;
    };
    const deliverNow = () => delivery.deliverDue();
    // A new alert's notifications go out at once, not at the next scheduled tick.
    let kick: NodeJS.Immediate | null = null;
    const unsubscribeKick = changes.subscribe((change) => {
      if (change.type !== 'alert' || kick !== null) return;
      kick = setImmediate(() => {
        kick = null;
        deliverNow().catch((err: unknown) => log.error({ err }, 'outbox delivery failed'));
      });
    });
    cleanup.unshift(() => {
      unsubscribeKick();
      if (kick) clearImmediate(kick);
    });
    const report = createDailyReport({ stores, log: log.child({ component: 'daily-report' }) });
    const { dir, keep } = config.backup;
    const backup = createBackup({
      database: createDatabaseFile(db),
      dir,
      keep,
      log: log.child({ component: 'backup' }),
    });
    const jobs = [
      // The outbox job starts what is due and returns: a slow provider's send holds only its own row.
      ...everySecondJobs({
        sweep: sweepNow,
        outbox: () => {
          deliverNow().catch((err: unknown) => log.error({ err }, 'outbox delivery failed'));
        },
      }),
      ...dailyJobs(config, {
        report,
        backup,
        clock,
        retention: createRetention({
          store: createRetentionStore(db),
          months: config.retention,
          log: log.child({ component: 'retention' }),
        }),
      }),
    ];

    let stopped = false;
    return {
      stores,
      alerting,
      changes,
      registry,
      commandAlert: createCommandAlert({ alerting, announcer, clock }),
      recordPersonReport: countedPersonReports(createRecordPersonReport({ record, announcer, clock }), counters),
      applyDeviceSettings(scope) {
        const told = stores.transaction(() => applyDeviceSettings(stores, scope, clock.now()));
        for (const t of told) publishConfig(t.deviceId, t.config);
        log.info({ scope, told: told.length }, 'device settings applied');
        return { told: told.length };
      },
      disconnectDevice: (deviceId) => input.disconnect(deviceId),
      sweepNow,
      deliverNow,
      health() {
        let database = true;
        try {
          db.prepare('SELECT 1').get();
        } catch {
          database = false;
        }
        const broker = input.broker !== null ? 'embedded' : 'external';
        return {
          database,
          diskFull: diskFull.full(),
          broker,
          brokerConnected: input.connected(),
          connectedDevices: input.connectedDevices(),
        };
      },
      broker: input.broker,
      external: input.external,
      async start() {
        warnWithoutPhones(stores, log);
        const addresses = await input.start();
        if (deps.scheduler !== false) {
          const scheduler = startScheduler(jobs, log.child({ component: 'scheduler' }), () => clock.now());
          cleanup.unshift(() => scheduler.stop());
        }
        return addresses;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        // Scheduler and brokers first, then whatever is still queued is committed, then the database.
        for (const step of cleanup) await step();
        pipeline.flush();
        // Bounded: a sync stuck on a dying disk must not keep the process from stopping.
        await Promise.race([
          pipeline.drained(),
          new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_SYNC_WAIT_MS).unref()),
        ]);
        closeDatabase();
      },
    };
  } catch (err) {
    for (const step of cleanup) await step();
    closeDatabase();
    throw err;
  }
}

/** At start: with no SMS or voice channel, a red press reaches no person's phone — say so loudly. */
function warnWithoutPhones(stores: SqliteStores, log: Logger): void {
  const kinds = stores.channels.list().map((c) => c.kind);
  if (kinds.some((kind) => mediumOf(kind) !== null)) return;
  log.warn(
    { channels: kinds },
    "没有配置短信或电话通道：紧急求助不会打到任何人的手机 / no SMS or voice channel is configured: a red press reaches nobody's phone (docs/notifications.md)",
  );
}

/** A person's report is counted in ribbon_events_total (source="person") once committed, as a press is. */
function countedPersonReports(
  record: RecordPersonReport,
  counters: ReturnType<typeof createCoreCounters>,
): RecordPersonReport {
  return (report) => {
    const result = record(report);
    if (!result.duplicate) counters.personReport(report.state);
    return result;
  };
}
