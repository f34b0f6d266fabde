import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuthSettings } from './api/auth.js';
import { buildApp } from './api/build-app.js';
import type { Clock } from './app/clock.js';
import { ensureFirstAdmin } from './app/ensure-first-admin.js';
import type { Config } from './config.js';
import { readTlsFiles } from './tls-files.js';
import { createAnnouncer } from './app/announce.js';
import type { SqliteStores } from './store/index.js';
import { loadLinkSecret } from './store/secrets.js';
import { createPersonalDataStore } from './store/personal-data.js';
import type { CoreLink } from './lanes/link.js';
import { createTurnPacer, paceConnections } from './lanes/turns.js';
import { mergeExpositions, Registry } from './metrics.js';
import { registerProcessMetrics } from './metrics-process.js';
import { createLiveHub, type LiveHub } from './live/hub.js';
import { createHouseholdJournal } from './live/household-journal.js';

/**
 * The people side (docs/design.md, "Two lanes"): the HTTP API with the dashboard, and the live
 * hub. It reads and writes people's records on its own connection (`stores`), sends commands to
 * the safety core through `link` and listens to its committed changes; under `npm start` the core
 * runs on its own thread (server/lanes/), so nothing here can hold up a press.
 */
export type PeopleSide = {
  readonly app: FastifyInstance;
  readonly hub: LiveHub;
  /** The HTTP server (with /ws on its upgrades) listens on PORT and HOST. */
  listen(): Promise<AddressInfo>;
  /** Reads the household journal now rather than at the timer's next tick (tests). */
  readJournal(): void;
  /** Closes the live connections, then the HTTP server. */
  stop(): Promise<void>;
};

/** How long /healthz waits for the safety core's own answer before it reports it as not answering. */
export const CORE_HEALTH_TIMEOUT_MS = 2000;

/** HTTPS when TLS_CERT_FILE / TLS_KEY_FILE are set; their files are read once, at start. */
function readTls(tls: Config['tls']): { key: Buffer; cert: Buffer } | undefined {
  return tls === null ? undefined : readTlsFiles(tls, 'TLS_CERT_FILE / TLS_KEY_FILE');
}

/**
 * Where a new device's label says to connect (docs/protocol.md §1): the TLS port when the
 * embedded broker speaks TLS (devices belong there even if plain MQTT is open too).
 */
function deviceConnect(config: Config): { host: string | null; port: number; tls: boolean } {
  const tls = config.mqttUrl === null && config.mqttTls !== null;
  return { host: config.publicMqttHost, port: tls ? config.mqttsPort : config.mqttPort, tls };
}

