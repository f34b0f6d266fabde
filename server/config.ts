import path from 'node:path';
import { type BrokerLimits, DEFAULT_BROKER_LIMITS as BROKER } from '../broker/options.js';
import { DEFAULT_TIME_ZONE } from '../protocol/ribbon.js';
import { DEFAULT_REJECT_LIMITS as REJECTED, type RejectLimits } from './domain/reject-limit.js';
import { ConfigError, type Env, int, oneOf, optionalString, timeOfDay, timeZone } from './config-env.js';
import { type AdmissionLimits, DEFAULT_ADMISSION as LIVE } from './live/admission.js';

/**
 * The whole configuration, parsed once from the environment. Nothing else reads process.env.
 * Every setting has a default; a bad value stops start-up with a message that names the
 * variable and what it accepts (ConfigError).
 */
export type Config = Readonly<{
  /** HTTP port (0 = any free port, for tests). */
  port: number;
  host: string;
  /** Embedded broker's plain MQTT port; ignored when mqttUrl is set. */
  mqttPort: number;
  /** Embedded broker's MQTT-over-TLS port (MQTTS_PORT); used when mqttTls is set. */
  mqttsPort: number;
  /**
   * MQTT over TLS on the embedded broker: MQTT_TLS_CERT_FILE / MQTT_TLS_KEY_FILE, else the HTTPS
   * pair (TLS_CERT_FILE / TLS_KEY_FILE); `names` says which pair, for messages. null = none:
   * plain MQTT only, as before TLS.
   */
  mqttTls: Readonly<{ certFile: string; keyFile: string; names: string }> | null;
  /** The plain listener (MQTT_PORT) opens: always without mqttTls; with it only when MQTT_PLAIN=on. */
  mqttPlain: boolean;
  dataDir: string;
  /** External broker; null = start the embedded aedes broker. */
  mqttUrl: string | null;
  /** The server's own account at an external broker (null = anonymous). */
  mqttUsername: string | null;
  mqttPassword: string | null;
  /** Client id (and persistent session name) of the server at an external broker. */
  mqttClientId: string;
  /**
   * Connections to the external broker sharing one subscription (`$share/ribbon/…`), so that
   * group commit gathers the messages in flight on all of them; each its own account and
   * session: the name, then name-1 … (docs/external-broker.md). 1: one plain subscription.
   */
  mqttConnections: number;
  /**
   * Messages each connection to the external broker takes in before their commit, at most
   * (server/ingest/external.ts): they share a group commit; past it, the connection waits.
   */
  mqttMaxAhead: number;
  adminPassword: string | null;
  /** The built dashboard (index.html, assets/); null = dashboard/dist of this checkout. */
  dashboardDir: string | null;
  /** HTTPS: PEM certificate and key files (both or neither); null = plain HTTP. */
  tls: Readonly<{ certFile: string; keyFile: string }> | null;
  /**
   * The base URL people's phones reach the server at, for the one-tap links in SMS
   * (`${publicUrl}/a/<token>`): scheme, host, port and any path prefix, never a trailing slash.
   */
  publicUrl: string;
  /** PUBLIC_URL was not set: publicUrl is the listen address, which a phone cannot open. */
  publicUrlDefaulted: boolean;
  /** PUBLIC_MQTT_HOST: the host name buttons connect to (a new device's label); null = the host the staff's browser used. */
  publicMqttHost: string | null;
  logLevel: LogLevel;
  http: HttpLimits;
  /** What one session and one address may cost the live feed (/ws). */
  live: Readonly<AdmissionLimits>;
  broker: BrokerLimits;
  ingest: IngestSettings;
  report: ReportSettings;
  backup: BackupSettings;
  retention: RetentionSettings;
  /** Per-device limits on unreadable messages, and the rejected log's size bound (docs/protocol.md §6). */
  rejected: RejectLimits;
}>;

/** Limits of the HTTP server (the API, the dashboard's files and the /ws upgrades). */
export type HttpLimits = Readonly<{
  /** A request's headers must have arrived this long after it began, or 408 and the socket closes. */
  headersTimeoutMs: number;
  /** … and its whole body this long after it began (an upgraded /ws socket is past it). */
  requestTimeoutMs: number;
  /** Open HTTP connections (/ws included); more are closed at once. */
  maxConnections: number;
}>;

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  // A 2 MiB roster upload on a slow mobile link still fits.
  requestTimeoutMs: 60_000,
  maxConnections: 2_000,
});

export type IngestSettings = Readonly<{
  /** A batch is committed when it reaches this many messages, or on the next tick. */
  batchMax: number;
}>;

