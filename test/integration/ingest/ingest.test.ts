import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice, type SimDevice } from '../../../device-sim/device.js';
import { DB_FILE_NAME } from '../../../server/store/db.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';
import { ManualClock } from '../../helpers/clock.js';
import { waitUntil } from '../../helpers/tools.js';

// Durable ingest through the embedded broker: real TCP, real SQLite file.

function port(system: TestSystem): number {
  if (system.mqttAddress === null) throw new Error('no embedded broker');
  return system.mqttAddress.port;
}

async function device(system: TestSystem, opts: { boot?: number } = {}): Promise<SimDevice & { householdId: number }> {
  const creds = system.provision();
  const d = await connectDevice({
    url: system.mqttUrl,
    id: creds.id,
    secret: creds.secret,
    reconnectPeriodMs: 100,
    ...opts,
  });
  onTestFinished(() => d.close());
  return Object.assign(d, { householdId: creds.householdId });
}

/** A second, read-only connection to the file: sees only what is committed. */
function readDb(system: TestSystem) {
  const db = new Database(path.join(system.dataDir, DB_FILE_NAME), { readonly: true });
  onTestFinished(() => {
    db.close();
  });
  return db;
}

describe('durable before PUBACK', () => {
  it('when a red press is acknowledged, then its event and emergency alert are already committed to the file', async () => {
    const system = await startTestSystem();
    const creds = system.provision();
    const db = readDb(system);
    const { raw } = await RawMqtt.connect(port(system), {
      clientId: creds.id,
      username: creds.id,
      password: creds.secret,
    });
    const seen: unknown[] = [];
    // Read the file at the moment the PUBACK bytes arrive, before anything else can run.
    raw.socket.prependListener('data', () => {
      seen.push(db.prepare('SELECT state, seq FROM events WHERE device_id = ?').all(creds.id));
    });
    raw.send(raw.publish(`ribbon/${creds.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    await raw.next((p) => p.cmd === 'puback' && p.messageId === 1);
    expect(seen[0]).toEqual([{ state: 'red', seq: 1 }]);
    const alert = db
      .prepare('SELECT kind, status, report_count FROM alerts WHERE household_id = ?')
      .get(creds.householdId);
    expect(alert).toEqual({ kind: 'emergency', status: 'open', report_count: 1 });
    expect(system.stores.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(system.stores.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('when a burst of 300 presses arrives in one TCP chunk, then the PUBACKs come back in arrival order and all are stored in that order', async () => {
    const system = await startTestSystem({ env: { INGEST_BATCH_MAX: '64' } });
    const creds = system.provision();
    const { raw } = await RawMqtt.connect(port(system), {
      clientId: creds.id,
      username: creds.id,
      password: creds.secret,
    });
    const n = 300;
    const packets = Array.from({ length: n }, (_, i) =>
      raw.publish(
        `ribbon/${creds.id}/state`,
        JSON.stringify({ state: ['red', 'yellow', 'blue'][i % 3], seq: i + 1, boot: 1 }),
        i + 1,
      ),
    );
    raw.send(...packets);
    await raw.next((p) => p.cmd === 'puback' && p.messageId === n, 15_000);
    const order = raw.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId);
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const stored = system.stores.events.listForDevice(creds.id).map((e) => e.seq);
    expect(stored).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    // Group commit really grouped: fewer commits than messages (size-triggered flush at 64).
    const metrics = await (await fetch(`${system.httpUrl}/metrics`)).text();
    const commits = Number(/ribbon_commit_batch_size_count (\d+)/.exec(metrics)?.[1]);
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(n);
  });

  it('when the WAL sync after a commit is held, then the press is in the file but gets no PUBACK, no "received" ack and no report change until the sync is done', async () => {
    // The real fdatasync, held back by the test: what the server does while the disk is slow.
    const held: Array<() => void> = [];
    let holding = false;
    const system = await startTestSystem({
      aroundSync: (sync) => (done) =>
        sync((err) => {
          if (holding) held.push(() => done(err));
          else done(err);
        }),
    });
    const d = await device(system, { boot: 1 });
    // Its "online" message is recorded (and synced) first; then the disk turns slow.
    await waitUntil(() => system.stores.devices.list().some((x) => x.id === d.id && x.online), 'the device online');
    holding = true;
    const db = readDb(system);
    const reports: number[] = [];
    onTestFinished(system.changes.subscribe((c) => c.type === 'report' && reports.push(c.householdId)));
    const pressed = d.press('red');
    const stored = db.prepare('SELECT count(*) AS n FROM events WHERE device_id = ?');
    await waitUntil(() => (stored.get(d.id) as { n: number }).n === 1, 'the press committed');
    await waitUntil(() => held.length > 0, 'its sync under way');
    let acked = false;
    void pressed.then(() => (acked = true));
    // Absence can only be shown by waiting: 300 ms is far beyond a normal sync (under 1 ms).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(acked).toBe(false);
    expect(d.acks).toEqual([]);
    expect(reports).toEqual([]);
    // /metrics counts it as waiting (the soak benchmark watches this stay near 0).
    const waiting = async () =>
      /^ribbon_ingest_waiting (\d+)$/m.exec(await (await fetch(`${system.httpUrl}/metrics`)).text())?.[1];
    expect(await waiting()).toBe('1');
    holding = false;
    for (const release of held.splice(0)) release();
    const { seq } = await pressed;
    await d.waitForAck((a) => a.seq === seq, 5000);
    expect(reports).toEqual([d.householdId]);
    expect(await waiting()).toBe('0');
  });

  it('when a press is stored, then the server publishes {"seq":n,"status":"received"} on the device ack topic', async () => {
    const system = await startTestSystem();
    const d = await device(system, { boot: 3 });
    const { seq } = await d.press('yellow');
    const ack = await d.waitForAck((a) => a.seq === seq, 5000);
    expect(ack).toEqual({ seq, status: 'received' });
    const events = system.stores.events.listForHousehold(d.householdId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ state: 'yellow', source: 'device', seq, boot: 3, deviceId: d.id });
    expect(system.stores.alerts.list({ householdId: d.householdId })).toMatchObject([
      { kind: 'service', status: 'open' },
    ]);
    expect(system.stores.places.getHousehold(d.householdId)).toMatchObject({ state: 'yellow' });
  });
});

describe('deduplication (docs/design.md §4)', () => {
  async function rawDevice(system: TestSystem) {
    const creds = system.provision();
    const { raw } = await RawMqtt.connect(port(system), {
      clientId: creds.id,
      username: creds.id,
      password: creds.secret,
    });
    let messageId = 0;
    return {
      creds,
      raw,
      async send(payload: string): Promise<void> {
        messageId += 1;
        const id = messageId;
        raw.send(raw.publish(`ribbon/${creds.id}/state`, payload, id));
        await raw.next((p) => p.cmd === 'puback' && p.messageId === id);
      },
      stored: () => system.stores.events.listForDevice(creds.id).map((e) => [e.state, e.seq, e.boot]),
    };
  }

  it('when a press with boot is redelivered, then it is acknowledged again, acked to the device again, and stored once', async () => {
    const system = await startTestSystem();
    const d = await rawDevice(system);
    d.raw.send({ cmd: 'subscribe', messageId: 900, subscriptions: [{ topic: `ribbon/${d.creds.id}/ack`, qos: 0 }] });
    await d.raw.next((p) => p.cmd === 'suback');
    await d.send('{"state":"red","seq":5,"boot":2}');
    await d.send('{"state":"red","seq":5,"boot":2}');
    expect(d.stored()).toEqual([['red', 5, 2]]);
    expect(system.stores.alerts.list({ householdId: d.creds.householdId })).toMatchObject([
      { kind: 'emergency', reportCount: 1 },
    ]);
    const acks = async () => d.raw.packets.filter((p) => p.cmd === 'publish' && p.topic.endsWith('/ack')).length;
    await expect.poll(acks, { timeout: 3000 }).toBe(2);
  });

  it('when a rebooted device with boot starts again at seq 1, then its presses are heard', async () => {
    const system = await startTestSystem();
    const d = await rawDevice(system);
    await d.send('{"state":"blue","seq":1,"boot":1}');
    await d.send('{"state":"blue","seq":1,"boot":2}');
    expect(d.stored()).toEqual([
      ['blue', 1, 1],
      ['blue', 1, 2],
    ]);
  });

  it('when a device without boot repeats a seq with the same state within 10 minutes, then it is a duplicate', async () => {
    const clock = new ManualClock(Date.parse('2026-11-25T08:00:00Z'));
    const system = await startTestSystem({ clock });
    const d = await rawDevice(system);
    await d.send('{"state":"red","seq":1}');
    clock.ms += 9 * 60_000;
    await d.send('{"state":"red","seq":1}');
    expect(d.stored()).toEqual([['red', 1, null]]);
  });

  it('when a device without boot repeats a seq with another state, then it is a new press (a reboot, not a redelivery)', async () => {
    const system = await startTestSystem();
    const d = await rawDevice(system);
    await d.send('{"state":"blue","seq":1}');
    await d.send('{"state":"red","seq":1}');
    expect(d.stored()).toEqual([
      ['blue', 1, null],
      ['red', 1, null],
    ]);
    expect(system.stores.alerts.list({ householdId: d.creds.householdId, kind: 'emergency' })).toHaveLength(1);
  });

  it('when a device without boot repeats a seq with the same state after 10 minutes, then the rebooted device is still heard', async () => {
    const clock = new ManualClock(Date.parse('2026-11-25T08:00:00Z'));
    const system = await startTestSystem({ clock });
    const d = await rawDevice(system);
    await d.send('{"state":"red","seq":1}');
    clock.ms += 10 * 60_000 + 1;
    await d.send('{"state":"red","seq":1}');
    expect(d.stored()).toEqual([
      ['red', 1, null],
      ['red', 1, null],
    ]);
    // Repeated presses join the open emergency: counted, never a second alert.
    expect(system.stores.alerts.list({ householdId: d.creds.householdId })).toMatchObject([
      { kind: 'emergency', reportCount: 2 },
    ]);
  });

  it('when bare words arrive, then every one is a press (nothing to deduplicate on)', async () => {
    const system = await startTestSystem();
    const d = await rawDevice(system);
    await d.send('red');
    await d.send(' red\n');
    expect(d.stored()).toEqual([
      ['red', null, null],
      ['red', null, null],
    ]);
  });

  it("when the device's clock says another time, then the server's receive time orders and stamps the event", async () => {
    const clock = new ManualClock(Date.parse('2026-11-25T08:00:00Z'));
    const system = await startTestSystem({ clock });
    const d = await rawDevice(system);
    await d.send('{"state":"blue","seq":2,"boot":1,"at":"2026-11-25T09:00:00+08:00"}');
    clock.ms += 1000;
    await d.send('{"state":"yellow","seq":1,"boot":1,"at":"2020-01-01T00:00:00+08:00"}');
    const events = system.stores.events.listForHousehold(d.creds.householdId);
    expect(events.map((e) => [e.state, e.receivedAt, e.deviceAt])).toEqual([
      ['yellow', clock.ms, '2020-01-01T00:00:00+08:00'],
      ['blue', clock.ms - 1000, '2026-11-25T09:00:00+08:00'],
    ]);
    // The latest by receive time is the current ribbon, whatever the device clock said.
    expect(system.stores.places.getHousehold(d.creds.householdId)).toMatchObject({
      state: 'yellow',
      lastCheckInAt: clock.ms,
    });
  });
});

describe('bad payloads from a known device', () => {
  it.each([
    ['not JSON', Buffer.from('help!')],
    ['a wrong state', Buffer.from('{"state":"green","seq":1}')],
    ['a state in capitals', Buffer.from('RED')],
    ['empty', Buffer.alloc(0)],
    ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80])],
    ['a JSON array', Buffer.from('["red"]')],
    ['a prototype key', Buffer.from('{"__proto__":{"state":"red"},"seq":1}')],
    ['a constructor key', Buffer.from('{"constructor":{"prototype":{"state":"red"}}}')],
  ])(
    'when a device sends %s, then it is PUBACKed, kept raw, raises a device alert, is logged, and the server goes on',
    async (_name, payload) => {
      const system = await startTestSystem();
      const creds = system.provision();
      const { raw } = await RawMqtt.connect(port(system), {
        clientId: creds.id,
        username: creds.id,
        password: creds.secret,
      });
      raw.send(raw.publish(`ribbon/${creds.id}/state`, payload, 1));
      await raw.next((p) => p.cmd === 'puback' && p.messageId === 1);
      const rejected = system.stores.rejected.listForDevice(creds.id);
      expect(rejected).toHaveLength(1);
      expect(Buffer.compare(rejected[0]?.payload ?? Buffer.alloc(1), payload)).toBe(0);
      expect(system.stores.events.listForDevice(creds.id)).toHaveLength(0);
      expect(system.stores.alerts.list({ householdId: creds.householdId })).toMatchObject([
        { kind: 'device', status: 'open' },
      ]);
      expect(system.logs.find((l) => l.deviceId === creds.id && /rejected log/.test(l.msg))).toBeDefined();
      expect(({} as Record<string, unknown>).state).toBeUndefined();
      // Still alive and still listening to the same device.
      raw.send(raw.publish(`ribbon/${creds.id}/state`, 'red', 2));
      await raw.next((p) => p.cmd === 'puback' && p.messageId === 2);
      expect(system.stores.events.listForDevice(creds.id).map((e) => e.state)).toEqual(['red']);
      expect((await fetch(`${system.httpUrl}/healthz`)).status).toBe(200);
    },
  );

  it('when a press has a readable state but huge numbers, then the press is kept and the bad fields are dropped and logged', async () => {
    const system = await startTestSystem();
    const creds = system.provision();
    const { raw } = await RawMqtt.connect(port(system), {
      clientId: creds.id,
      username: creds.id,
      password: creds.secret,
    });
    raw.send(
      raw.publish(
        `ribbon/${creds.id}/state`,
        '{"state":"red","seq":1e400,"boot":18446744073709551616,"battery":1e9}',
        1,
      ),
    );
    await raw.next((p) => p.cmd === 'puback');
    expect(system.stores.events.listForDevice(creds.id)).toMatchObject([
      { state: 'red', seq: null, boot: null, battery: null },
    ]);
    expect(system.logs.find((l) => /bad optional fields dropped/.test(l.msg))?.warnings).toHaveLength(3);
  });

  it('when several bad messages arrive, then they join one open device alert', async () => {
    const system = await startTestSystem();
    const creds = system.provision();
    const { raw } = await RawMqtt.connect(port(system), {
      clientId: creds.id,
      username: creds.id,
      password: creds.secret,
    });
    raw.send(
      raw.publish(`ribbon/${creds.id}/state`, 'x', 1),
      raw.publish(`ribbon/${creds.id}/heartbeat`, '{"battery":"full"}', 2),
      raw.publish(`ribbon/${creds.id}/online`, 'yes', 3),
    );
    await raw.next((p) => p.cmd === 'puback' && p.messageId === 3);
    expect(system.stores.rejected.listForDevice(creds.id).map((r) => r.topic.split('/')[2])).toEqual([
      'state',
      'heartbeat',
      'online',
    ]);
    expect(system.stores.alerts.list({ householdId: creds.householdId })).toMatchObject([
      { kind: 'device', reportCount: 3 },
    ]);
  });
});

describe('heartbeats and online state', () => {
  it('when a device sends a heartbeat, then its battery is recorded and it is not a check-in', async () => {
    const system = await startTestSystem();
    const d = await device(system);
    await d.heartbeat(64);
    expect(system.stores.devices.get(d.id)).toMatchObject({ battery: 64 });
    expect(system.stores.places.getHousehold(d.householdId)).toMatchObject({ lastCheckInAt: null, state: null });
    expect(system.stores.events.listForHousehold(d.householdId)).toHaveLength(0);
  });

  it('when a heartbeat reports the model and firmware, then the device keeps them until one reports others; a bad one costs nothing else', async () => {
    const system = await startTestSystem();
    const d = await device(system);
    expect(system.stores.devices.get(d.id)).toMatchObject({ model: null, firmware: null });
    await d.heartbeat(70, { model: 'RB-3', fw: '1.4.2' });
    expect(system.stores.devices.get(d.id)).toMatchObject({ battery: 70, model: 'RB-3', firmware: '1.4.2' });
    await d.heartbeat(69); // says neither: both stay
    expect(system.stores.devices.get(d.id)).toMatchObject({ battery: 69, model: 'RB-3', firmware: '1.4.2' });
    await d.heartbeat(68, { fw: '1.5.0' });
    expect(system.stores.devices.get(d.id)).toMatchObject({ battery: 68, model: 'RB-3', firmware: '1.5.0' });
    await d.heartbeat(67, { model: '\u0007bell', fw: 'x'.repeat(40) }); // dropped, the battery kept
    expect(system.stores.devices.get(d.id)).toMatchObject({ battery: 67, model: 'RB-3', firmware: '1.5.0' });
    expect(system.stores.households.device(d.id)).toMatchObject({ model: 'RB-3', firmware: '1.5.0' });
  });

  it('when a device connects, then it is online; when it dies, then its will marks it offline (and is not a press)', async () => {
    const system = await startTestSystem();
    const d = await device(system);
    await expect.poll(() => system.stores.devices.get(d.id)?.online, { timeout: 3000 }).toBe(true);
    d.kill();
    await expect.poll(() => system.stores.devices.get(d.id)?.online, { timeout: 5000 }).toBe(false);
    expect(system.stores.events.listForHousehold(d.householdId)).toHaveLength(0);
  });

  it('when a device disconnects cleanly (no will), then it is marked offline', async () => {
    const system = await startTestSystem();
    const d = await device(system);
    await expect.poll(() => system.stores.devices.get(d.id)?.online, { timeout: 3000 }).toBe(true);
    await d.close();
    await expect.poll(() => system.stores.devices.get(d.id)?.online, { timeout: 5000 }).toBe(false);
  });
});

describe('health and metrics', () => {
  it('when presses were stored, then /metrics counts them by state and /healthz is ok', async () => {
    const system = await startTestSystem();
    const d = await device(system);
    await d.press('red');
    await d.press('blue');
    await d.press('blue');
    const metrics = await (await fetch(`${system.httpUrl}/metrics`)).text();
    expect(metrics).toContain('ribbon_events_total{state="red",source="device"} 1');
    expect(metrics).toContain('ribbon_events_total{state="blue",source="device"} 2');
    expect(metrics).toContain('ribbon_connected_devices 1');
    expect(metrics).toMatch(/ribbon_commit_seconds_count [1-9]/);
    const health = await (await fetch(`${system.httpUrl}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', database: true, broker: 'embedded', connectedDevices: 1 });
  });
});
