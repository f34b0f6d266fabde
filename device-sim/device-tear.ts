// The mqtt.js device's link cut inside a press's PUBLISH (chaos `tear`, see cut.ts): mqtt.js
// writes the packet itself, so the cut is armed on its 'packetsend' event and wraps the stream
// just for that packet's bytes.
import type { MqttClient } from 'mqtt';
import { generate, type Packet } from 'mqtt-packet';
import { cutPoint, cutStreamAfter, type TearReport } from './cut.js';

/**
 * Cuts the next PUBLISH of `body` on `topic` that mqtt.js writes after its first cutPoint(size,
 * cut) bytes. 'packetsend' is emitted synchronously just before mqtt.js writes a packet to its
 * stream, so the cut wraps exactly that packet's bytes. Only this first write is cut; the resend
 * after the reconnect goes out whole. `onTorn` hears what reached the wire (not called if the
 * socket failed before the cut). Returns the disarm, for a publish that settles unwritten.
 */
export function armTear(
  client: MqttClient,
  topic: string,
  body: string,
  cut: number,
  onTorn: (tear: TearReport) => void,
): () => void {
  const onSend = (packet: Packet): void => {
    if (packet.cmd !== 'publish' || packet.topic !== topic || packet.payload.toString() !== body) return;
    client.off('packetsend', onSend);
    const packetBytes = generate(packet).length;
    const sentBytes = cutPoint(packetBytes, cut);
    cutStreamAfter(client.stream, sentBytes, (sent) => {
      if (sent) onTorn({ sentBytes, packetBytes });
    });
  };
  client.on('packetsend', onSend);
  return () => client.off('packetsend', onSend);
}