export type ReportSettings = Readonly<{
  /** Local "HH:MM" at which the daily report for the previous local day is made. */
  time: string;
  /** IANA zone of the report's days, and of the report's and the backup's clock times. */
  timeZone: string;
}>;

export type BackupSettings = Readonly<{
  /** Local "HH:MM" (in the report's zone) of the daily backup. */
  time: string;
  dir: string;
  /** Backups kept; older ones are deleted after each new one. */
  keep: number;
}>;

/** How long records are kept (docs/privacy.md); the daily retention job deletes what is older. */
export type RetentionSettings = Readonly<{
  /** Events (presses, people's reports) and visits, in months. */
  eventsMonths: number;
  /** Rejected (unreadable) device messages, in months. */
  rejectedMonths: number;
  /** The audit log, in months: never shorter than the events'. */
  auditMonths: number;
  /** Local "HH:MM" (in the report's zone) of the daily retention job. */
  time: string;
}>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export { ConfigError };

export const ENV_HELP: ReadonlyArray<readonly [string, string]> = [
  ['PORT', 'HTTP port, 0-65535 (default 8080)'],
  ['HOST', 'address to listen on (default 127.0.0.1)'],
  ['MQTT_PORT', 'embedded broker port of plain MQTT, 0-65535 (default 1883)'],
  ['MQTTS_PORT', 'embedded broker port of MQTT over TLS, 0-65535 (default 8883), open when a certificate is set'],
  [
    'MQTT_TLS_CERT_FILE / MQTT_TLS_KEY_FILE',
    "PEM certificate and key of MQTT over TLS (both or neither; default TLS_CERT_FILE / TLS_KEY_FILE's)",
  ],
  [
    'MQTT_PLAIN',
    'on or off: plain MQTT on MQTT_PORT (default on without a certificate, off with one: devices then use MQTTS_PORT)',
  ],
  ['DATA_DIR', 'folder of the SQLite file (default ./data)'],
  ['MQTT_URL', 'use this external broker instead of the embedded one (mqtt://host:port or mqtts://…)'],
  ['MQTT_USERNAME / MQTT_PASSWORD', "the server's own account at the external broker"],
  ['MQTT_CLIENT_ID', "the server's client id at the external broker (default ribbon-server)"],
  [
    'MQTT_CONNECTIONS',
    'connections to the external broker sharing one subscription, 1-64 (default 1; 4 for a district: accounts NAME, NAME-1 …, see docs/external-broker.md)',
  ],
  [
    'MQTT_MAX_AHEAD',
    'messages each external-broker connection takes in before their commit, 1-10000 (default 256; the broker caps it too: Mosquitto max_inflight_messages)',
  ],
  ['ADMIN_PASSWORD', "first admin's password on an empty database"],
  [
    'TLS_CERT_FILE / TLS_KEY_FILE',
    'PEM certificate and key: serve HTTP and the dashboard over HTTPS, and MQTT over TLS unless MQTT_TLS_* are set (both or neither)',
  ],
  [
    'PUBLIC_URL',
    'base URL phones reach for the SMS one-tap links, http(s)://host[:port][/prefix] (default the listen address, e.g. http://127.0.0.1:8080: set it, or the links open nowhere)',
  ],
  [
    'PUBLIC_MQTT_HOST',
    "host name buttons connect to, printed on a new device's QR label (default the host name the dashboard was opened at)",
  ],
  ['LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')} (default info)`],
  ['HTTP_HEADERS_TIMEOUT_MS', 'time for a request to send its headers, 100-300000 (default 10000)'],
  ['HTTP_REQUEST_TIMEOUT_MS', 'time for a request to arrive whole, 100-3600000 (default 60000)'],
  ['HTTP_MAX_CONNECTIONS', 'open HTTP and /ws connections, 1-1000000 (default 2000)'],
  [
    'LIVE_MAX_SOCKETS_PER_SESSION',
    `open /ws sockets of one login session, 1-100000 (default ${LIVE.maxSocketsPerSession})`,
  ],
  [
    'LIVE_MAX_SOCKETS_PER_ADDRESS',
    `open /ws sockets from one address, 1-100000 (default ${LIVE.maxSocketsPerAddress})`,
  ],
  [
    'LIVE_MAX_SNAPSHOTS_PER_SESSION',
    `/ws snapshots (connect or resync) per session per 10 s, 1-1000000 (default ${LIVE.maxSnapshotsPerSession})`,
  ],
  ['MQTT_MAX_PACKET_BYTES', 'largest MQTT packet, 64-1048576 (default 4096)'],
  ['MQTT_KEEPALIVE_LIMIT', 'largest keepalive in seconds, 1-65535 (default 300)'],
  ['MQTT_CONNECT_TIMEOUT_MS', 'accept-to-CONNECT time limit, 100-60000 (default 5000)'],
  ['MQTT_MAX_TOPIC_LEVELS', 'topic depth limit, 3-16 (default 4)'],
  [
    'MQTT_CONNECT_BURST',
    'good CONNECTs per address at once, and sockets per address waiting for CONNECT, 1-1000000 (default 200)',
  ],
  ['MQTT_CONNECT_RATE', 'good CONNECTs per address per second, sustained, 1-1000000 (default 50)'],
  [
    'MQTT_FAILED_LOGIN_BURST',
    'bad-credential CONNECTs per address logged at once (a separate budget), 1-1000000 (default 20)',
  ],
  ['MQTT_FAILED_LOGIN_RATE', 'bad-credential CONNECTs per address logged per second, 1-1000000 (default 2)'],
  ['MQTT_MAX_CONNECTIONS', 'open device sockets, counted from accept, 1-1000000 (default 19000)'],
  ['INGEST_BATCH_MAX', 'messages per group commit, 1-100000 (default 512)'],
  ['REPORT_TIME', 'local HH:MM of the daily report on the previous day (default 07:00)'],
  ['REPORT_TIMEZONE', `IANA time zone of the report and backup times (default ${DEFAULT_TIME_ZONE})`],
  ['BACKUP_TIME', 'local HH:MM of the daily database backup (default 03:30)'],
  ['BACKUP_DIR', 'folder of the backups (default <DATA_DIR>/backups)'],
  ['BACKUP_KEEP', 'backups kept, newest first, 1-365 (default 7)'],
  ['RETAIN_EVENTS_MONTHS', 'months events and visits are kept, 1-240 (default 24)'],
  ['RETAIN_REJECTED_MONTHS', 'months unreadable device messages are kept, 1-240 (default 3)'],
  ['RETAIN_AUDIT_MONTHS', 'months the audit log is kept, 1-240, at least RETAIN_EVENTS_MONTHS (default 60)'],
  [
    'REJECTED_KEEP_PER_DEVICE',
    `unreadable messages kept raw per device per window, 1-1000000; the rest only counted (default ${REJECTED.keepPerDevice})`,
  ],
  ['REJECTED_WINDOW_SEC', `that window in seconds, 1-604800 (default ${REJECTED.windowMs / 1000})`],
  [
    'REJECTED_MAX_ROWS',
    `rows of the rejected log at most, oldest dropped first, 100-100000000 (default ${REJECTED.maxRows})`,
  ],
  ['RETENTION_TIME', 'local HH:MM of the daily deletion of what is older (default 04:15)'],
  ['DASHBOARD_DIR', 'folder of the built dashboard served at / (default dashboard/dist, made by npm run build)'],
];

export function loadConfig(env: Env, cwd = process.cwd()): Config {
  const mqttUrl = optionalString(env, 'MQTT_URL');
  if (mqttUrl !== null) checkMqttUrl(mqttUrl);
  const dataDir = path.resolve(cwd, optionalString(env, 'DATA_DIR') ?? './data');
  const backupDir = optionalString(env, 'BACKUP_DIR');
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = optionalString(env, 'HOST') ?? '127.0.0.1';
  const httpsFiles = tlsFiles(env, cwd, 'TLS_CERT_FILE', 'TLS_KEY_FILE');
  const tls =
    httpsFiles === null ? null : Object.freeze({ certFile: httpsFiles.certFile, keyFile: httpsFiles.keyFile });
  const mqttTls = tlsFiles(env, cwd, 'MQTT_TLS_CERT_FILE', 'MQTT_TLS_KEY_FILE') ?? httpsFiles;
  const mqttPort = int(env, 'MQTT_PORT', 1883, 0, 65535);
  const mqttsPort = int(env, 'MQTTS_PORT', 8883, 0, 65535);
  const mqttPlain = plainMqtt(env, mqttTls !== null, mqttUrl === null);
  if (mqttUrl === null && mqttTls !== null && mqttPlain && mqttPort === mqttsPort && mqttPort !== 0)
    throw new ConfigError(
      `MQTT_PORT and MQTTS_PORT are both ${mqttPort}: plain MQTT and MQTT over TLS need a port each`,
    );
  const publicUrlSet = optionalString(env, 'PUBLIC_URL');
  const config: Config = {
    port,
    host,
    mqttPort,
    mqttsPort,
    mqttTls,
    mqttPlain,
    dataDir,
    mqttUrl,
    mqttUsername: optionalString(env, 'MQTT_USERNAME'),
    mqttPassword: optionalString(env, 'MQTT_PASSWORD'),
    mqttClientId: optionalString(env, 'MQTT_CLIENT_ID') ?? 'ribbon-server',
    mqttConnections: int(env, 'MQTT_CONNECTIONS', 1, 1, 64),
    mqttMaxAhead: int(env, 'MQTT_MAX_AHEAD', 256, 1, 10_000),
    adminPassword: optionalString(env, 'ADMIN_PASSWORD'),
    dashboardDir: (() => {
      const dir = optionalString(env, 'DASHBOARD_DIR');
      return dir === null ? null : path.resolve(cwd, dir);
    })(),
    tls,
    publicUrl: publicUrlSet === null ? listenUrl(host, port, tls !== null) : checkPublicUrl(publicUrlSet),
    publicUrlDefaulted: publicUrlSet === null,
    publicMqttHost: mqttHost(env),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    http: httpLimits(env),
    live: Object.freeze({
      maxSocketsPerSession: int(env, 'LIVE_MAX_SOCKETS_PER_SESSION', LIVE.maxSocketsPerSession, 1, 100_000),
      maxSocketsPerAddress: int(env, 'LIVE_MAX_SOCKETS_PER_ADDRESS', LIVE.maxSocketsPerAddress, 1, 100_000),
      maxSnapshotsPerSession: int(env, 'LIVE_MAX_SNAPSHOTS_PER_SESSION', LIVE.maxSnapshotsPerSession, 1, 1_000_000),
    }),
    broker: Object.freeze({
      maxPacketBytes: int(env, 'MQTT_MAX_PACKET_BYTES', BROKER.maxPacketBytes, 64, 1_048_576),
      keepaliveLimitSec: int(env, 'MQTT_KEEPALIVE_LIMIT', BROKER.keepaliveLimitSec, 1, 65_535),
      connectTimeoutMs: int(env, 'MQTT_CONNECT_TIMEOUT_MS', BROKER.connectTimeoutMs, 100, 60_000),
      maxTopicLevels: int(env, 'MQTT_MAX_TOPIC_LEVELS', BROKER.maxTopicLevels, 3, 16),
      connectBurst: int(env, 'MQTT_CONNECT_BURST', BROKER.connectBurst, 1, 1_000_000),
      connectRatePerSec: int(env, 'MQTT_CONNECT_RATE', BROKER.connectRatePerSec, 1, 1_000_000),
      failedLoginBurst: int(env, 'MQTT_FAILED_LOGIN_BURST', BROKER.failedLoginBurst, 1, 1_000_000),
      failedLoginRatePerSec: int(env, 'MQTT_FAILED_LOGIN_RATE', BROKER.failedLoginRatePerSec, 1, 1_000_000),
      maxConnections: int(env, 'MQTT_MAX_CONNECTIONS', BROKER.maxConnections, 1, 1_000_000),
    }),
    ingest: Object.freeze({
      batchMax: int(env, 'INGEST_BATCH_MAX', 512, 1, 100_000),
    }),
    report: Object.freeze({
      time: timeOfDay(env, 'REPORT_TIME', '07:00'),
      timeZone: timeZone(env, 'REPORT_TIMEZONE', DEFAULT_TIME_ZONE),
    }),
    backup: Object.freeze({
      time: timeOfDay(env, 'BACKUP_TIME', '03:30'),
      dir: backupDir === null ? path.join(dataDir, 'backups') : path.resolve(cwd, backupDir),
      keep: int(env, 'BACKUP_KEEP', 7, 1, 365),
    }),
    retention: retention(env),
    rejected: Object.freeze({
      keepPerDevice: int(env, 'REJECTED_KEEP_PER_DEVICE', REJECTED.keepPerDevice, 1, 1_000_000),
      windowMs: int(env, 'REJECTED_WINDOW_SEC', REJECTED.windowMs / 1000, 1, 604_800) * 1000,
      maxRows: int(env, 'REJECTED_MAX_ROWS', REJECTED.maxRows, 100, 100_000_000),
    }),
  };
  return Object.freeze(config);
}

/** A certificate and key pair of variables: both or neither; `names` says which, for messages. */
function tlsFiles(
  env: Env,
  cwd: string,
  certName: string,
  keyName: string,
): Readonly<{ certFile: string; keyFile: string; names: string }> | null {
  const cert = optionalString(env, certName);
  const key = optionalString(env, keyName);
  if (cert === null && key === null) return null;
  if (cert === null || key === null)
    throw new ConfigError(`${certName} and ${keyName} go together: set both (PEM files) or neither`);
  return Object.freeze({
    certFile: path.resolve(cwd, cert),
    keyFile: path.resolve(cwd, key),
    names: `${certName} / ${keyName}`,
  });
}

/**
 * MQTT_PLAIN: whether the embedded broker opens plain MQTT too. Without a certificate it is the
 * only listener (on); with one, devices belong on TLS and plain MQTT is opened only when asked
 * for (a fleet moving over, or buttons too old for TLS 1.2).
 */
function plainMqtt(env: Env, hasTls: boolean, embedded: boolean): boolean {
  const value = oneOf(env, 'MQTT_PLAIN', ['on', 'off'] as const, hasTls ? 'off' : 'on');
  if (value === 'off' && !hasTls && embedded)
    throw new ConfigError(
      'MQTT_PLAIN=off leaves the embedded broker no listener: set MQTT_TLS_CERT_FILE / MQTT_TLS_KEY_FILE (or TLS_CERT_FILE / TLS_KEY_FILE) for MQTT over TLS, or leave MQTT_PLAIN unset',
    );
  return value === 'on';
}

function httpLimits(env: Env): HttpLimits {
  const D = DEFAULT_HTTP_LIMITS;
  const headersTimeoutMs = int(env, 'HTTP_HEADERS_TIMEOUT_MS', D.headersTimeoutMs, 100, 300_000);
  const requestTimeoutMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', D.requestTimeoutMs, 100, 3_600_000);
  // Node refuses a server whose headers may take longer than the whole request.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `HTTP_HEADERS_TIMEOUT_MS=${headersTimeoutMs} is out of range: expected at most HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  return Object.freeze({
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnections: int(env, 'HTTP_MAX_CONNECTIONS', D.maxConnections, 1, 1_000_000),
  });
}

