import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { DeviceAck, DeviceConfig } from '../../protocol/mqtt.js';
import { ackTopic, configTopic, parseDeviceTopic, SERVER_SUBSCRIPTIONS } from '../domain/topics.js';
import type { IngestPipeline } from './pipeline.js';

/** How long close() waits for the broker to acknowledge what we sent before it cuts the connection. */
export const CLOSE_TIMEOUT_MS = 2000;

export type ExternalIngest = {
  readonly client: MqttClient;
  publishAck(deviceId: string, ack: DeviceAck): void;
  /** The device's settings, retained at the broker (QoS 1). */
  publishConfig(deviceId: string, config: DeviceConfig): void;
  close(): Promise<void>;
};

/**
 * The server as a subscriber of an external broker (Mosquitto, EMQX). Credentials and ACLs are
 * the broker's job there. A persistent session (clean=false, QoS 1) makes the broker keep what
 * arrives while the server is down; the server's own PUBACK waits for the commit (mqtt.js calls
 * handleMessage before it sends the PUBACK), so an unacknowledged message is redelivered.
 *
 * mqtt.js handles incoming packets one at a time, so this path commits one message per fsync:
 * fine for a community's presses, not for the embedded broker's group-commit rates.
 */
export async function connectExternalIngest(opts: {
  url: string;
  clientId: string;
  username: string | null;
  password: string | null;
  pipeline: IngestPipeline;
  log: Logger;
  now: () => number;
}): Promise<ExternalIngest> {
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
  });

  client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
    const topic = packet.topic;
    const parsed = parseDeviceTopic(topic);
    if (parsed === null) {
      log.warn({ topic }, 'message on an unknown topic ignored');
      callback();
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    opts.pipeline.submit(
      { deviceId: parsed.deviceId, channel: parsed.channel, topic, payload, receivedAt: opts.now() },
      (err) => {
        if (err) {
          // No PUBACK: drop the connection so the broker redelivers from the session.
          log.error({ err, topic }, 'commit failed; reconnecting so the broker redelivers');
          client.stream?.destroy();
          return;
        }
        callback();
      },
    );
  };

  client.on('error', (err) => log.warn({ err: err.message }, 'external broker connection error'));
  client.on('reconnect', () => log.info({ url: redact(opts.url) }, 'reconnecting to the external broker'));
  client.on('connect', (connack) => {
    log.info({ url: redact(opts.url), sessionPresent: connack.sessionPresent }, 'connected to the external broker');
    // Subscribing again is harmless with a present session and needed without one.
    client.subscribe(
      SERVER_SUBSCRIPTIONS.map((topic) => topic),
      { qos: 1 },
      (err, granted) => {
        if (err) log.error({ err: err.message }, 'subscribe failed at the external broker');
        else if (granted?.some((g) => g.qos === 128)) {
          log.error({ granted }, 'the external broker refused a subscription: check its ACL for the server account');
        }
      },
    );
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
        reject(new Error(`the external broker refused the server: ${err.message}`));
      }
    };
    client.once('connect', onConnect);
    client.on('error', onError);
  });

  return {
    client,
    publishAck(deviceId, ack) {
      client.publish(ackTopic(deviceId), JSON.stringify(ack), { qos: 1 }, (err) => {
        if (err) log.warn({ deviceId, err: err.message }, 'ack publish failed');
      });
    },
    publishConfig(deviceId, config) {
      client.publish(configTopic(deviceId), JSON.stringify(config), { qos: 1, retain: true }, (err) => {
        if (err) log.warn({ deviceId, err: err.message }, 'config publish failed');
      });
    },
    close() {
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
    },
  };
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
