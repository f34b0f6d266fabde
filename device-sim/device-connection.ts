// How a simulated button's mqtt.js client is set up: its options checked, its CONNECT (MQTT 3.1.1,
// client id = username = device id, password = secret, persistent session, a will on `online`,
// docs/protocol.md §1), its own TCP or TLS socket (for a source address, no Nagle, and a
// certificate verified against the CA it was given, docs/protocol.md §7) and reconnects with
// exponential backoff and jitter (reconnect-backoff.ts), so a fleet neither knocks in lockstep
// through an outage nor comes back in one wave when it ends.
import net from 'node:net';
import tls from 'node:tls';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import { describeBadDeviceId } from './credentials.js';
import type { AutoHeartbeat } from './device-heartbeat.js';
import { createBackoff, DEFAULT_BACKOFF_DOUBLINGS } from './reconnect-backoff.js';

export type ConnectDeviceOptions = {
  url: string;
  id: string;
  secret: string;
  /** Counter generation; omitted from presses when undefined (a device without `boot`). */
  boot?: number | undefined;
  /** The first press carries startSeq + 1. Default 0. */
  startSeq?: number | undefined;
  keepaliveSec?: number | undefined;
  /**
   * Base reconnect delay: the first wait after a lost connection is drawn from [0.5, 1.5) × this,
   * and each failed attempt after it doubles the ceiling (reconnect-backoff.ts). Default 1000.
   */
  reconnectPeriodMs?: number | undefined;
  /** Where the doubling stops (a wait is at most 1.5 × this). Default 32 × reconnectPeriodMs. */
  reconnectMaxMs?: number | undefined;
  /**
   * How long connectDevice waits for the first session to be ready (CONNACK, the online
   * PUBACK and the ack SUBACK) before it gives up; also mqtt.js' CONNACK wait per attempt.
   * Default 30 000.
   */
  connectTimeoutMs?: number | undefined;
  /** MQTT clean session. Default false: the broker keeps the ack subscription across drops. */
  clean?: boolean | undefined;
  /** Source address for the TCP socket (mqtt://, tcp:// and mqtts://), to go past ~28k ports per IP. */
  localAddress?: string | undefined;
  /**
   * With an mqtts:// (or tls://, ssl://) url: the CA certificate(s), PEM, that the server's
   * certificate must chain to — the one the operator gave the installer. Default: the system's
   * CAs. The certificate is always verified, host name included; there is no way to skip it.
   */
  ca?: string | Buffer | undefined;
  /** Clock for the default `at`. */
  now?: (() => Date) | undefined;
  /**
   * Send heartbeats by itself, every interval the server tells it on ribbon/{id}/config (an hour
   * until told), with this battery (and model, firmware). Default: only when heartbeat() is called.
   */
  autoHeartbeat?: AutoHeartbeat | undefined;
};

export const DEFAULTS = {
  startSeq: 0,
  keepaliveSec: 60,
  reconnectPeriodMs: 1000,
  connectTimeoutMs: 30_000,
  clean: false,
  closeTimeoutMs: 5000,
} as const;

export type Topics = { state: string; heartbeat: string; online: string; ack: string; config: string };

export function topicsFor(id: string): Topics {
  const base = `ribbon/${id}`;
  return {
    state: `${base}/state`,
    heartbeat: `${base}/heartbeat`,
    online: `${base}/online`,
    ack: `${base}/ack`,
    config: `${base}/config`,
  };
}

export type ValidOptions = {
  url: string;
  id: string;
  secret: string;
  boot: number | undefined;
  startSeq: number;
  keepaliveSec: number;
  reconnectPeriodMs: number;
  reconnectMaxMs: number;
  connectTimeoutMs: number;
  clean: boolean;
  localAddress: string | undefined;
  ca: string | Buffer | undefined;
  now: () => Date;
  autoHeartbeat: AutoHeartbeat | undefined;
};

/** URL schemes of MQTT over TLS; its default port is 8883. */
export const TLS_SCHEMES: readonly string[] = ['mqtts:', 'tls:', 'ssl:'];