function retention(env: Env): RetentionSettings {
  const eventsMonths = int(env, 'RETAIN_EVENTS_MONTHS', 24, 1, 240);
  const auditMonths = int(env, 'RETAIN_AUDIT_MONTHS', 60, 1, 240);
  // The audit log says who did what to the records: it must outlive them.
  if (auditMonths < eventsMonths) {
    throw new ConfigError(
      `RETAIN_AUDIT_MONTHS=${auditMonths} is out of range: expected at least RETAIN_EVENTS_MONTHS (${eventsMonths})`,
    );
  }
  return Object.freeze({
    eventsMonths,
    rejectedMonths: int(env, 'RETAIN_REJECTED_MONTHS', 3, 1, 240),
    auditMonths,
    time: timeOfDay(env, 'RETENTION_TIME', '04:15'),
  });
}

/**
 * PUBLIC_URL, checked and written one way: http or https, a host, no user or password, no query
 * or fragment (a link is this plus `/a/<token>`), no trailing slash. A path is kept: a reverse
 * proxy may serve the server under a prefix.
 */
function checkPublicUrl(raw: string): string {
  const expected = 'expected http(s)://host[:port][/prefix], without ? or #';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`PUBLIC_URL=${JSON.stringify(raw)} is not a URL: ${expected}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`PUBLIC_URL=${JSON.stringify(raw)} is not valid: ${expected}`);
  if (url.hostname === '' || url.username !== '' || url.password !== '')
    throw new ConfigError(`PUBLIC_URL is not valid: ${expected}, and no user or password`);
  // new URL drops an empty "?" or "#": the raw text is checked too.
  if (raw.includes('?') || raw.includes('#'))
    throw new ConfigError(`PUBLIC_URL=${JSON.stringify(raw)} is not valid: ${expected}`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** PUBLIC_MQTT_HOST: a host name or address only (no scheme, port or path); null when unset. */
function mqttHost(env: Env): string | null {
  const raw = optionalString(env, 'PUBLIC_MQTT_HOST');
  if (raw !== null && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$|^\[[0-9A-Fa-f:.]+\]$/.test(raw))
    throw new ConfigError(`PUBLIC_MQTT_HOST=${JSON.stringify(raw)} is not a host name (no scheme, port or path)`);
  return raw;
}

/** The listen address as a URL (an unspecified address as loopback): the default of PUBLIC_URL. */
function listenUrl(host: string, port: number, https: boolean): string {
  const name = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `${https ? 'https' : 'http'}://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

function checkMqttUrl(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('MQTT_URL is not a URL: expected mqtt://host:port or mqtts://host:port');
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:'].includes(url.protocol) || url.hostname === '') {
    // The URL is not echoed: it may carry a password.
    throw new ConfigError(
      `MQTT_URL with scheme ${JSON.stringify(url.protocol)} is not valid: expected mqtt://host:port or mqtts://host:port`,
    );
  }
}
