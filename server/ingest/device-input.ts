import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { TOPIC_ROOT } from '../../protocol/mqtt.js';
import { createBroker, type RibbonBroker } from '../../broker/create-broker.js';
import type { Clock } from '../app/clock.js';
import { verifySecret } from '../app/device-credentials.js';
import type { Stores } from '../app/ports.js';
import type { Config } from '../config.js';
import { isDiskFull } from './disk-full.js';
import { DEVICE_TOPIC_RULES } from '../domain/topics.js';
import { readTlsFiles } from '../tls-files.js';
import { connectExternalIngest, type ExternalIngest } from './external.js';
import type { AckPublisher, ConfigPublisher, IngestPipeline } from './pipeline.js';
import { MQTT_TLS_MIN_VERSION } from '../../broker/create-broker.js';

/** Where the embedded broker listens: plain MQTT and MQTT over TLS, each null when not open (or external). */
export type DeviceAddresses = { mqttAddress: AddressInfo | null; mqttsAddress: AddressInfo | null };

/** Where device messages come in: the embedded broker, or a subscription at MQTT_URL. */
export type DeviceInput = {
  /** The embedded broker (null with MQTT_URL). */
  readonly broker: RibbonBroker | null;
  /** The subscriber of MQTT_URL, once started (null with the embedded broker). */
  external(): ExternalIngest | null;
  /** Opens the device side: the embedded broker listens, or the subscriber connects. */
  start(): Promise<DeviceAddresses>;
  readonly publishAck: AckPublisher;
  /** A device's settings on ribbon/{id}/config, retained. */
  readonly publishConfig: ConfigPublisher;
  /**
   * Closes a device's live connection at once (it was retired, or its secret rotated, so its
   * reconnect is refused or needs the new secret). Only the embedded broker can: behind an
   * external one, the operator removes the device's password line there.
   */
  disconnect(deviceId: string): void;
  /** Listening (embedded) or connected (external). */
  connected(): boolean;
  connectedDevices(): number;
  close(): Promise<void>;
};

/**
 * The device side of the safety core: every message goes to the ingest pipeline, and acks go
 * back through the same broker. The embedded broker authenticates devices against the store (a
 * retired device is refused); an external broker does that itself. Nothing is taken in before
 * `start()`.
 *
 * A device retired after its CONNECT may still publish on its open connection. Its press is
 * kept in the rejected log with a `device` alert (app/record-messages.ts), but it is not a
 * household's press: the embedded broker gives it no PUBACK (the error makes aedes close the
 * connection, and the reconnect is refused), so the button does not show "delivered" for an
 * alarm nobody was called for. Through an external broker the PUBACK is ours only once the press
 * is kept: refusing it there would make that broker redeliver it from the session forever.
 */
export async function createDeviceInput(
  config: Config,
  deps: { stores: Stores; pipeline: IngestPipeline; log: Logger; clock: Clock },
): Promise<DeviceInput> {
  const { stores, pipeline, log, clock } = deps;
  if (config.mqttUrl !== null) {
    const url = config.mqttUrl;
    let external: ExternalIngest | null = null;
    return {
      broker: null,
      external: () => external,
      async start() {
        external = await connectExternalIngest({
          url,
          clientId: config.mqttClientId,
          connections: config.mqttConnections,
          maxAhead: config.mqttMaxAhead,
          username: config.mqttUsername,
          password: config.mqttPassword,
          pipeline,
          log: log.child({ component: 'external-broker' }),
          now: () => clock.now(),
        });
        return { mqttAddress: null, mqttsAddress: null };
      },
      // No message (and so no ack) comes before the subscriber is connected.
      publishAck: (deviceId, ack) => external?.publishAck(deviceId, ack),
      publishConfig: (deviceId, config) => external?.publishConfig(deviceId, config),
      disconnect: () => {},
      connected: () => external?.connected() ?? false,
      connectedDevices: () => 0,
      close: async () => external?.close(),
    };
  }
  // Read (and checked as a pair) before anything listens: a missing or bad file stops the start.
  const secureContext =
    config.mqttTls === null
      ? undefined
      : tls.createSecureContext({
          ...readTlsFiles(config.mqttTls, config.mqttTls.names),
          minVersion: MQTT_TLS_MIN_VERSION,
        });
  const broker = await createBroker({
    ...(secureContext ? { tls: secureContext } : {}),
    limits: config.broker,
    topics: DEVICE_TOPIC_RULES,
    log: log.child({ component: 'broker' }),
    now: () => clock.now(),
    authenticateDevice(deviceId, secret) {
      const device = stores.devices.findForAuth(deviceId);
      return verifySecret(secret, device?.secretHash ?? null) && device !== null && !device.retired;
    },
    onDeviceMessage: (message, done) =>
      pipeline.submit(message, (err, outcome) =>
        done(err ?? (outcome?.type === 'unknown-device' ? new Error('device retired since it connected') : null)),
      ),
    onConnectionChange(deviceId, online, at) {
      const payload = Buffer.from(online ? '1' : '0');
      const topic = `${TOPIC_ROOT}/${deviceId}/online`;
      pipeline.submit({ deviceId, channel: 'online', topic, payload, receivedAt: at }, (err) => {
        // A full disk is logged by its watch, at a bounded rate (a reconnecting device would flood this).
        if (err && !isDiskFull(err)) log.error({ err, deviceId }, 'could not record online state');
      });
    },
  });
  return {
    broker,
    external: () => null,
    async start() {
      // Nobody is connected to a broker that is only now starting.
      stores.devices.markAllOffline(clock.now());
      // A listener that fails (a port in use) fails the start: the caller stops everything.
      const mqttsAddress = config.mqttTls === null ? null : await broker.listenTls(config.mqttsPort, config.host);
      const mqttAddress = config.mqttPlain ? await broker.listen(config.mqttPort, config.host) : null;
      return { mqttAddress, mqttsAddress };
    },
    publishAck: (deviceId, ack) => broker.publishAck(deviceId, ack),
    publishConfig: (deviceId, config) => broker.publishConfig(deviceId, config),
    disconnect(deviceId) {
      if (broker.disconnectDevice(deviceId)) log.info({ deviceId }, 'device connection closed: retired or new secret');
    },
    connected: () => broker.listening(),
    connectedDevices: () => broker.connectedDevices(),
    close: () => broker.close(),
  };
}
