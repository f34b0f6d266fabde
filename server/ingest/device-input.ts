import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createBroker, type RibbonBroker } from '../../broker/create-broker.js';
import type { Clock } from '../app/clock.js';
import { verifySecret } from '../app/device-credentials.js';
import type { Config } from '../config.js';
import { DEVICE_TOPIC_RULES } from '../domain/topics.js';
import { TOPIC_ROOT } from '../../protocol/mqtt.js';
import type { Stores } from '../app/ports.js';
import { connectExternalIngest, type ExternalIngest } from './external.js';
import type { AckPublisher, IngestPipeline } from './pipeline.js';

/** Where device messages come in: the embedded broker, or a subscription at MQTT_URL. */
export type DeviceInput = {
  readonly broker: RibbonBroker | null;
  readonly external: ExternalIngest | null;
  readonly mqttAddress: AddressInfo | null;
  readonly publishAck: AckPublisher;
  /** Listening (embedded) or connected (external). */
  connected(): boolean;
  connectedDevices(): number;
  close(): Promise<void>;
};

/**
 * Starts the device side of the safety core: every message goes to the ingest pipeline, and
 * acks go back through the same broker. The embedded broker authenticates devices against the
 * store (a retired device is refused); an external broker does that itself.
 */
export async function startDeviceInput(
  config: Config,
  deps: { stores: Stores; pipeline: IngestPipeline; log: Logger; clock: Clock },
): Promise<DeviceInput> {
  const { stores, pipeline, log, clock } = deps;
  if (config.mqttUrl !== null) {
    const external = await connectExternalIngest({
      url: config.mqttUrl,
      clientId: config.mqttClientId,
      username: config.mqttUsername,
      password: config.mqttPassword,
      pipeline,
      log: log.child({ component: 'external-broker' }),
      now: () => clock.now(),
    });
    return {
      broker: null,
      external,
      mqttAddress: null,
      publishAck: (deviceId, ack) => external.publishAck(deviceId, ack),
      connected: () => external.client.connected,
      connectedDevices: () => 0,
      close: () => external.close(),
    };
  }
  // Nobody is connected to a broker that is only now starting.
  stores.devices.markAllOffline(clock.now());
  const broker = await createBroker({
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
      const payload = Buffer.from(online ? '1' : '0');
      const topic = `${TOPIC_ROOT}/${deviceId}/online`;
      pipeline.submit({ deviceId, channel: 'online', topic, payload, receivedAt: at }, (err) => {
        if (err) log.error({ err, deviceId }, 'could not record online state');
      });
    },
  });
  let mqttAddress: AddressInfo;
  try {
    mqttAddress = await broker.listen(config.mqttPort, config.host);
  } catch (err) {
    await broker.close();
    throw err;
  }
  return {
    broker,
    external: null,
    mqttAddress,
    publishAck: (deviceId, ack) => broker.publishAck(deviceId, ack),
    connected: () => broker.server.listening,
    connectedDevices: () => broker.connectedDevices(),
    close: () => broker.close(),
  };
}
