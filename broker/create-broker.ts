import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { DeviceAck, DeviceChannel, DeviceConfig } from '../protocol/mqtt.js';
import {
  type BrokerLimits,
  DEFAULT_BROKER_LIMITS,
  DENY_ALL_TOPICS,
  refuseEveryDevice,
  type TopicRules,
} from './options.js';
import { createBoundedLog, createLoginBudgets, createPendingSockets, type LoginVerdict } from './admission.js';
import { createDoor, listenOn } from './listeners.js';

export { LISTEN_BACKLOG, MQTT_TLS_MIN_VERSION } from './listeners.js';

/** A message a device published on one of its own topics, handed to ingest before the PUBACK. */
export type DeviceMessage = {
  deviceId: string;
  channel: DeviceChannel;
  topic: string;
  payload: Buffer;
  receivedAt: number;
};

export type BrokerOptions = {
  log: Logger;
  /** Default DEFAULT_BROKER_LIMITS. */
  limits?: BrokerLimits;
  /** Default Date.now. */
  now?: () => number;
  /** Who may publish, subscribe and leave a will where, and where acks go. Default DENY_ALL_TOPICS. */
  topics?: TopicRules;
  /**
   * Checks a device's credentials; synchronous: an indexed lookup and one SHA-256.
   * Default refuseEveryDevice.
   */
  authenticateDevice?(deviceId: string, secret: Buffer | undefined): boolean;
  /**
   * Called inside aedes' authorizePublish, i.e. before the PUBACK is written: `done(null)` only
   * once the message is on disk. Calls to `done` must keep arrival order (PUBACK order).
   * Default: every message is refused (no PUBACK for what nobody stored).
   */
  onDeviceMessage?(message: DeviceMessage, done: (err: Error | null) => void): void;
  /** A device's connection opened or closed (the will, if any, arrives as a message too). */
  onConnectionChange?(deviceId: string, online: boolean, at: number): void;
  /**
   * The certificate and key of the MQTT-over-TLS listener (tls.createSecureContext; the caller
   * reads the files). Default none: `listenTls` then refuses, and only the plain listener exists.
   */
  tls?: tls.SecureContext;
};

export type RibbonBroker = {
  readonly aedes: Aedes;
  /** The plain MQTT listener (listening once `listen` is called). */
  readonly server: net.Server;
  /** The MQTT-over-TLS listener; null when the broker was given no certificate. */
  readonly tlsServer: net.Server | null;
  /** The plain listener listens: MQTT over TCP. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** The TLS listener listens: MQTT over TLS, with the same limits counted from accept. */
  listenTls(port: number, host: string): Promise<AddressInfo>;
  /** Whether any listener is listening. */
  listening(): boolean;
  publishAck(deviceId: string, ack: DeviceAck): void;
  /** The device's settings on its config topic, retained (QoS 1), so it has them whenever it subscribes. */
  publishConfig(deviceId: string, config: DeviceConfig): void;
  /** Closes the device's connection now (it was retired or got a new secret); false if it has none. */
  disconnectDevice(deviceId: string): boolean;
  connectedDevices(): number;
  close(): Promise<void>;
};

// [MQTT-3.2.2-3] CONNACK return codes of MQTT 3.1.1
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;

function refuseMessage(_message: DeviceMessage, done: (err: Error | null) => void): void {
  done(new Error('this broker stores no messages'));
}

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** Refusal log lines of one kind: this many at once, then this many a second (the rest counted). */
const REFUSAL_LOG = { burst: 20, perSec: 2 } as const;

