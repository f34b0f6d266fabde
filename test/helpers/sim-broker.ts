// A real aedes broker on 127.0.0.1, port 0, for the device simulator's tests: it accepts the
// given id/secret pairs, records what is published, and closes itself when the test ends.
import net from 'node:net';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket } from 'aedes';
import { onTestFinished } from 'vitest';

export type SimBrokerOptions = {
  /** id → secret; anything else is refused with CONNACK return code 4. */
  accounts: Record<string, string>;
  /** Runs before the default (accept). Call back with an error to drop the connection. */
  authorizePublish?: (client: Client | null, packet: PublishPacket, cb: (err?: Error | null) => void) => void;
};

export type SimBroker = {
  url: string;
  port: number;
  broker: Aedes;
  /** Accepted publishes (clients' and wills), `$SYS` left out, in order. */
  published: AedesPublishPacket[];
  /** CONNECT attempts seen by authenticate, accepted or not. */
  authAttempts: Array<{ id: string; ok: boolean }>;
  /** Resolves once `count` recorded publishes match (those already recorded count). */
  waitForPublishes(
    match: (p: AedesPublishPacket) => boolean,
    count: number,
    timeoutMs?: number,
  ): Promise<AedesPublishPacket[]>;
  waitForPublish(match: (p: AedesPublishPacket) => boolean, timeoutMs?: number): Promise<AedesPublishPacket>;
  /** Resolves when the broker has let go of the client with this id. */
  waitForDisconnect(id: string, timeoutMs?: number): Promise<void>;
  /** Publishes as the server would (e.g. an ack to a device). */
  publish(topic: string, payload: string | Buffer, qos?: 0 | 1): Promise<void>;
  close(): Promise<void>;
};

export async function startSimBroker(opts: SimBrokerOptions): Promise<SimBroker> {
  const published: AedesPublishPacket[] = [];
  const authAttempts: SimBroker['authAttempts'] = [];
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const expected = opts.accounts[client.id];
      const ok = expected !== undefined && username === client.id && password?.toString() === expected;
      authAttempts.push({ id: client.id, ok });
      if (ok) return done(null, true);
      // MQTT-3.2.2.3: return code 4, bad user name or password.
      return done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), null);
    },
    authorizePublish(client, packet, cb) {
      if (opts.authorizePublish) opts.authorizePublish(client, packet, cb);
      else cb(null);
    },
  });
  broker.on('publish', (packet) => {
    if (!packet.topic.startsWith('$SYS')) published.push(packet);
  });

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const waitForPublishes: SimBroker['waitForPublishes'] = (match, count, timeoutMs = 5000) => {
    const matching = (): AedesPublishPacket[] => published.filter(match);
    if (matching().length >= count) return Promise.resolve(matching().slice(0, count));
    return new Promise((resolve, reject) => {
      const onPublish = (): void => {
        // The listener registered above has already pushed this packet.
        const found = matching();
        if (found.length < count) return;
        cleanup();
        resolve(found.slice(0, count));
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = published.map((p) => `${p.topic} ${p.payload.toString()}`).join('; ') || 'nothing';
        reject(new Error(`broker: ${count} matching publish(es) not seen within ${timeoutMs} ms (saw: ${seen})`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        broker.off('publish', onPublish);
      };
      broker.on('publish', onPublish);
    });
  };

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return closed;
  };
  onTestFinished(close);

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    broker,
    published,
    authAttempts,
    waitForPublishes,
    waitForPublish: async (match, timeoutMs) => (await waitForPublishes(match, 1, timeoutMs))[0]!,
    waitForDisconnect(id, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const onDisconnect = (client: Client): void => {
          if (client.id !== id) return;
          clearTimeout(timer);
          broker.off('clientDisconnect', onDisconnect);
          resolve();
        };
        const timer = setTimeout(() => {
          broker.off('clientDisconnect', onDisconnect);
          reject(new Error(`broker: ${id} did not disconnect within ${timeoutMs} ms`));
        }, timeoutMs);
        broker.on('clientDisconnect', onDisconnect);
      });
    },
    publish(topic, payload, qos = 1) {
      return new Promise((resolve, reject) => {
        const packet: PublishPacket = {
          cmd: 'publish',
          topic,
          payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
          qos,
          retain: false,
          dup: false,
        };
        broker.publish(packet, (err) => (err ? reject(err) : resolve()));
      });
    },
    close,
  };
}
