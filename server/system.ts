import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createBroker, type RibbonBroker } from '../broker/create-broker.js';
import { buildApp } from './api/build-app.js';
import { createAlerting, type Alerting, type CommandResult } from './app/alerting.js';
import type { AlertCommand } from './domain/alert.js';
import { createOutboxDelivery, type DeliveryResult } from './app/deliver-outbox.js';
import { createSweep, type SweepResult } from './app/sweep.js';
import { createChannel, parseChannelConfig, type Channel, type ChannelDeps } from './notify/index.js';
import { startScheduler, type Job } from './scheduler/index.js';
import { createBackup, type BackupMaker } from './app/backup.js';
import { createDailyReport, type DailyReporter } from './app/daily-report.js';
import { addDays, localDate, parseTimeOfDay } from './domain/zoned-time.js';
import { createChangeFeed, type ChangeFeed } from './app/changes.js';
import { verifySecret } from './app/device-credentials.js';
import { createRecordMessages, type PersonReport, type PersonReportResult } from './app/record-messages.js';
import { generatePassword, hashPassword } from './app/passwords.js';
import type { AuthSettings } from './api/auth.js';
import type { Config } from './config.js';
import { connectExternalIngest, type ExternalIngest } from './ingest/external.js';
import { createIngestPipeline, type AckPublisher } from './ingest/pipeline.js';
import { createIngestMetrics, Registry } from './metrics.js';
import { createWalSync, openDatabase, startWalCheckpointer } from './store/db.js';
import { createLiveHub } from './live/hub.js';
import { createStores, type Stores } from './store/index.js';
import { DEVICE_TOPIC_RULES, TOPIC_ROOT } from './domain/topics.js';

/** On stop, how long to wait for WAL syncs under way before closing the database anyway. */
const SHUTDOWN_SYNC_WAIT_MS = 10_000;

export type Clock = { now(): number };
export const systemClock: Clock = { now: () => Date.now() };

