import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { DeviceAck, DeviceConfig } from '../../protocol/mqtt.js';
import { ackTopic, configTopic, parseDeviceTopic, SERVER_SUBSCRIPTIONS } from '../domain/topics.js';
import { isDiskFull } from './disk-full.js';
import type { IngestPipeline } from './pipeline.js';

/** How long close() waits for the broker to acknowledge what we sent before it cuts the connection. */
export const CLOSE_TIMEOUT_MS = 2000;

export type ExternalIngest = {
  /** The first connection (its session is the one the server had before shared subscriptions). */
  readonly client: MqttClient;
  /** Every connection of the server's, the first included. */
  readonly clients: readonly MqttClient[];
  publishAck(deviceId: string, ack: DeviceAck): void;
  /** The device's settings, retained at the broker (QoS 1). */
  publishConfig(deviceId: string, config: DeviceConfig): void;
  /** Every connection is up. */
  connected(): boolean;
  close(): Promise<void>;
};

/** The broker's shared-subscription group of the server's connections (`$share/ribbon/…`). */
export const SHARE_GROUP = 'ribbon';

/**
 * The server's accounts at the external broker, one per connection: the configured name, then
 * `name-1`, `name-2` … (with `use_username_as_clientid`, two connections of one account would
 * take each other's session over). The admin's password and ACL files name the same list.
 */
export function serverAccounts(name: string, connections: number): string[] {
  return Array.from({ length: connections }, (_, i) => (i === 0 ? name : `${name}-${i}`));
}

/** What connection `i` subscribes to, and what it unsubscribes from (what another count left). */
export function subscriptionsOf(connections: number): { subscribe: string[]; unsubscribe: string[] } {
  const plain = SERVER_SUBSCRIPTIONS.map((topic) => topic);
  const shared = plain.map((topic) => `$share/${SHARE_GROUP}/${topic}`);
  return connections === 1 ? { subscribe: plain, unsubscribe: shared } : { subscribe: shared, unsubscribe: plain };
}

/**
 * The server as a subscriber of an external broker (Mosquitto, EMQX). Credentials and ACLs are
 * the broker's job there. Persistent sessions (clean=false, QoS 1) make the broker keep what
 * arrives while the server is down; the server's own PUBACK waits for the commit and its sync,
 * so an unacknowledged message is redelivered.
 *
 * Each connection takes up to `maxAhead` messages before their commit (see handleMessage), so
 * a burst shares one group commit. With `connections` > 1 the server holds that many
 * connections, each subscribed to the device topics as one shared subscription
 * (`$share/ribbon/ribbon/+/state` …): the broker hands each message to one of them, and the
 * messages in flight on all of them meet in one group commit (docs/external-broker.md). Each
 * connection is its own account and session (`serverAccounts`); the broker queues for every
 * session of the group, connected or not, so the server always opens all of them.
 */
export async function connectExternalIngest(opts: {
  url: string;
  clientId: string;
  username: string | null;
  password: string | null;
  /** How many connections share the subscription (1: one plain subscription, as before). */
  connections?: number;
  /**
   * Messages a connection takes in before their commit, at most (MQTT_MAX_AHEAD, default 256).
   * A broker's own limit on unacknowledged messages per client is usually lower (Mosquitto's
   * max_inflight_messages 20, EMQX's max_inflight 32); this one bounds what a broker without a
   * limit hands over.
   */
  maxAhead: number;
  pipeline: IngestPipeline;
  log: Logger;
  now: () => number;
}): Promise<ExternalIngest> {
  const n = opts.connections ?? 1;
  const ids = serverAccounts(opts.clientId, n);
  const users = opts.username !== null ? serverAccounts(opts.username, n) : null;
  const topics = subscriptionsOf(n);
  const clients: MqttClient[] = [];
  try {
    for (let i = 0; i < n; i++) {
      clients.push(
        await connectOne({
          ...opts,
          clientId: ids[i] as string,
          username: users?.[i] ?? null,
          topics,
          maxAhead: opts.maxAhead,
          log: n === 1 ? opts.log : opts.log.child({ connection: i }),
        }),
      );
    }
  } catch (err) {
    for (const c of clients) c.end(true);
    throw err;
  }
  const first = clients[0] as MqttClient;
  let next = 0;
  /** A connected connection, round robin (the account of each writes every ack and config). */
  const pick = (): MqttClient => {
    for (let tried = 0; tried < clients.length; tried++) {
      const c = clients[(next + tried) % clients.length] as MqttClient;
      if (c.connected) {
        next = (next + tried + 1) % clients.length;
        return c;
      }
    }
    return first;
  };
  return {
    client: first,
    clients,
    connected: () => clients.every((c) => c.connected),
    publishAck(deviceId, ack) {
      pick().publish(ackTopic(deviceId), JSON.stringify(ack), { qos: 1 }, (err) => {
        if (err) opts.log.warn({ deviceId, err: err.message }, 'ack publish failed');
      });
    },
    publishConfig(deviceId, config) {
      pick().publish(configTopic(deviceId), JSON.stringify(config), { qos: 1, retain: true }, (err) => {
        if (err) opts.log.warn({ deviceId, err: err.message }, 'config publish failed');
      });
    },
    close: async () => {
      await Promise.all(clients.map((c) => closeOne(c, opts.log)));
    },
  };
}