/** Builds the people side on the core's link; it listens only when `listen()` is called. */
export async function composePeopleSide(
  config: Config,
  link: CoreLink,
  deps: { log: Logger; clock: Clock; stores: SqliteStores; auth?: Partial<AuthSettings> },
): Promise<PeopleSide> {
  const { log, clock, stores } = deps;
  const now = () => clock.now();
  // Households added or changed by any path (this side, a roster import, the admin CLI in another
  // process) are announced from their journal (live/household-journal.ts), every second.
  const journal = createHouseholdJournal({
    stores,
    publish: (change) => link.changes.publish(change),
    now,
    log: log.child({ component: 'household-journal' }),
  });
  // People's changes to the records (a household registered or edited) are committed here and
  // announced on the same feed as the core's; a household's change by reading the journal right
  // after the commit, so that the timer's next read does not announce it a second time.
  const announcer = createAnnouncer({
    transaction: stores.transaction,
    changes: {
      publish(change) {
        if (change.type !== 'household' || !journal.announcedNow(change.householdId)) link.changes.publish(change);
      },
    },
  });
  const https = readTls(config.tls);
  if (config.publicUrlDefaulted) {
    log.warn(
      { publicUrl: config.publicUrl },
      'PUBLIC_URL is not set: the one-tap links in SMS point at the listen address and will not open on a phone until it is set',
    );
  }
  // Logout, a disabled user, a changed scope: told by the API, heard by the live hub.
  const userChanges = new EventEmitter<{ changed: [userId: number] }>();
  // The people side's own thread (its event loop, its heap), beside the core's figures on /metrics.
  const registry = new Registry();
  const processMetrics = registerProcessMetrics(registry, 'people', { processWide: false });
  // The people side's work per turn of its event loop is bounded, and the core's changes are
  // published before each piece that waited (lanes/turns.ts says why: over TLS a dashboard's
  // second write in one turn leaves only when the turn ends).
  const pacer = createTurnPacer({ beforeEach: () => link.catchUp() });
  const app = await buildApp({
    log,
    pace: pacer.run,
    metrics: async () => mergeExpositions([await link.metrics(), registry.render()]),
    ...(https ? { https } : {}),
    http: config.http,
    ...(config.dashboardDir !== null ? { dashboardDir: config.dashboardDir } : {}),
    api: {
      stores,
      now,
      alerts: { command: (alertId, command) => link.commandAlert(alertId, command) },
      disconnectDevice: (deviceId) => link.disconnectDevice(deviceId),
      applyDeviceSettings: (scope) => link.applyDeviceSettings(scope),
      userChanged: (userId) => userChanges.emit('changed', userId),
      households: {
        stores,
        now,
        recordPersonReport: (report) => link.recordPersonReport(report),
        commit: announcer.commit,
      },
      reportTimeZone: config.report.timeZone,
      ackLinks: { secret: loadLinkSecret(stores.db, now()), publicUrl: config.publicUrl },
      // Voice channels' callback URLs: PUBLIC_URL when set; else the address the admin's request came to.
      ...(config.publicUrlDefaulted ? {} : { publicUrl: config.publicUrl }),
      mqtt: deviceConnect(config),
      personalData: {
        personalData: createPersonalDataStore(stores.db),
        commit: announcer.commit,
        retention: { ...config.retention, timeZone: config.report.timeZone },
      },
      // Over HTTPS the session cookie is Secure.
      auth: { ...(https ? { secureCookies: true } : {}), ...deps.auth },
    },
    async health() {
      // A core that does not answer (its thread stuck on the disk, or on SQLite's lock) is itself
      // the news: say so at once rather than hold the supervisor's probe.
      let timer: NodeJS.Timeout | undefined;
      const silent = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), CORE_HEALTH_TIMEOUT_MS);
      });
      const checks = await Promise.race([link.health(), silent]).finally(() => clearTimeout(timer));
      if (checks === null) return { ok: false, checks: { core: `not answering within ${CORE_HEALTH_TIMEOUT_MS} ms` } };
      // A full disk: presses are refused (no PUBACK) until space is freed — the process itself is fine.
      return { ok: checks.database && checks.brokerConnected && !checks.diskFull, checks };
    },
  });
  // Each new connection, request and upgrade first publishes what the core has committed since
  // this thread last heard: a flood answered in one turn of the event loop does not hold a red's
  // receipt to the dashboards until the turn ends (lanes/thread.ts, `changesFromCore`).
  const catchUp = () => link.catchUp();
  const catchUpOn = ['connection', 'secureConnection', 'request', 'upgrade'] as const;
  for (const event of catchUpOn) app.server.prependListener(event, catchUp);
  // Over TLS a new connection's handshake waits its turn as well (its first flight is costly), and
  // so does the HTTP server's taking it once the handshake is done.
  const unpace = https
    ? [paceConnections(app.server, pacer.run), paceConnections(app.server, pacer.run, 'secureConnection')]
    : [];
  // The live feed (/ws) rides on the HTTP server's upgrades; closed before the app, whose close
  // would otherwise wait for the upgraded sockets.
  const hub = createLiveHub({
    server: app.server,
    stores,
    changes: link.changes,
    now,
    log: log.child({ component: 'live' }),
    userChanges: {
      subscribe(listener) {
        userChanges.on('changed', listener);
        return () => userChanges.off('changed', listener);
      },
    },
    admission: config.live,
    pace: pacer.run,
  });
  return {
    app,
    hub,
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      journal.start();
      // Only once listening: a start that fails (a port in use) must not create an admin whose
      // generated password was printed by a server that never ran (and is not printed again).
      await ensureFirstAdmin({
        stores,
        adminPassword: config.adminPassword,
        now: now(),
        log,
        print: (text) => process.stdout.write(text),
      });
      return app.server.address() as AddressInfo;
    },
    readJournal: () => void journal.poll(),
    async stop() {
      journal.stop();
      // Before the hub's: an 'upgrade' listener left behind would take an upgrade that comes
      // while closing, answer nothing, and hold the server's close (Node 404s it when none is left).
      for (const undo of unpace) undo();
      for (const event of catchUpOn) app.server.off(event, catchUp);
      await hub.close();
      await app.close();
      processMetrics.stop();
    },
  };
}
