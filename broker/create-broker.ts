import net, { type AddressInfo } from 'node:net';
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
import { guardSocket } from './packet-guard.js';

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
};

export type RibbonBroker = {
  readonly aedes: Aedes;
  readonly server: net.Server;
  listen(port: number, host: string): Promise<AddressInfo>;
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

/**
 * Connections the kernel may hold for us before we accept them. Node's default (511) overflows
 * in a reconnect storm (a power cut ends and every button reconnects at once): the kernel then
 * drops SYNs, and those devices only retry after 1, 3, 7 s… (bench:connections saw CONNACK p99
 * of 11 s and 44 of 15,000 never connected). The kernel caps it at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

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
    keepaliveLimit: limits.keepaliveLimitSec,
    maxTopicLevels: limits.maxTopicLevels,
    // A frozen subscriber must not hold delivery slots for a minute.
    drainTimeout: 15_000,
    // Device ids are at most 23 characters (DEVICE_ID_PATTERN), as MQTT 3.1 requires.
    maxClientsIdLength: 23,

    // The socket already counts against its address and the global cap (from accept, below);
    // the CONNECT budgets are spent in authenticate, once the credentials say which budget.
    preConnect(client, packet, callback) {
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

  // A socket counts from accept: against the global cap for as long as it is open, and against
  // its address until its CONNECT is judged good. A socket over either limit is closed at once,
  // before aedes sees it; one that stays idle is closed by aedes' connect timeout.
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    const address = remoteAddress(socket);
    if (sockets.size >= limits.maxConnections) {
      refusals.warn(
        'connection-limit',
        { address, open: sockets.size },
        'socket closed at accept: connection limit reached',
        now(),
      );
      socket.destroy();
      return;
    }
    if (!pending.open(address)) {
      refusals.warn(
        'pending-limit',
        { address, waiting: pending.count(address) },
        'socket closed at accept: too many sockets from this address waiting for their CONNECT',
        now(),
      );
      socket.destroy();
      return;
    }
    let counted = true;
    const settle = () => {
      if (!counted) return;
      counted = false;
      pending.release(address);
    };
    judged.set(socket, settle);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      settle();
    });
    guardSocket(socket, limits.maxPacketBytes, (reason) => {
      log.warn({ address, reason }, 'packet refused before buffering; connection closed');
    });
    aedes.handle(socket);
  });
  // A backstop only: the cap above closes sockets in order, with a log line; past this margin
  // (sockets destroyed but not yet gone), Node drops them silently at accept.
  server.maxConnections = limits.maxConnections + 64;

  /** A server message to a device (QoS 1), as JSON; nowhere to send when `topic` is null. */
  function toDevice(deviceId: string, topic: string | null, body: unknown, retain: boolean, what: string): void {
    if (topic === null) return;
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: Buffer.from(JSON.stringify(body)),
      qos: 1,
      retain,
      dup: false,
    };
    aedes.publish(packet, (err) => {
      if (err) log.warn({ deviceId, err: err.message }, `${what} publish failed`);
    });
  }

  return {
    aedes,
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
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
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
