// A simulated button's publish that is kept as firmware keeps it (device.ts): resolved on its
// PUBACK (QoS 1), and sent again after a reconnect when mqtt.js drops it while replaying its store.
import type { MqttClient } from 'mqtt';

export type Publication = { topic: string; payload: string | Buffer; qos: 0 | 1 | 2; retain: boolean; what: string };

/**
 * Publishes and resolves on the PUBACK (QoS 1) or at once (QoS 0). `pending` holds its rejecter
 * while it waits (a closing device rejects them all); `closing` says when to stop resending.
 */
export function publishKept(
  client: MqttClient,
  p: Publication,
  pending: Set<(err: Error) => void>,
  closing: () => boolean,
): Promise<void> {
  const { topic, payload, qos, retain, what } = p;
  return new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => {
      pending.delete(fail);
      reject(err);
    };
    pending.add(fail);
    // For QoS 1 the callback runs on PUBACK; mqtt.js keeps the packet in its outgoing store
    // until then, across reconnects — except a publish made while mqtt.js replays its store
    // after a reconnect: if the link drops again, that one fails with "Connection closed"
    // (MQTT.js#2015). Firmware would keep it, so the device sends it again (same seq: the
    // server deduplicates) for as long as it is open.
    let resends = 0;
    const send = (): void => {
      client.publish(topic, payload, { qos, retain }, (err) => {
        if (!pending.has(fail)) return;
        if (err && qos > 0 && !closing() && /connection closed/i.test(err.message) && resends < 1000) {
          // Not in a tight loop: once the connection is back (mqtt.js fails such publishes
          // at once while it is down, and an immediate retry would spin).
          resends += 1;
          if (client.connected) setImmediate(send);
          else client.once('connect', send);
          return;
        }
        pending.delete(fail);
        if (err) reject(new Error(`${what} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    };
    send();
  });
}
