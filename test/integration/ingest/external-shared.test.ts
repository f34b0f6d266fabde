// The server's connections to a real Mosquitto sharing one subscription (MQTT_CONNECTIONS,
// `$share/ribbon/…`): presses spread over them and meet in one group commit; every press is
// stored once across a restart with a backlog queued in every session; and a server that had one
// plain subscription moves to shared ones without taking a press twice or losing its backlog.
import type { MqttClient, Packet } from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { SimDevice } from '../../../device-sim/device.js';
import {
  connect,
  countEvents,
  expectEachPressStoredOnce,
  type Stack,
  startStack,
  WAIT_MS,
} from '../../helpers/external-stack.js';
import { MOSQUITTO_PATH } from '../../helpers/mosquitto.js';
import type { TestSystem } from '../../helpers/system.js';
import { requireProgram, waitUntil } from '../../helpers/tools.js';

const { available } = requireProgram(MOSQUITTO_PATH, 'mosquitto');

/** The server's connections at the broker (the external ingest's clients). */
function serverClients(system: TestSystem): readonly MqttClient[] {
  const external = system.external;
  if (!external) throw new Error('the server is not in external-broker mode');
  return external.clients;
}

/**
 * Counts the presses each of the server's connections receives, and any press that reaches the
 * server twice as a first delivery (not a DUP redelivery): what a second subscription would do.
 */
function watchDeliveries(system: TestSystem) {
  const perConnection = serverClients(system).map(() => 0);
  const firstDeliveries = new Map<string, number>();
  serverClients(system).forEach((client, i) => {
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd !== 'publish' || !packet.topic.endsWith('/state')) return;
      perConnection[i] = (perConnection[i] ?? 0) + 1;
      if (packet.dup) return;
      const key = `${packet.topic} ${packet.payload.toString()}`;
      firstDeliveries.set(key, (firstDeliveries.get(key) ?? 0) + 1);
    });
  });
  return {
    perConnection,
    twice: () => [...firstDeliveries].filter(([, n]) => n > 1).map(([key]) => key),
  };
}

async function pressEach(sims: readonly SimDevice[], times: number): Promise<void> {
  await Promise.all(
    sims.map(async (sim) => {
      for (let i = 0; i < times; i++) await sim.press(sim.seq % 5 === 0 ? 'red' : 'blue');
    }),
  );
}

async function allStored(stack: Stack, sims: readonly SimDevice[]): Promise<void> {
  const total = sims.reduce((sum, s) => sum + s.seq, 0);
  await waitUntil(() => countEvents(stack.server) >= total, `all ${total} presses stored`, 20_000);
  expectEachPressStoredOnce(stack.server, sims);
}

describe.skipIf(!available)('external broker with shared subscriptions (MQTT_CONNECTIONS)', () => {
  it('when the server holds 4 connections, then presses are spread over them, each stored once, and every device gets its acks', async () => {
    const stack = await startStack(6, { connections: 4 });
    expect(serverClients(stack.server)).toHaveLength(4);
    expect(serverClients(stack.server).map((c) => c.options.clientId)).toEqual([
      'ribbon-server',
      'ribbon-server-1',
      'ribbon-server-2',
      'ribbon-server-3',
    ]);
    const seen = watchDeliveries(stack.server);
    const sims = await Promise.all(stack.devices.map((d) => connect(stack, d)));
    await pressEach(sims, 20);
    await allStored(stack, sims);
    // Mosquitto hands a shared subscription's messages round robin: each connection took some.
    expect(
      seen.perConnection.every((n) => n > 0),
      String(seen.perConnection),
    ).toBe(true);
    expect(seen.perConnection.reduce((a, b) => a + b, 0)).toBe(120);
    expect(seen.twice()).toEqual([]);
    for (const sim of sims) await sim.waitForAck({ seq: sim.seq, status: 'received' }, WAIT_MS);
  });

  it('when the server is stopped and devices press meanwhile, then after its restart the backlog of all 4 sessions is stored, each press once', async () => {
    const stack = await startStack(4, { connections: 4 });
    const sims = await Promise.all(stack.devices.map((d) => connect(stack, d)));
    await pressEach(sims, 5);
    await allStored(stack, sims);

    await stack.server.stop();
    // Mosquitto PUBACKs these and queues them round robin in the 4 sessions, none connected.
    await pressEach(sims, 25);

    await stack.restart();
    await allStored(stack, sims);
    await pressEach(sims, 5);
    await allStored(stack, sims);
  });

  it('when a server with one plain subscription restarts with 4 connections, then its queued backlog is taken and no later press comes twice', async () => {
    const stack = await startStack(3, { connections: 4, startWith: 1 });
    const sims = await Promise.all(stack.devices.map((d) => connect(stack, d)));
    await pressEach(sims, 3);
    await allStored(stack, sims);

    await stack.server.stop();
    await pressEach(sims, 10); // queued under the first session's plain subscription
    stack.serverEnv.MQTT_CONNECTIONS = '4';
    await stack.restart();
    const seen = watchDeliveries(stack.server);
    await allStored(stack, sims);

    await pressEach(sims, 10);
    await allStored(stack, sims);
    // The first session unsubscribed its plain topics: each later press reached one connection once.
    expect(seen.twice()).toEqual([]);
    expect(seen.perConnection.filter((n) => n > 0).length).toBeGreaterThan(1);
  });
});