export type RunningSystem = {
  readonly stores: Stores;
  readonly alerting: Alerting;
  /** A person's action on an alert (acknowledge, arrive, resolve), committed and announced. */
  commandAlert(alertId: number, command: AlertCommand): CommandResult;
  /** A person's report through the ingest path, committed and announced. */
  recordPersonReport(report: PersonReport): PersonReportResult;
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

/** A node-cron expression for every day at local "HH:MM" (validated by loadConfig). */
function dailyAt(time: string): string {
  const minutes = parseTimeOfDay(time);
  if (minutes === null) throw new RangeError(`not a time of day: ${JSON.stringify(time)}`);
  return `${minutes % 60} ${Math.floor(minutes / 60)} * * *`;
}

/**
 * The daily jobs, read in the report's time zone: at REPORT_TIME the report for the previous
 * local day, at BACKUP_TIME a backup. Exported so a test can fire them on fake timers.
 */
export function dailyJobs(config: Config, deps: { report: DailyReporter; backup: BackupMaker; clock: Clock }): Job[] {
  const { timeZone } = config.report;
  return [
    {
      name: 'daily-report',
      cron: dailyAt(config.report.time),
      timezone: timeZone,
      run: () => {
        const now = deps.clock.now();
        return deps.report.run(addDays(localDate(now, timeZone), -1), timeZone, now);
      },
    },
    {
      name: 'backup',
      cron: dailyAt(config.backup.time),
      timezone: timeZone,
      run: () => deps.backup.run(deps.clock.now()),
    },
  ];
}

/**
 * The composition root: database, ingest, broker (embedded, or a subscriber of MQTT_URL) and
 * HTTP, started in that order and stopped in reverse. main.ts, the demo and tests all start the
 * system through here, so what is tested is what runs.
 */
export async function startSystem(
  config: Config,
  deps: {
    log: Logger;
    clock?: Clock;
    scheduler?: boolean;
    channelDeps?: ChannelDeps;
    auth?: Partial<AuthSettings>;
    /** An fsync of the WAL failed (default: exit with code 70 so a supervisor restarts the server). */
    onSyncFailure?: (err: Error) => void;
    /** Tests: wraps the WAL sync before PUBACKs (to hold it and see that nothing is acknowledged meanwhile). */
    aroundSync?: (sync: (done: (err: Error | null) => void) => void) => (done: (err: Error | null) => void) => void;
  },
): Promise<RunningSystem> {
  const { log } = deps;
  const clock = deps.clock ?? systemClock;
  const db = openDatabase(config.dataDir);
  // WAL checkpoints in a worker thread, not inside a group commit (bench/RESULTS.md, "Red to
  // screen: the tail"); stopped before the database closes, whose close then checkpoints all.
  const checkpointer = startWalCheckpointer(db, {
    onError: (err) => log.error({ err }, 'WAL checkpoint failed (the auto-checkpoint still bounds the WAL)'),
  });
  const stores = createStores(db);
  // Device batches commit without an fsync on the event loop and are synced on the thread pool
  // before their PUBACKs (server/store/db.ts, createWalSync).
  const walSync = createWalSync(db);
  const registry = new Registry();
  const metrics = createIngestMetrics(registry);
  const changes = createChangeFeed();

  const alerting = createAlerting({ stores, log: log.child({ component: 'alerting' }) });
  let publishAck: AckPublisher = () => {};
  const record = createRecordMessages(stores, alerting, { batchTransaction: walSync.transaction });
  const pipeline = createIngestPipeline({
    record,
    batchMax: config.ingest.batchMax,
    log,
    metrics,
    changes,
    publishAck: (deviceId, ack) => publishAck(deviceId, ack),
    sync: deps.aroundSync ? deps.aroundSync(walSync.sync) : walSync.sync,
    syncsInFlight: walSync.concurrency,
    // What the failed sync covered may or may not be on disk, and Linux may have dropped the
    // pages it could not write: a restart lets SQLite recover from what really is on disk (the
    // devices resend what got no PUBACK). A supervisor (systemd, a container restart policy) restarts it.
    onSyncFailure: deps.onSyncFailure ?? (() => setImmediate(() => process.exit(70))),
  });

  let broker: RibbonBroker | null = null;
  let external: ExternalIngest | null = null;
  let mqttAddress: AddressInfo | null = null;
  const cleanup: Array<() => Promise<void> | void> = [
    () => checkpointer.stop(),
    () => {
      walSync.close();
      db.close();
    },
  ];
  try {
    if (config.mqttUrl === null) {
      // Nobody is connected to a broker that is only now starting.
      stores.devices.markAllOffline(clock.now());
      broker = await createBroker({
        limits: config.broker,
        topics: DEVICE_TOPIC_RULES,
        log: log.child({ component: 'broker' }),
        now: () => clock.now(),
        authenticateDevice(deviceId, secret) {
          const device = stores.devices.findForAuth(deviceId);
          return verifySecret(secret, device?.secretHash ?? null) && device !== null && !device.retired;
        },
        onDeviceMessage: (message, done) => pipeline.submit(message, (err) => done(err)),
        onConnectionChange(deviceId, online, at) {
          pipeline.submit(
            {
              deviceId,
              channel: 'online',
              topic: `${TOPIC_ROOT}/${deviceId}/online`,
              payload: Buffer.from(online ? '1' : '0'),
              receivedAt: at,
            },
            (err) => {
              if (err) log.error({ err, deviceId }, 'could not record online state');
            },
          );
        },
      });
      const embedded = broker;
      cleanup.unshift(() => embedded.close());
      publishAck = (deviceId, ack) => embedded.publishAck(deviceId, ack);
      mqttAddress = await embedded.listen(config.mqttPort, config.host);
    } else {
      external = await connectExternalIngest({
        url: config.mqttUrl,
        clientId: config.mqttClientId,
        username: config.mqttUsername,
        password: config.mqttPassword,
        pipeline,
        log: log.child({ component: 'external-broker' }),
        now: () => clock.now(),
      });
      const subscriber = external;
      cleanup.unshift(() => subscriber.close());
      publishAck = (deviceId, ack) => subscriber.publishAck(deviceId, ack);
    }

    const brokerOf = broker;
    const externalOf = external;
    registry.gauge(
      'ribbon_connected_devices',
      'Devices connected to the embedded broker.',
      () => brokerOf?.connectedDevices() ?? 0,
    );
    registry.gauge('ribbon_devices_online', 'Devices whose last known state is online.', () =>
      stores.devices.countOnline(),
    );

    // Rules: the sweep (escalations, reminders, missed check-ins, silent devices) and the outbox.
    const channels = new Map<number, Channel | null>();
    const channelFor = (id: number): Channel | null => {
      if (!channels.has(id)) {
        const stored = stores.channels.get(id);
        const parsed = stored === null ? null : parseChannelConfig({ ...(stored.config as object), kind: stored.kind });
        if (parsed !== null && !parsed.ok)
          log.error({ channelId: id, reason: parsed.reason }, 'stored notification channel is invalid');
        channels.set(id, parsed?.ok ? createChannel(parsed.value, deps.channelDeps ?? {}) : null);
      }
      return channels.get(id) ?? null;
    };
    const delivery = createOutboxDelivery({
      stores,
      channelFor,
      publishDeviceAck: (deviceId, ack) => publishAck(deviceId, ack),
      now: () => clock.now(),
      log: log.child({ component: 'outbox' }),
    });
    const sweep = createSweep({ stores, alerting, log: log.child({ component: 'sweep' }) });
    const dailyReport = createDailyReport({ stores, log: log.child({ component: 'daily-report' }) });
    const backup = createBackup({
      db,
      dir: config.backup.dir,
      keep: config.backup.keep,
      log: log.child({ component: 'backup' }),
    });
    const sweepNow = (): SweepResult => {
      const result = sweep(clock.now());
      for (const c of result.changes) changes.publish({ type: 'alert', ...c, at: clock.now() });
      return result;
    };
    // A new alert's notifications go out at once, not at the next scheduled tick.
    let kick: NodeJS.Immediate | null = null;
    const unsubscribeKick = changes.subscribe((change) => {
      if (change.type !== 'alert' || kick !== null) return;
      kick = setImmediate(() => {
        kick = null;
        delivery.deliverDue().catch((err: unknown) => log.error({ err }, 'outbox delivery failed'));
      });
    });
    cleanup.unshift(() => {
      unsubscribeKick();
      if (kick) clearImmediate(kick);
    });
    if (deps.scheduler !== false) {
      const scheduler = startScheduler(
        [
          { name: 'sweep', cron: '* * * * * *', run: sweepNow },
          { name: 'outbox', cron: '* * * * * *', run: () => delivery.deliverDue() },
          ...dailyJobs(config, { report: dailyReport, backup, clock }),
        ],
        log.child({ component: 'scheduler' }),
      );
      cleanup.unshift(() => scheduler.stop());
    }
    registry.labeledGauge(
      'ribbon_notifications',
      'Outbox rows by target and status (failed = given up, or nowhere to send).',
      () => stores.outbox.counts().map((c) => ({ labels: { target: c.target, status: c.status }, value: c.n })),
    );

    await ensureFirstAdmin(stores, config.adminPassword, clock.now(), log);
    const recordPersonReport = (report: PersonReport): PersonReportResult => {
      const now = clock.now();
      const result = record.recordPersonReport(report, now);
      if (!result.duplicate) {
        changes.publish({
          type: 'report',
          householdId: report.householdId,
          eventId: result.eventId,
          state: report.state,
          source: 'person',
          at: now,
        });
        for (const c of result.alerts) changes.publish({ type: 'alert', ...c, at: now });
      }
      return result;
    };
    const commandAlert = (alertId: number, command: AlertCommand): CommandResult => {
      const now = clock.now();
      const result = stores.transaction(() => alerting.command(alertId, command, now));
      if (result.ok) changes.publish({ type: 'alert', ...result.change, at: now });
      return result;
    };

    let https: { key: Buffer; cert: Buffer } | undefined;
    if (config.tls !== null) {
      try {
        https = { cert: fs.readFileSync(config.tls.certFile), key: fs.readFileSync(config.tls.keyFile) };
      } catch (err) {
        throw new Error(
          `cannot read TLS_CERT_FILE / TLS_KEY_FILE: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    const app = await buildApp({
      log,
      registry,
      ...(https ? { https } : {}),
      ...(config.dashboardDir !== null ? { dashboardDir: config.dashboardDir } : {}),
      api: {
        stores,
        now: () => clock.now(),
        alerts: { command: commandAlert },
        households: {
          stores,
          now: () => clock.now(),
          recordPersonReport,
          announce: (change) => changes.publish(change),
        },
        reportTimeZone: config.report.timeZone,
        // Over HTTPS the session cookie is Secure.
        auth: { ...(https ? { secureCookies: true } : {}), ...deps.auth },
      },
      health() {
        let dbOk = true;
        try {
          db.prepare('SELECT 1').get();
        } catch {
          dbOk = false;
        }
        const brokerOk = brokerOf !== null ? brokerOf.server.listening : (externalOf?.client.connected ?? false);
        return {
          ok: dbOk && brokerOk,
          checks: {
            database: dbOk,
            broker: brokerOf !== null ? 'embedded' : 'external',
            brokerConnected: brokerOk,
            connectedDevices: brokerOf?.connectedDevices() ?? 0,
          },
        };
      },
    });
    cleanup.unshift(() => app.close());
    await app.listen({ port: config.port, host: config.host });
    const httpAddress = app.server.address() as AddressInfo;
    // The live feed (/ws) rides on the HTTP server's upgrades; closed before the app, whose close
    // would otherwise wait for the upgraded sockets.
    const hub = createLiveHub({
      server: app.server,
      stores,
      changes,
      now: () => clock.now(),
      log: log.child({ component: 'live' }),
    });
    cleanup.unshift(() => hub.close());

    let stopped = false;
    return {
      stores,
      alerting,
      commandAlert,
      recordPersonReport,
      sweepNow,
      deliverNow: () => delivery.deliverDue(),
      changes,
      app,
      broker,
      external,
      httpAddress,
      mqttAddress,
      async stop() {
        if (stopped) return;
        stopped = true;
        // Brokers and HTTP first, then whatever is still queued is committed, then the database.
        for (const step of cleanup.slice(0, -1)) await step();
        pipeline.flush();
        // Bounded: a sync stuck on a dying disk must not keep the process from stopping.
        await Promise.race([
          pipeline.drained(),
          new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_SYNC_WAIT_MS).unref()),
        ]);
        walSync.close();
        db.close();
      },
    };
  } catch (err) {
    for (const step of cleanup) await step();
    throw err;
  }
}

/**
 * On an empty database, the first admin (username "admin"): ADMIN_PASSWORD, or a generated
 * password printed once on standard output (never into the log).
 */
async function ensureFirstAdmin(stores: Stores, adminPassword: string | null, now: number, log: Logger): Promise<void> {
  if (stores.users.count() > 0) return;
  const password = adminPassword ?? generatePassword();
  stores.users.create(
    { username: 'admin', displayName: '管理员 admin', role: 'admin', passwordHash: await hashPassword(password) },
    now,
  );
  if (adminPassword === null) {
    process.stdout.write(
      `\nFirst admin created. Username: admin  Password: ${password}\n(shown only now; set ADMIN_PASSWORD to choose it)\n\n`,
    );
  }
  log.info({ username: 'admin', generated: adminPassword === null }, 'first admin created');
}
