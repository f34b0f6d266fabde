import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createBroker, type RibbonBroker } from '../broker/create-broker.js';
import { buildApp } from './api/build-app.js';
import { createChangeFeed, type ChangeFeed } from './app/changes.js';
import { verifySecret } from './app/device-credentials.js';
import { createRecordMessages } from './app/record-messages.js';
import type { Config } from './config.js';
import { connectExternalIngest, type ExternalIngest } from './ingest/external.js';
import { createIngestPipeline, type AckPublisher } from './ingest/pipeline.js';
import { createIngestMetrics, Registry } from './metrics.js';
import { openDatabase } from './store/db.js';
import { createStores, type Stores } from './store/index.js';

export type Clock = { now(): number };
export const systemClock: Clock = { now: () => Date.now() };

export type RunningSystem = {
  readonly stores: Stores;
  readonly changes: ChangeFeed;
  readonly app: FastifyInstance;
  readonly broker: RibbonBroker | null;
  readonly external: ExternalIngest | null;
  readonly httpAddress: AddressInfo;
  readonly mqttAddress: AddressInfo | null;
  stop(): Promise<void>;
};

/**
 * The composition root: database, ingest, broker (embedded, or a subscriber of MQTT_URL) and
 * HTTP, started in that order and stopped in reverse. main.ts, the demo and tests all start the
 * system through here, so what is tested is what runs.
 */
export async function startSystem(config: Config, deps: { log: Logger; clock?: Clock }): Promise<RunningSystem> {
  const { log } = deps;
  const clock = deps.clock ?? systemClock;
  const db = openDatabase(config.dataDir);
  const stores = createStores(db);
  const registry = new Registry();
  const metrics = createIngestMetrics(registry);
  const changes = createChangeFeed();

  let publishAck: AckPublisher = () => {};
  const pipeline = createIngestPipeline({
    record: createRecordMessages(stores),
    batchMax: config.ingest.batchMax,
    log,
    metrics,
    changes,
    publishAck: (deviceId, ack) => publishAck(deviceId, ack),
  });

  let broker: RibbonBroker | null = null;
  let external: ExternalIngest | null = null;
  let mqttAddress: AddressInfo | null = null;
  const cleanup: Array<() => Promise<void> | void> = [
    () => {
      db.close();
    },
  ];
  try {
    if (config.mqttUrl === null) {
      // Nobody is connected to a broker that is only now starting.
      stores.devices.markAllOffline(clock.now());
      broker = await createBroker({
        limits: config.broker,
        log: log.child({ component: 'broker' }),
        now: () => clock.now(),
        authenticateDevice(deviceId, secret) {
          const device = stores.devices.findForAuth(deviceId);
          return verifySecret(secret, device?.secretHash ?? null) && device !== null && !device.retired;
        },
        onDeviceMessage: (message, done) => pipeline.submit(message, (err) => done(err)),
        onConnectionChange(deviceId, online, at) {
          pipeline.submit(
            { deviceId, channel: 'online', topic: `ribbon/${deviceId}/online`, payload: Buffer.from(online ? '1' : '0'), receivedAt: at },
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
    registry.gauge('ribbon_connected_devices', 'Devices connected to the embedded broker.', () => brokerOf?.connectedDevices() ?? 0);
    registry.gauge('ribbon_devices_online', 'Devices whose last known state is online.', () => stores.devices.countOnline());

    const app = await buildApp({
      log,
      registry,
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

    let stopped = false;
    return {
      stores,
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
        db.close();
      },
    };
  } catch (err) {
    for (const step of cleanup) await step();
    throw err;
  }
}
