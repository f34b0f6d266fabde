// The external-broker connection's own answers (server/ingest/external.ts), against a real
// Mosquitto: messages taken ahead of their commit, and where their PUBACKs may go. The pipeline
// here is held by the test (its callbacks run when the test says the commit is durable), so that
// a commit can be made to finish after the connection it came on was lost.
import type { Packet } from 'mqtt';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { InboundMessage, Outcome } from '../../../server/app/record-messages.js';
import type { Done } from '../../../server/ingest/group-commit.js';
import { connectExternalIngest } from '../../../server/ingest/external.js';
import type { IngestPipeline } from '../../../server/ingest/pipeline.js';
import { type Provisioned, rawClient, startStack } from '../../helpers/external-stack.js';
import { MOSQUITTO_PATH } from '../../helpers/mosquitto.js';
import { requireProgram, waitUntil } from '../../helpers/tools.js';

const { available } = requireProgram(MOSQUITTO_PATH, 'mosquitto');

/** A pipeline whose commits the test completes. */
function heldPipeline() {
  const submitted: Array<{ message: InboundMessage; done: Done<Outcome> }> = [];
  const pipeline: IngestPipeline = {
    submit: (message, done) => submitted.push({ message, done }),
    flush: () => {},
    drained: async () => {},
    get waiting() {
      return submitted.length;
    },
  };
  return { pipeline, submitted };
}

describe.skipIf(!available)('external broker: messages taken ahead of their commit', () => {
  it('when the connection is lost before the commits end, then no PUBACK goes on the new connection for a message of the old one (held or taken ahead), and the redelivered copies are PUBACKed', async () => {
    const stack = await startStack(1);
    const [device] = stack.devices as [Provisioned];
    // The server's account, for this connection alone.
    await stack.server.stop();
    const { pipeline, submitted } = heldPipeline();
    const ingest = await connectExternalIngest({
      url: stack.broker.url,
      clientId: stack.serverEnv.MQTT_CLIENT_ID as string,
      username: stack.serverEnv.MQTT_USERNAME as string,
      password: stack.serverEnv.MQTT_PASSWORD as string,
      connections: 1,
      maxAhead: 2,
      pipeline,
      log: pino({ level: 'silent' }),
      now: () => Date.now(),
    });
    onTestFinished(() => ingest.close());
    const client = ingest.client;
    // Which packet ids arrived on which socket, and every PUBACK with the socket it went on.
    const received = new Map<unknown, Set<number>>();
    const pubacks: Array<{ stream: unknown; messageId: number }> = [];
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd !== 'publish' || packet.messageId === undefined) return;
      const ids = received.get(client.stream) ?? new Set<number>();
      ids.add(packet.messageId);
      received.set(client.stream, ids);
    });
    client.on('packetsend', (packet: Packet) => {
      if (packet.cmd === 'puback') pubacks.push({ stream: client.stream, messageId: packet.messageId ?? -1 });
    });

    const raw = await rawClient(stack.broker.url, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    for (let seq = 1; seq <= 3; seq++) {
      await raw.publishAsync(`ribbon/${device.id}/state`, JSON.stringify({ state: 'blue', seq, boot: 1 }), { qos: 1 });
    }
    // Two taken ahead, the third held by mqtt.js until its commit (maxAhead 2).
    await waitUntil(() => submitted.length === 3, 'three messages submitted');
    const first = client.stream;

    first.destroy();
    await waitUntil(() => client.connected && client.stream !== first, 'the connection to come back');
    // The first copy comes again at once; it is held, because the two taken ahead on the old
    // connection still count until their commits end.
    await waitUntil(() => submitted.length === 4, 'Mosquitto to redeliver the first press');
    // The first three commits end now, after their connection is gone.
    for (const s of submitted.slice(0, 3)) s.done(null);
    (submitted[3] as (typeof submitted)[number]).done(null);
    await waitUntil(() => submitted.length === 6, 'Mosquitto to redeliver the other two');
    for (const s of submitted.slice(4)) s.done(null);
    await waitUntil(() => pubacks.length >= 3, 'the PUBACKs of the redelivered copies');

    expect(pubacks.filter((p) => p.stream === first)).toEqual([]);
    expect(pubacks.filter((p) => !received.get(p.stream)?.has(p.messageId))).toEqual([]);
    expect(pubacks).toHaveLength(3);
    expect(submitted.slice(3).map((s) => JSON.parse(s.message.payload.toString()).seq)).toEqual([1, 2, 3]);
  });
});
