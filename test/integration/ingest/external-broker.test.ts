// The server against a real Mosquitto (MQTT_URL), with real SQLite and real mqtt.js devices.
// The Mosquitto files are written the way an operator writes them (docs/external-broker.md):
// `npm run admin -- add-device --mosquitto-passwd`, `mosquitto-passwd`, `mosquitto-acl`.
import type { Packet } from 'mqtt';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConnectRefusedError, connectDevice, type SimDevice } from '../../../device-sim/device.js';
import { CLOSE_TIMEOUT_MS } from '../../../server/ingest/external.js';
import {
  connect,
  countEvents,
  countRejected,
  expectEachPressStoredOnce,
  type Provisioned,
  provision,
  rawClient,
  SERVER_USER,
  startStack,
  storedPresses,
  WAIT_MS,
} from '../../helpers/external-stack.js';
import { MOSQUITTO_PATH } from '../../helpers/mosquitto.js';
import { startTestSystem, tempDir } from '../../helpers/system.js';
import { requireProgram, waitUntil, withDeadline } from '../../helpers/tools.js';

const { available } = requireProgram(MOSQUITTO_PATH, 'mosquitto');

describe.skipIf(!available)('external broker (Mosquitto)', () => {
  describe("the admin's Mosquitto files", () => {
    it('when a device has its password line, then it connects; when the secret is wrong or the device unknown, then CONNECT is refused', async () => {
      const stack = await startStack(1);
      const [device] = stack.devices as [Provisioned];

      const sim = await connect(stack, device);
      expect(sim.connected).toBe(true);

      const wrong = connectDevice({
        url: stack.broker.url,
        id: device.id,
        secret: `${device.secret}x`,
        connectTimeoutMs: 5000,
      });
      await expect(wrong).rejects.toBeInstanceOf(ConnectRefusedError);
      // MQTT 3.1.1 §3.2.2.3: Mosquitto answers a bad password with 5 (not authorised).
      await expect(wrong).rejects.toMatchObject({ returnCode: 5 });

      const unknown = connectDevice({
        url: stack.broker.url,
        id: 'rp-not-provisioned',
        secret: device.secret,
        connectTimeoutMs: 5000,
      });
      await expect(unknown).rejects.toBeInstanceOf(ConnectRefusedError);
    });

    it('when the server account has a wrong password, then the server refuses to start and says so', async () => {
      const stack = await startStack(0);
      await expect(
        startTestSystem({ dataDir: tempDir(), env: { ...stack.serverEnv, MQTT_PASSWORD: 'not-the-password' } }),
      ).rejects.toThrow(/the external broker refused the server/);
    });

    it("when devices press, send heartbeats and come online, then the server account reads every device's topics", async () => {
      const stack = await startStack(2);
      const sims = await Promise.all(stack.devices.map((d) => connect(stack, d)));
      for (const [i, sim] of sims.entries()) {
        await sim.press('blue');
        await sim.heartbeat(60 + i);
      }
      const { devices } = stack.server.stores;
      await waitUntil(
        () =>
          sims.every(
            (sim, i) =>
              devices.get(sim.id)?.online === true &&
              devices.get(sim.id)?.battery === 60 + i &&
              countEvents(stack.server, sim.id) === 1,
          ),
        'both devices online, with their battery and their press',
      );
    });

    it('when a device retired in the server still presses through Mosquitto, then the press is kept in the rejected log with a device alert, taken once, and other presses go on', async () => {
      const stack = await startStack(2);
      const [retired, other] = (await Promise.all(stack.devices.map((d) => connect(stack, d)))) as [
        SimDevice,
        SimDevice,
      ];
      const { stores } = stack.server;
      await waitUntil(() => stores.devices.get(other.id)?.online === true, 'the other device online');
      // The operator retired it here but its password line is still in Mosquitto's file.
      expect(stores.devices.retire(retired.id, Date.now())).toBe(true);

      await retired.press('red');
      // A marker: Mosquitto delivers to the server's session in order.
      await other.press('blue');
      await other.waitForAck({ seq: 1, status: 'received' }, WAIT_MS);

      const kept = stores.rejected.listForDevice(retired.id);
      expect(
        kept.map((r) => ({ reason: r.reason, state: (JSON.parse(r.payload.toString()) as { state: string }).state })),
      ).toEqual([{ reason: 'retired device', state: 'red' }]);
      const householdId = stack.devices[0]?.householdId as number;
      expect(stores.alerts.findOpen(householdId, 'device')?.reason).toContain(retired.id);
      expect(countEvents(stack.server, retired.id)).toBe(0);
      expect(retired.acks).toEqual([]);
      // PUBACKed to Mosquitto once kept: no redelivery, no reconnect of the server's session.
      expect(stack.server.logs.lines.filter((l) => /reconnecting to the external broker/.test(l.msg))).toEqual([]);
      expect(countRejected(stack.server)).toBe(1);
    });

    it("when a device publishes on another device's topics or its own ack, then Mosquitto drops it and the server stores nothing from it", async () => {
      const stack = await startStack(2);
      const [a, b] = (await Promise.all(stack.devices.map((d) => connect(stack, d)))) as [SimDevice, SimDevice];
      const { devices } = stack.server.stores;
      await waitUntil(() => devices.get(b.id)?.online === true, 'device b online');

      // Mosquitto PUBACKs a forbidden QoS 1 publish like any other (MQTT 3.1.1 has no way to
      // say no) and delivers it to nobody.
      await a.publishRaw(`ribbon/${b.id}/state`, JSON.stringify({ state: 'red', seq: 1, boot: 1 }));
      await a.publishRaw(`ribbon/${b.id}/state`, 'red');
      await a.publishRaw(`ribbon/${b.id}/heartbeat`, JSON.stringify({ battery: 3 }));
      await a.publishRaw(`ribbon/${b.id}/online`, '0');
      await a.publishRaw(`ribbon/${b.id}/ack`, JSON.stringify({ seq: 1, status: 'resolved' }));
      await a.publishRaw(`ribbon/${a.id}/ack`, JSON.stringify({ seq: 99, status: 'resolved' }));
      await a.publishRaw(`ribbon/${a.id}/elsewhere`, 'red');

      // Markers: Mosquitto handles a client's packets in order, and the server's session gets
      // them in that order, so once these presses are stored (and acked), anything published
      // before them that got through would have been stored (or delivered) first.
      await a.press('blue');
      await a.waitForAck({ seq: 1, status: 'received' }, WAIT_MS);
      await b.press('yellow');
      await b.waitForAck({ seq: 1, status: 'received' }, WAIT_MS);

      expect(storedPresses(stack.server)).toEqual(
        [
          { deviceId: a.id, boot: 1, seq: 1, n: 1 },
          { deviceId: b.id, boot: 1, seq: 1, n: 1 },
        ].sort((x, y) => (x.deviceId < y.deviceId ? -1 : 1)),
      );
      expect(stack.server.stores.events.listForDevice(b.id).map((e) => e.state)).toEqual(['yellow']);
      expect(countRejected(stack.server)).toBe(0);
      expect(devices.get(b.id)).toMatchObject({ online: true, battery: null });
      expect(stack.server.stores.alerts.list({ kind: 'emergency' })).toEqual([]);
      expect(a.acks).toEqual([{ seq: 1, status: 'received' }]);
      expect(b.acks).toEqual([{ seq: 1, status: 'received' }]);
    });

    it("when a device subscribes to other devices' topics, then it receives only its own ack", async () => {
      const stack = await startStack(2);
      const [devA, devB] = stack.devices as [Provisioned, Provisioned];
      const a = await connect(stack, devA);
      const b = await rawClient(stack.broker.url, {
        clientId: devB.id,
        username: devB.id,
        password: devB.secret,
        clean: true,
      });
      const received: Array<{ topic: string; payload: string }> = [];
      b.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
      // Mosquitto 2 may grant these (it checks `read` when it delivers, not at SUBSCRIBE) or
      // refuse them; either way nothing of another device may arrive.
      await b.subscribeAsync(
        [
          `ribbon/${devA.id}/ack`,
          'ribbon/+/ack',
          'ribbon/+/state',
          `ribbon/${devA.id}/#`,
          '#',
          `ribbon/${devB.id}/ack`,
        ],
        { qos: 1 },
      );

      await a.press('red');
      await a.waitForAck({ seq: 1, status: 'received' }, WAIT_MS);
      await a.heartbeat(50);
      // The marker: b's own press, acked by the server after everything above.
      const ownAck = new Promise<void>((resolve) =>
        b.on('message', (topic) => topic === `ribbon/${devB.id}/ack` && resolve()),
      );
      await b.publishAsync(`ribbon/${devB.id}/state`, JSON.stringify({ state: 'blue', seq: 1, boot: 1 }), { qos: 1 });
      await withDeadline(ownAck, WAIT_MS, "b's own ack");

      expect(received).toEqual([{ topic: `ribbon/${devB.id}/ack`, payload: '{"seq":1,"status":"received"}' }]);
    });

    it('when a device is added while Mosquitto runs, then it connects once Mosquitto has reloaded its files (SIGHUP)', async () => {
      const stack = await startStack(1);
      const late = await provision(stack.dataDir, stack.passwordFile, 2);
      await expect(
        connectDevice({ url: stack.broker.url, id: late.id, secret: late.secret, connectTimeoutMs: 5000 }),
      ).rejects.toBeInstanceOf(ConnectRefusedError);

      await stack.broker.reload();
      const sim = await connect(stack, late);
      await sim.press('blue');
      await sim.waitForAck({ seq: 1, status: 'received' }, WAIT_MS);
      expect(countEvents(stack.server, late.id)).toBe(1);
    });

    it("when a device connects with the server's client id, then the server keeps its session and no press is lost (use_username_as_clientid)", async () => {
      // Without use_username_as_clientid, Mosquitto would hand the server's session to the
      // device and b's press would vanish although b has its PUBACK (docs/external-broker.md).
      const stack = await startStack(2);
      const [devA, devB] = stack.devices as [Provisioned, Provisioned];
      const client = stack.server.external?.client;
      if (!client) throw new Error('the server is not in external-broker mode');
      let serverDrops = 0;
      client.on('close', () => (serverDrops += 1));

      await rawClient(stack.broker.url, {
        clientId: SERVER_USER,
        username: devA.id,
        password: devA.secret,
        clean: false,
      });
      const b = await connect(stack, devB);
      await b.press('red');
      await b.waitForAck({ seq: 1, status: 'received' }, WAIT_MS);

      expect(serverDrops).toBe(0);
      expect(countEvents(stack.server, devB.id)).toBe(1);
    });
  });

  describe('presses through Mosquitto', () => {
    it('when a device presses red, then the press and an emergency alert are in the database and the device gets {"seq":n,"status":"received"}', async () => {
      const stack = await startStack(1);
      const [device] = stack.devices as [Provisioned];
      const sim = await connect(stack, device);
      const ackPayloads: string[] = [];
      sim.client.on('message', (topic, payload) => {
        if (topic === `ribbon/${device.id}/ack`) ackPayloads.push(payload.toString());
      });

      await sim.press('blue');
      const { seq } = await sim.press('red', { battery: 77 });
      await sim.waitForAck({ seq, status: 'received' }, WAIT_MS);

      expect(ackPayloads).toEqual(['{"seq":1,"status":"received"}', `{"seq":${seq},"status":"received"}`]);
      const { events, alerts, places, devices } = stack.server.stores;
      expect(events.listForDevice(device.id)).toMatchObject([
        { source: 'device', state: 'blue', seq: 1, boot: 1, householdId: device.householdId },
        { source: 'device', state: 'red', seq: 2, boot: 1, battery: 77, householdId: device.householdId },
      ]);
      expect(alerts.list({ householdId: device.householdId })).toMatchObject([
        { kind: 'emergency', status: 'open', reportCount: 1 },
      ]);
      expect(places.getHousehold(device.householdId)).toMatchObject({ state: 'red' });
      expect(devices.get(device.id)).toMatchObject({ online: true, battery: 77 });
    });

    // MQTT_MAX_AHEAD=1: one message taken ahead, the next waits for its commit and mqtt.js
    // PUBACKs it (server/ingest/external.ts): both ways of answering are checked.
    it.each([
      ['its messages are taken ahead of their commits', {}],
      ['MQTT_MAX_AHEAD=1 holds the connection after one', { MQTT_MAX_AHEAD: '1' }],
    ])('when the server sends a PUBACK (%s), then the press is already committed', async (_, env) => {
      const stack = await startStack(3, { env });
      const client = stack.server.external?.client;
      if (!client) throw new Error('the server is not in external-broker mode');
      const db = stack.server.stores.db;
      const stored = db.prepare<[string, number, number], { n: number }>(
        'SELECT count(*) AS n FROM events WHERE device_id = ? AND boot = ? AND seq = ?',
      );

      // The server's own connection: which message each packet id carries, and at the instant
      // mqtt.js writes the PUBACK for it, whether the row is in the database.
      const inFlight = new Map<number, { deviceId: string; boot: number; seq: number }>();
      const atPuback: Array<{ deviceId: string; seq: number; committed: number }> = [];
      client.on('packetreceive', (packet: Packet) => {
        if (packet.cmd !== 'publish' || packet.messageId === undefined) return;
        const match = /^ribbon\/([^/]+)\/state$/.exec(packet.topic);
        if (!match) return;
        const body = JSON.parse(packet.payload.toString()) as { seq: number; boot: number };
        inFlight.set(packet.messageId, { deviceId: match[1] as string, boot: body.boot, seq: body.seq });
      });
      client.on('packetsend', (packet: Packet) => {
        if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
        const press = inFlight.get(packet.messageId);
        if (!press) return;
        inFlight.delete(packet.messageId);
        atPuback.push({
          deviceId: press.deviceId,
          seq: press.seq,
          committed: stored.get(press.deviceId, press.boot, press.seq)?.n ?? 0,
        });
      });

      const sims = await Promise.all(stack.devices.map((d) => connect(stack, d)));
      await Promise.all(
        sims.map(async (sim) => {
          for (let i = 0; i < 5; i++) await sim.press(i % 2 === 0 ? 'blue' : 'yellow');
        }),
      );
      await waitUntil(() => atPuback.length === 15, 'the server to PUBACK all 15 presses');

      expect(atPuback.filter((p) => p.committed !== 1)).toEqual([]);
      expectEachPressStoredOnce(stack.server, sims);
    });

    it('when one connection receives a burst, then its presses share commits and each is PUBACKed once stored', async () => {
      const stack = await startStack(3);
      const sims = await Promise.all(stack.devices.map((d) => connect(stack, d)));
      const commits = async (): Promise<number> => {
        const res = await stack.server.app.inject({ method: 'GET', url: '/metrics' });
        return Number(/^ribbon_commit_batch_size_count (\d+)$/m.exec(res.body)?.[1] ?? Number.NaN);
      };
      const before = await commits();
      // 90 presses at once, each device's without waiting for the one before.
      await Promise.all(sims.flatMap((sim) => Array.from({ length: 30 }, () => sim.press('blue'))));
      await waitUntil(() => countEvents(stack.server) === 90, 'all 90 presses to be stored');
      for (const sim of sims) await sim.waitForAck({ seq: 30, status: 'received' }, WAIT_MS);
      // mqtt.js hands over a connection's messages one at a time: answered only after its commit,
      // each press would be a commit of its own (90).
      expect((await commits()) - before).toBeLessThan(90);
      expectEachPressStoredOnce(stack.server, sims);
    });

    it('when a device presses at QoS 0, then the press is stored and the server sends Mosquitto no PUBACK for it (its connection stays up)', async () => {
      const stack = await startStack(1);
      const [device] = stack.devices as [Provisioned];
      const client = stack.server.external?.client;
      if (!client) throw new Error('the server is not in external-broker mode');
      const pubacks: number[] = [];
      client.on('packetsend', (packet: Packet) => {
        if (packet.cmd === 'puback') pubacks.push(packet.messageId ?? -1);
      });
      const raw = await rawClient(stack.broker.url, {
        clientId: device.id,
        username: device.id,
        password: device.secret,
      });
      await raw.publishAsync(`ribbon/${device.id}/state`, JSON.stringify({ state: 'yellow', seq: 1, boot: 1 }), {
        qos: 0,
      });
      await raw.publishAsync(`ribbon/${device.id}/state`, JSON.stringify({ state: 'blue', seq: 2, boot: 1 }), {
        qos: 1,
      });
      await waitUntil(() => countEvents(stack.server) === 2, 'both presses to be stored');
      await waitUntil(() => pubacks.length === 1, 'the PUBACK of the QoS 1 press');
      // A PUBACK for the QoS 0 message (it has no packet id) would be a protocol error to Mosquitto.
      expect(pubacks.every((id) => id > 0)).toBe(true);
      expect(client.connected).toBe(true);
      expect(stack.server.logs.lines.filter((l) => l.msg === 'reconnecting to the external broker')).toEqual([]);
    });

    it('when the commit fails, then the server sends no PUBACK and stores the press once Mosquitto redelivers it', async () => {
      const stack = await startStack(1);
      const [device] = stack.devices as [Provisioned];
      const sim = await connect(stack, device);
      const db = stack.server.stores.db;
      // A failing disk, as far as this connection can tell.
      db.exec(
        `CREATE TEMP TRIGGER fail_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'test: disk trouble'); END`,
      );

      await sim.press('red'); // Mosquitto's PUBACK: the device's part is done.
      await waitUntil(
        () => stack.server.logs.lines.some((l) => l.msg === 'commit failed; reconnecting so the broker redelivers'),
        'the server to fail the commit',
      );
      expect(countEvents(stack.server)).toBe(0);

      db.exec('DROP TRIGGER temp.fail_events');
      await sim.waitForAck({ seq: 1, status: 'received' }, WAIT_MS);
      expectEachPressStoredOnce(stack.server, [sim]);
      expect(stack.server.stores.alerts.list({ kind: 'emergency' })).toHaveLength(1);
    });
  });

  describe('server restarts', () => {
    it('when the server is stopped while devices are pressing, then every press, those sent while it was down too, is stored exactly once after it starts again', async () => {
      const stack = await startStack(3);
      const sims = await Promise.all(stack.devices.map((d) => connect(stack, d)));

      type Phase = 'up' | 'stopping' | 'down' | 'restarted';
      let phase: Phase = 'up';
      // Released whenever the phase changes (and when the test stops pressing).
      let phaseChanged!: () => void;
      let nextPhase = new Promise<void>((resolve) => (phaseChanged = resolve));
      const enter = (next: Phase) => {
        phase = next;
        const release = phaseChanged;
        nextPhase = new Promise<void>((resolve) => (phaseChanged = resolve));
        release();
      };
      const whileDown = new Map<string, number[]>(sims.map((s) => [s.id, []]));
      const afterRestart = new Map<string, number>(sims.map((s) => [s.id, 0]));
      let pressing = true;
      // Each device presses back to back (each press awaits its PUBACK, from Mosquitto alone while
      // the server is down) until the test stops it; in each phase it presses at most LIMIT[phase]
      // times, then waits for the next phase. The phases move on events (presses stored, the stop
      // resolved, presses acknowledged), so the number of presses is bounded by the phases, never by
      // how long a loaded machine takes over a stop: Mosquitto PUBACKs in ~0.3 ms whatever the
      // server does, and a count over the whole test would be reached by a slow stop alone.
      const LIMIT: Record<Phase, number> = { up: 20, stopping: 50, down: 50, restarted: 10 };
      const loops = sims.map(async (sim) => {
        let inPhase = 0;
        let seen: Phase = phase;
        while (pressing) {
          if (seen !== phase) [seen, inPhase] = [phase, 0];
          if (inPhase >= LIMIT[phase]) {
            await nextPhase;
            continue;
          }
          inPhase += 1;
          const startedIn = phase;
          const { seq } = await sim.press(sim.seq % 5 === 0 ? 'red' : 'blue');
          if (startedIn === 'down' && phase === 'down') whileDown.get(sim.id)?.push(seq);
          if (startedIn === 'restarted') afterRestart.set(sim.id, (afterRestart.get(sim.id) ?? 0) + 1);
        }
      });
      try {
        const first = stack.server;
        await waitUntil(() => countEvents(first) >= 10, 'the first presses stored');
        enter('stopping');
        await first.stop();
        enter('down');
        await waitUntil(
          () => sims.every((s) => (whileDown.get(s.id)?.length ?? 0) >= 5),
          'presses acknowledged by Mosquitto while the server is down',
        );

        await stack.restart();
        enter('restarted');
        await waitUntil(() => sims.every((s) => (afterRestart.get(s.id) ?? 0) >= 3), 'presses after the restart');
      } finally {
        pressing = false;
        phaseChanged();
        await Promise.all(loops);
      }

      const second = stack.server;
      const total = sims.reduce((sum, s) => sum + s.seq, 0);
      await waitUntil(() => countEvents(second) >= total, `all ${total} presses stored`, 20_000);
      expectEachPressStoredOnce(second, sims);
      // The presses Mosquitto kept for the server's session are among them.
      for (const sim of sims) {
        const stored = new Set(second.stores.events.listForDevice(sim.id).map((e) => e.seq));
        expect(whileDown.get(sim.id)?.filter((seq) => !stored.has(seq))).toEqual([]);
      }
    });

    it('when presses come before, during and after a server restart, then each is stored exactly once and acked', async () => {
      const stack = await startStack(2);
      const sims = await Promise.all(stack.devices.map((d) => connect(stack, d)));
      const pressAll = async (states: Array<'red' | 'yellow' | 'blue'>) => {
        for (const sim of sims) for (const state of states) await sim.press(state);
      };

      await pressAll(['blue', 'yellow', 'blue']);
      for (const sim of sims) await sim.waitForAck({ seq: 3, status: 'received' }, WAIT_MS);

      await stack.server.stop();
      await pressAll(['red', 'blue', 'yellow']); // Mosquitto's PUBACKs: the server is down
      for (const sim of sims) expect(sim.acks.map((a) => a.seq)).toEqual([1, 2, 3]);

      const second = await stack.restart();
      await pressAll(['blue', 'red', 'blue']);
      for (const sim of sims) {
        for (let seq = 1; seq <= 9; seq++) await sim.waitForAck({ seq, status: 'received' }, WAIT_MS);
      }

      expectEachPressStoredOnce(second, sims);
      expect(second.stores.alerts.list({ kind: 'emergency' })).toHaveLength(2);
      expect(second.logs.find((l) => l.msg === 'connected to the external broker')).toMatchObject({
        sessionPresent: true,
      });
    });

    it("when a device loses power while the server is down, then after the restart its will marks it offline and the others' retained flags keep them online", async () => {
      const stack = await startStack(2);
      const [a, b] = (await Promise.all(stack.devices.map((d) => connect(stack, d)))) as [SimDevice, SimDevice];
      const first = stack.server;
      await waitUntil(
        () => [a, b].every((s) => first.stores.devices.get(s.id)?.online === true),
        'both devices online',
      );

      await first.stop();
      await a.kill(); // no DISCONNECT: Mosquitto publishes a's will, `0`, retained
      const second = await stack.restart();

      // The will waited in the server's session; b's retained `1` comes again with the
      // subscription. Nothing else tells the server who is online in this mode.
      await waitUntil(() => second.stores.devices.get(a.id)?.online === false, "a's will stored");
      expect(second.stores.devices.get(b.id)?.online).toBe(true);
      await b.kill();
      await waitUntil(() => second.stores.devices.get(b.id)?.online === false, "b's will stored");
    });

    it('when Mosquitto stops answering, then the server still stops within its bound', async () => {
      const stack = await startStack(1);
      const external = stack.server.external;
      if (!external) throw new Error('the server is not in external-broker mode');
      process.kill(stack.broker.pid, 'SIGSTOP');
      onTestFinished(() => void process.kill(stack.broker.pid, 'SIGCONT'));
      // An ack in flight that Mosquitto will not PUBACK: mqtt.js' graceful end waits for it.
      external.publishAck(stack.devices[0]?.id ?? 'x', { seq: 1, status: 'received' });

      const started = Date.now();
      await withDeadline(stack.server.stop(), CLOSE_TIMEOUT_MS + 5000, 'system.stop()');
      expect(Date.now() - started).toBeGreaterThanOrEqual(CLOSE_TIMEOUT_MS - 50);
      expect(stack.server.logs.find((l) => /did not take our disconnect in time/.test(l.msg))).toBeDefined();
    });
  });
});