function remoteAddress(conn: unknown): string {
  return (conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? 'unknown';
}

/**
 * The embedded MQTT broker: aedes with per-device authentication, topic ACLs and limits, all
 * given in `opts` (it imports nothing from the server). The durable commit happens in
 * authorizePublish, the only hook aedes runs before the PUBACK.
 */
export async function createBroker(opts: BrokerOptions): Promise<RibbonBroker> {
  const { log } = opts;
  const limits = opts.limits ?? DEFAULT_BROKER_LIMITS;
  const now = opts.now ?? Date.now;
  const topics = opts.topics ?? DENY_ALL_TOPICS;
  const authenticateDevice = opts.authenticateDevice ?? refuseEveryDevice;
  const onDeviceMessage = opts.onDeviceMessage ?? refuseMessage;
  const budgets = createLoginBudgets(limits);
  const pending = createPendingSockets(limits.connectBurst);
  /** Per socket: marks it judged (a device connection now), so it no longer counts as pending. */
  const judged = new WeakMap<object, () => void>();
  const refusals = createBoundedLog<Record<string, unknown>>((fields, msg) => log.warn(fields, msg), REFUSAL_LOG);
  const failures = createBoundedLog<Record<string, unknown>>((fields, msg) => log.error(fields, msg), REFUSAL_LOG);

  /** A failed login spends from its address's failed-login budget; past it, it is only counted. */
  function failedLogin(address: string, fields: Record<string, unknown>, msg: string): void {
    const verdict = budgets.judge(address, false, now());
    if (verdict === 'refuse') refusals.warn('failed-login', { address, ...fields }, msg, now());
    else refusals.skip('failed-login');
  }

  const aedes = await Aedes.createBroker({
    connectTimeout: limits.connectTimeoutMs,
    // Off: the keepalive is judged in preConnect. aedes would answer CONNACK 6, a code MQTT 3.1.1
    // does not have (0–5 only, [MQTT-3.2.2-3]).
    keepaliveLimit: 0,
    maxTopicLevels: limits.maxTopicLevels,
    // A frozen subscriber must not hold delivery slots for a minute.
    drainTimeout: 15_000,
    // Device ids are at most 23 characters (DEVICE_ID_PATTERN), as MQTT 3.1 requires.
    maxClientsIdLength: 23,

    // The socket already counts against its address and the global cap (from accept, below);
    // the CONNECT budgets are spent in authenticate, once the credentials say which budget.
    preConnect(client, packet, callback) {
      // 0 (never time out) would keep a dead button "online" for ever; a long one hides it for
      // long. No 3.1.1 return code says "keepalive not acceptable" (5 "not authorized" is about
      // who, not how), so the connection is closed without a CONNACK [MQTT-3.2.2-6].
      const keepalive = packet.keepalive ?? 0;
      if (keepalive === 0 || keepalive > limits.keepaliveLimitSec) {
        failedLogin(
          remoteAddress(client.conn),
          { clientId: packet.clientId, keepalive, keepaliveLimit: limits.keepaliveLimitSec },
          `CONNECT refused: keepalive must be 1–${limits.keepaliveLimitSec} s; connection closed without CONNACK`,
        );
        callback(new Error('keepalive out of range'), false);
        return;
      }
      // The will is checked here, where the packet is: aedes publishes it later without asking.
      if (packet.will && !topics.mayWill(packet.clientId, packet.will.topic)) {
        failedLogin(
          remoteAddress(client.conn),
          { clientId: packet.clientId, willTopic: packet.will.topic },
          'CONNECT refused: will on a forbidden topic',
        );
        callback(new Error('forbidden will topic'), false);
        return;
      }
      callback(null, true);
    },

    authenticate(client, username, password, callback) {
      const address = remoteAddress(client.conn);
      // The client id must be the device id, or one device could take over another's session.
      if (username === undefined || client.id !== username) {
        failedLogin(
          address,
          { clientId: client.id, username },
          'CONNECT refused: client id must equal the username (device id)',
        );
        callback(authError('client id must equal the device id', IDENTIFIER_REJECTED), false);
        return;
      }
      let ok: boolean;
      try {
        ok = authenticateDevice(username, password);
      } catch (err) {
        failures.warn('auth-error', { err, deviceId: username }, 'authentication failed with an error', now());
        callback(authError('server unavailable', SERVER_UNAVAILABLE), false);
        return;
      }
      const verdict: LoginVerdict = budgets.judge(address, ok, now());
      switch (verdict) {
        case 'connect':
          judged.get(client.conn)?.();
          callback(null, true);
          return;
        case 'over-rate':
          refusals.warn(
            'over-rate',
            { address, deviceId: username },
            'CONNECT refused: connection rate limit for this address',
            now(),
          );
          callback(authError('connection rate limit', SERVER_UNAVAILABLE), false);
          return;
        case 'refuse':
          refusals.warn(
            'failed-login',
            { address, deviceId: username },
            'CONNECT refused: unknown device or wrong secret',
            now(),
          );
          callback(authError('bad device id or secret', BAD_USERNAME_OR_PASSWORD), false);
          return;
        case 'refuse-quietly':
          // The same answer, without a log line of its own: a flood of these must stay cheap.
          refusals.skip('failed-login');
          callback(authError('bad device id or secret', BAD_USERNAME_OR_PASSWORD), false);
          return;
        default: {
          const never: never = verdict;
          throw new Error(`unknown login verdict ${String(never)}`);
        }
      }
    },

    authorizePublish(client, packet, callback) {
      // client is null only for a will replayed from persistence; the in-memory persistence
      // keeps none across restarts, and nothing else publishes without a client.
      const deviceId = client?.id ?? null;
      const channel = deviceId === null ? null : topics.publishChannel(deviceId, packet.topic);
      if (deviceId === null || channel === null) {
        log.warn(
          { deviceId, topic: packet.topic },
          'PUBLISH refused: topic not allowed for this device; closing connection',
        );
        callback(new Error('publish not authorized'));
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      onDeviceMessage({ deviceId, channel, topic: packet.topic, payload, receivedAt: now() }, (err) => callback(err));
    },

    authorizeSubscribe(client, subscription, callback) {
      if (!topics.maySubscribe(client.id, subscription.topic)) {
        log.warn(
          { deviceId: client.id, topic: subscription.topic },
          "SUBSCRIBE refused: only the device's own ack and config topics are allowed",
        );
        callback(null, null); // SUBACK 0x80 for this filter [MQTT-3.9.3]
        return;
      }
      callback(null, subscription);
    },
  });

  // Online state from the connection itself: a clean DISCONNECT sends no will. When a device
  // reconnects before its old connection is gone (takeover), the old one's close is not news.
  const clients = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;
  aedes.on('clientReady', (client: Client) => {
    opts.onConnectionChange?.(client.id, true, now());
  });
  aedes.on('clientDisconnect', (client: Client) => {
    const current = clients[client.id];
    if (current !== undefined && current !== client) return;
    opts.onConnectionChange?.(client.id, false, now());
  });
  aedes.on('clientError', (client: Client, err: Error) => {
    log.debug({ deviceId: client.id, err: err.message }, 'device connection closed on error');
  });
  aedes.on('connectionError', (client: Client, err: Error) => {
    log.debug({ clientId: client.id, err: err.message }, 'connection refused');
  });

  // Both listeners share one door: every socket counts from accept against the global cap and
  // its address (broker/listeners.ts); the TLS one also times its handshake from accept.
  const door = createDoor({
    log,
    limits,
    now,
    refusals,
    pending,
    judged,
    handle: (conn) => aedes.handle(conn),
  });
  const server = door.plainServer();
  const tlsServer = opts.tls === undefined ? null : door.tlsServer(opts.tls);

  // aedes' own persistence (in memory): where a retained message is kept for later SUBSCRIBEs.
  const persistence = (aedes as unknown as { persistence: { storeRetained(packet: PublishPacket): Promise<void> } })
    .persistence;

  /**
   * A server message to a device (QoS 1), as JSON; nowhere to send when `topic` is null. A
   * `retain`ed one is kept for the device's next SUBSCRIBE, and goes to the subscribed device
   * now as an ordinary QoS 1 message, retain flag clear as MQTT 3.1.1 wants for a live
   * subscriber [MQTT-3.3.1-9]. Not through aedes.publish with retain set: aedes would forward it
   * with the flag set, never record the message id of its queued copy for a persistent session,
   * and so never clear it on the PUBACK. Those stale copies come back on every reconnect, and
   * aedes' clearing by message id then drops other queued messages (a press's ack) or fails with
   * "no such packet" and closes the device's fresh connection.
   */
  function toDevice(deviceId: string, topic: string | null, body: unknown, retain: boolean, what: string): void {
    if (topic === null) return;
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: Buffer.from(JSON.stringify(body)),
      qos: 1,
      retain: false,
      dup: false,
    };
    const failed = (err: Error): void => log.warn({ deviceId, err: err.message }, `${what} publish failed`);
    const publish = (): void =>
      aedes.publish(packet, (err) => {
        if (err) failed(err);
      });
    if (retain) persistence.storeRetained({ ...packet, retain: true }).then(publish, failed);
    else publish();
  }

  return {
    aedes,
    server,
    tlsServer,
    listen: (port, host) => listenOn(server, port, host),
    listenTls(port, host) {
      if (tlsServer === null) return Promise.reject(new Error('this broker was given no TLS certificate'));
      return listenOn(tlsServer, port, host);
    },
    listening: () => server.listening || (tlsServer?.listening ?? false),
    publishAck(deviceId, ack) {
      toDevice(deviceId, topics.ackTopic(deviceId), ack, false, 'ack');
    },
    publishConfig(deviceId, config) {
      toDevice(deviceId, topics.configTopic?.(deviceId) ?? null, config, true, 'config');
    },
    disconnectDevice(deviceId) {
      const client = clients[deviceId];
      if (client === undefined) return false;
      client.close();
      return true;
    },
    connectedDevices() {
      return aedes.connectedClients;
    },
    async close() {
      // A listener that never listened has nothing to wait for (close would call back with an error).
      const closed = [server, tlsServer].map(
        (s) => new Promise<void>((resolve) => (s?.listening ? s.close(() => resolve()) : resolve())),
      );
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      door.destroyAll();
      await Promise.all(closed);
    },
  };
}