export function validateOptions(opts: ConnectDeviceOptions): ValidOptions {
  const where = `connectDevice(${JSON.stringify(opts.id)})`;
  const badId = typeof opts.id === 'string' ? describeBadDeviceId(opts.id) : 'must be a string';
  if (badId) throw new TypeError(`${where}: id ${badId}`);
  if (typeof opts.secret !== 'string' || opts.secret === '') {
    throw new TypeError(`${where}: secret must be a non-empty string`);
  }
  const intAtLeast = (
    name: string,
    value: number | undefined,
    min: number,
    fallback: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`${where}: ${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
    return value;
  };
  const boot = opts.boot === undefined ? undefined : intAtLeast('boot', opts.boot, 0, 0);
  const reconnectPeriodMs = intAtLeast('reconnectPeriodMs', opts.reconnectPeriodMs, 1, DEFAULTS.reconnectPeriodMs);
  return {
    url: opts.url,
    id: opts.id,
    secret: opts.secret,
    boot,
    startSeq: intAtLeast('startSeq', opts.startSeq, 0, DEFAULTS.startSeq),
    // MQTT-3.1.2.10: keep alive is a 16-bit number of seconds.
    keepaliveSec: intAtLeast('keepaliveSec', opts.keepaliveSec, 0, DEFAULTS.keepaliveSec, 65535),
    reconnectPeriodMs,
    reconnectMaxMs: intAtLeast(
      'reconnectMaxMs',
      opts.reconnectMaxMs,
      reconnectPeriodMs,
      reconnectPeriodMs * 2 ** DEFAULT_BACKOFF_DOUBLINGS,
    ),
    connectTimeoutMs: intAtLeast('connectTimeoutMs', opts.connectTimeoutMs, 1, DEFAULTS.connectTimeoutMs),
    clean: opts.clean ?? DEFAULTS.clean,
    localAddress: opts.localAddress,
    ca: opts.ca,
    now: opts.now ?? (() => new Date()),
    autoHeartbeat: opts.autoHeartbeat,
  };
}

export function createClient(o: ValidOptions, topics: Topics): MqttClient {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new TypeError(`connectDevice(${JSON.stringify(o.id)}): url "${o.url}" is not a URL`);
  }
  const backoff = createBackoff({ baseMs: o.reconnectPeriodMs, maxMs: o.reconnectMaxMs });
  const options: IClientOptions = {
    protocolVersion: 4,
    clientId: o.id,
    username: o.id,
    password: o.secret,
    clean: o.clean,
    keepalive: o.keepaliveSec,
    // Only a placeholder (not 0, which would turn reconnects off): the 'close' listener below
    // sets each wait before mqtt.js reads it.
    reconnectPeriod: o.reconnectPeriodMs,
    // Refusals after the first session are retried like any other failure (a broker that is
    // restarting may answer "server unavailable"); the first refusal is final (SimDevice's #onError).
    reconnectOnConnackError: true,
    connectTimeout: o.connectTimeoutMs,
    // We subscribe ourselves on every connect; mqtt.js' own resubscribe would double it.
    resubscribe: false,
    will: { topic: topics.online, payload: Buffer.from('0'), qos: 1, retain: true },
  };

  let client: MqttClient;
  const tcp = url.protocol === 'mqtt:' || url.protocol === 'tcp:';
  const secure = TLS_SCHEMES.includes(url.protocol);
  const where = `connectDevice(${JSON.stringify(o.id)})`;
  if (o.ca !== undefined && !secure) throw new TypeError(`${where}: ca needs an mqtts:// url`);
  if (tcp || secure) {
    // mqtt.js' own TCP builder ignores localAddress (and leaves Nagle on), so build the socket.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? (secure ? 8883 : 1883) : Number(url.port);
    const local = o.localAddress === undefined ? {} : { localAddress: o.localAddress };
    const ca = o.ca;
    client = new MqttClient(() => {
      const socket = net.createConnection({ host, port, noDelay: true, ...local });
      if (!secure) return socket;
      return tls.connect({
        socket,
        // The certificate is checked against `host` (a name or an address in its SAN); SNI
        // carries the name (never an address: RFC 6066 §3).
        host,
        ...(net.isIP(host) === 0 ? { servername: host } : {}),
        ...(ca === undefined ? {} : { ca }),
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
      });
    }, options);
  } else {
    if (o.localAddress !== undefined) {
      throw new TypeError(`${where}: localAddress needs an mqtt://, tcp:// or mqtts:// url`);
    }
    client = mqtt.connect(o.url, options);
  }
  // mqtt.js reads reconnectPeriod each time it arms the reconnect timer, from the 'close'
  // handler it registered first; prepending ours draws the next wait before that: longer after
  // each failed attempt, short again once a CONNACK came (then the link was good).
  client.prependListener('close', () => {
    client.options.reconnectPeriod = backoff.next();
  });
  client.on('connect', () => backoff.reset());
  return client;
}
