import net, { type AddressInfo } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { DeviceAck, DeviceChannel } from '../protocol/mqtt.js';
import {
  type BrokerLimits,
  DEFAULT_BROKER_LIMITS,
  DENY_ALL_TOPICS,
  refuseEveryDevice,
  type TopicRules,
} from './options.js';
import { guardSocket } from './packet-guard.js';
import { createConnectRateLimiter } from './rate-limit.js';

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
  const rate = createConnectRateLimiter({ burst: limits.connectBurst, ratePerSec: limits.connectRatePerSec });

  const aedes = await Aedes.createBroker({
    connectTimeout: limits.connectTimeoutMs,
    keepaliveLimit: limits.keepaliveLimitSec,
    maxTopicLevels: limits.maxTopicLevels,
    // A frozen subscriber must not hold delivery slots for a minute.
    drainTimeout: 15_000,
    // Device ids are at most 23 characters (DEVICE_ID_PATTERN), as MQTT 3.1 requires.
    maxClientsIdLength: 23,

    preConnect(client, packet, callback) {
      const address =
        client.conn && 'remoteAddress' in client.conn ? (client.conn.remoteAddress ?? 'unknown') : 'unknown';
      if (!rate.take(address, now())) {
        log.warn({ address, clientId: packet.clientId }, 'CONNECT refused: connection rate limit for this address');
        callback(new Error('connection rate limit'), false);
        return;
      }
      if (aedes.connectedClients >= limits.maxConnections) {
        log.warn({ address, connected: aedes.connectedClients }, 'CONNECT refused: connection limit reached');
        callback(new Error('connection limit'), false);
        return;
      }
      // The will is checked here, where the packet is: aedes publishes it later without asking.
      if (packet.will && !topics.mayWill(packet.clientId, packet.will.topic)) {
        log.warn(
          { address, clientId: packet.clientId, willTopic: packet.will.topic },
          'CONNECT refused: will on a forbidden topic',
        );
        callback(new Error('forbidden will topic'), false);
        return;
      }
      callback(null, true);
    },

    authenticate(client, username, password, callback) {
      // The client id must be the device id, or one device could take over another's session.
      if (username === undefined || client.id !== username) {
        log.warn({ clientId: client.id, username }, 'CONNECT refused: client id must equal the username (device id)');
        callback(authError('client id must equal the device id', IDENTIFIER_REJECTED), false);
        return;
      }
      let ok: boolean;
      try {
        ok = authenticateDevice(username, password);
      } catch (err) {
        log.error({ err, deviceId: username }, 'authentication failed with an error');
        callback(authError('server unavailable', SERVER_UNAVAILABLE), false);
        return;
      }
      if (!ok) {
        log.warn({ deviceId: username }, 'CONNECT refused: unknown device or wrong secret');
        callback(authError('bad device id or secret', BAD_USERNAME_OR_PASSWORD), false);
        return;
      }
      callback(null, true);
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
          "SUBSCRIBE refused: only the device's own ack topic is allowed",
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

  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    guardSocket(socket, limits.maxPacketBytes, (reason) => {
      log.warn({ address: socket.remoteAddress, reason }, 'packet refused before buffering; connection closed');
    });
    aedes.handle(socket);
  });
  // Keep a little room above the device limit so the refusal is an orderly CONNACK-less close
  // with a log line, not a silent drop at accept.
  server.maxConnections = limits.maxConnections + 64;

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
      const topic = topics.ackTopic(deviceId);
      if (topic === null) return;
      const packet: PublishPacket = {
        cmd: 'publish',
        topic,
        payload: Buffer.from(JSON.stringify(ack)),
        qos: 1,
        retain: false,
        dup: false,
      };
      aedes.publish(packet, (err) => {
        if (err) log.warn({ deviceId, err: err.message }, 'ack publish failed');
      });
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