async function connectOne(opts: {
  url: string;
  clientId: string;
  username: string | null;
  password: string | null;
  topics: { subscribe: string[]; unsubscribe: string[] };
  maxAhead: number;
  pipeline: IngestPipeline;
  log: Logger;
  now: () => number;
}): Promise<MqttClient> {
  const { log } = opts;
  const client = mqtt.connect(opts.url, {
    protocolVersion: 4,
    clientId: opts.clientId,
    clean: false,
    keepalive: 30,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(opts.username !== null ? { username: opts.username } : {}),
    ...(opts.password !== null ? { password: opts.password } : {}),
    // mqtt.js logs each step of each packet through `debug`, whose check alone was ~5 µs a press
    // (a CPU profile of the drain); the connection's own events are logged below.
    log: () => undefined,
  });

  // Messages of this connection let past mqtt.js before their commit (see handleMessage).
  let ahead = 0;
  client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
    const topic = packet.topic;
    const parsed = parseDeviceTopic(topic);
    if (parsed === null) {
      log.warn({ topic }, 'message on an unknown topic ignored');
      callback();
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    // mqtt.js hands over one message at a time and takes the next only once this one is
    // answered, which would put one message per connection in each group commit. So, up to
    // maxAhead, mqtt.js is told at once to go on without a PUBACK (an error given to its callback
    // skips the PUBACK), and the PUBACK is written here once the commit is durable. Past
    // maxAhead, mqtt.js waits for the commit and PUBACKs itself, as a connection without this did.
    // Either way a PUBACK goes only on the connection its message came on: after a reconnect the
    // packet id may name another message, so the broker redelivers this one instead (a
    // duplicate, answered once its copy is stored). A QoS 0 message (a device may send a
    // heartbeat so) is taken ahead too, with no PUBACK to write.
    const early = ahead < opts.maxAhead;
    const stream = client.stream;
    opts.pipeline.submit(
      { deviceId: parsed.deviceId, channel: parsed.channel, topic, payload, receivedAt: opts.now() },
      (err) => {
        if (early) ahead -= 1;
        if (err) {
          // No PUBACK: drop the connection so the broker redelivers from the session.
          // A full disk is logged by its watch, at a bounded rate.
          if (!isDiskFull(err)) log.error({ err, topic }, 'commit failed; reconnecting so the broker redelivers');
          stream.destroy();
          return;
        }
        if (!early) callback(stillOn(client, stream) ? undefined : PUBACK_LATER);
        else if (packet.qos === 1 && packet.messageId !== undefined && stillOn(client, stream)) {
          writeCorked(stream, pubackOf(packet.messageId));
          // As mqtt.js tells of each packet it writes (tests watch the PUBACKs by it).
          client.emit('packetsend', { cmd: 'puback', messageId: packet.messageId });
        }
      },
    );
    // After submit: its callback may already have run (a full batch commits at once).
    if (early) {
      ahead += 1;
      callback(PUBACK_LATER);
    }
  };

  client.on('error', (err) => log.warn({ err: err.message }, 'external broker connection error'));
  client.on('reconnect', () => log.info({ url: redact(opts.url) }, 'reconnecting to the external broker'));
  client.on('connect', (connack) => {
    log.info({ url: redact(opts.url), sessionPresent: connack.sessionPresent }, 'connected to the external broker');
    // Subscribing again is harmless with a present session and needed without one. What another
    // connection count subscribed in this session goes, or each message would come twice (what
    // it queued still comes, and is taken).
    client.unsubscribe(opts.topics.unsubscribe, (err) => {
      if (err) log.warn({ err: err.message }, 'unsubscribe failed at the external broker');
    });
    client.subscribe(opts.topics.subscribe, { qos: 1 }, (err, granted) => {
      if (err) log.error({ err: err.message }, 'subscribe failed at the external broker');
      else if (granted?.some((g) => g.qos === 128)) {
        log.error({ granted }, 'the external broker refused a subscription: check its ACL for the server account');
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onConnect = () => {
      client.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      // A refused CONNECT (bad credentials) will not get better by retrying.
      if ('code' in err && typeof err.code === 'number' && err.code >= 1 && err.code <= 5) {
        client.off('connect', onConnect);
        client.end(true);
        reject(new Error(`the external broker refused the server (${opts.clientId}): ${err.message}`));
      }
    };
    client.once('connect', onConnect);
    client.on('error', onError);
  });
  return client;
}

/** Whether `stream`, the connection a message came on, is still the client's and open. */
function stillOn(client: MqttClient, stream: MqttClient['stream']): boolean {
  return client.stream === stream && stream.writable;
}

/** Given to mqtt.js' handleMessage callback: go on to the next message, send no PUBACK. */
const PUBACK_LATER = new Error('PUBACK after the commit');

/**
 * Writes `bytes`, held until the end of this turn of the event loop: a batch's PUBACKs are
 * written in one loop, and go out in one system call per connection, not one each.
 */
function writeCorked(stream: NonNullable<MqttClient['stream']>, bytes: Buffer): void {
  if (stream.writableCorked === 0) {
    stream.cork();
    process.nextTick(() => stream.uncork());
  }
  stream.write(bytes);
}

/** An MQTT 3.1.1 PUBACK (fixed header 0x40, remaining length 2, the packet identifier). */
function pubackOf(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

function closeOne(client: MqttClient, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    // end(false) sends DISCONNECT only once the broker has PUBACKed our acks. A broker that
    // is down or stopped answering never does, and the server would never stop. The acks
    // are a courtesy (their presses are on disk already), so wait a little, then cut.
    const timer = setTimeout(() => {
      log.warn(
        { timeoutMs: CLOSE_TIMEOUT_MS },
        'the external broker did not take our disconnect in time; closing the connection',
      );
      // mqtt.js is already `disconnecting`, so it will not reconnect.
      client.stream?.destroy();
      resolve();
    }, CLOSE_TIMEOUT_MS);
    client.end(false, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.username = '';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}
