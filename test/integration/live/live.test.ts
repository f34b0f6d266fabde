import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { newSecret, sha256 } from '../../../server/api/auth.js';
import type { Change } from '../../../server/app/changes.js';
import { WebSocket } from 'ws';
import { TOO_SLOW } from '../../../protocol/live.js';
import { addUser, client, login, loginAdmin, makeCast, type Cast } from '../../helpers/api.js';
import { ownHub } from '../../helpers/live-hub.js';
import {
  changesOf,
  deltaWith,
  isDelta,
  isSnapshot,
  type LiveClient,
  open,
  type Delta,
  type Message,
  type SentChange,
  type Snapshot,
} from '../../helpers/live-client.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// The live hub (issue 5, "Live updates") against the real server: real ws clients on loopback.

async function rejection(promise: Promise<LiveClient>): Promise<number | string> {
  try {
    await promise;
  } catch (err) {
    return (err as { status?: number }).status ?? (err as Error).message;
  }
  throw new Error('the connection was accepted');
}

async function setup(): Promise<{ system: TestSystem; cast: Cast; port: number }> {
  const system = await startTestSystem({ scheduler: false });
  const cast = await makeCast(system);
  // The cast's households are in the journal: announced now, before any socket opens, not by the
  // journal's timer in the middle of a test that counts frames.
  system.readHouseholdJournal();
  return { system, cast, port: system.httpAddress.port };
}

describe('live hub /ws', () => {
  it('refuses no cookie, an unknown or expired session, a foreign or missing Origin, and other paths', async () => {
    const { system, cast, port } = await setup();
    expect(await rejection(open(port))).toBe(401);
    expect(await rejection(open(port, { cookie: `ribbon_session=${newSecret()}` }))).toBe(401);
    const expired = newSecret();
    system.stores.users.createSession(
      sha256(expired),
      cast.users.volunteerA.id,
      newSecret(),
      Date.now() - 10_000,
      Date.now() - 1,
    );
    expect(await rejection(open(port, { cookie: `ribbon_session=${expired}` }))).toBe(401);

    const admin = await loginAdmin(system.app);
    expect(await rejection(open(port, { cookie: admin.cookie, origin: 'http://evil.example' }))).toBe(403);
    expect(await rejection(open(port, { cookie: admin.cookie, origin: `http://127.0.0.1:${port + 1}` }))).toBe(403);
    expect(await rejection(open(port, { cookie: admin.cookie, origin: null }))).toBe(403);
    expect(await rejection(open(port, { cookie: admin.cookie, path: '/other' }))).toEqual(
      expect.stringMatching(/socket hang up|ECONNRESET/),
    );
    expect(system.logs.find((l) => l.msg === 'live connection from a foreign origin refused')).toBeDefined();

    // The right cookie and Origin are accepted (also with other cookies around it).
    const ok = await open(port, { cookie: `theme=dark; ${admin.cookie}; lang=zh` });
    await ok.next(isSnapshot);
  });

  it('sends a snapshot first, then a red press as deltas (seq + 1) within 1 s; another compound sees none of it; resync gives a fresh snapshot', async () => {
    const { system, cast, port } = await setup();
    const device = system.provision({ compound: cast.compoundA.name });
    // The device's own "online" change comes first, so that it is in the snapshot, not a delta.
    const online = new Promise<void>((resolve) => {
      const off = system.changes.subscribe((c) => {
        if (c.type === 'device' && c.deviceId === device.id && c.online === true) {
          off();
          resolve();
        }
      });
    });
    const button = await connectDevice({
      url: system.mqttUrl,
      id: device.id,
      secret: device.secret,
      reconnectPeriodMs: 100,
    });
    onTestFinished(() => button.kill());
    await online;

    const admin = await open(port, { cookie: (await loginAdmin(system.app)).cookie });
    const volunteerA = await open(port, { cookie: (await login(system.app, cast.users.volunteerA.username)).cookie });
    const volunteerB = await open(port, { cookie: (await login(system.app, cast.users.volunteerB.username)).cookie });

    const snapA = await volunteerA.next<Snapshot>(isSnapshot);
    expect(volunteerA.messages[0]).toBe(snapA);
    expect(snapA.households.map((h) => h.id).sort()).toEqual([cast.householdA, device.householdId].sort());
    expect(snapA.alerts).toEqual([]);
    expect(snapA.devices).toEqual(expect.arrayContaining([expect.objectContaining({ id: device.id, online: true })]));
    const snapAdmin = await admin.next<Snapshot>(isSnapshot);
    expect(snapAdmin.households.map((h) => h.id)).toEqual(
      expect.arrayContaining([cast.householdA, cast.householdB, device.householdId]),
    );
    const snapB = await volunteerB.next<Snapshot>(isSnapshot);
    expect(snapB.households.map((h) => h.id)).toEqual([cast.householdB]);

    const pressed = Date.now();
    await button.press('red');
    for (const [client, snap] of [
      [volunteerA, snapA],
      [admin, snapAdmin],
    ] as const) {
      const first = await client.next<Delta>(isDelta, 1000);
      expect(first.seq).toBe(snap.seq + 1);
      expect(first.changes.length).toBeGreaterThan(0);
      await client.next(
        deltaWith((c) => c.type === 'report'),
        1000,
      );
      await client.next(
        deltaWith((c) => c.type === 'alert'),
        1000,
      );
      const report = changesOf(client).find((c) => c.type === 'report');
      expect(report).toMatchObject({
        householdId: device.householdId,
        compoundId: cast.compoundA.id,
        state: 'red',
        source: 'device',
        household: { id: device.householdId, state: 'red' },
      });
      const alert = changesOf(client).find((c) => c.type === 'alert');
      // Committed together (one press), so in commit order: the report, then its alert.
      expect(changesOf(client).indexOf(report as SentChange)).toBeLessThan(
        changesOf(client).indexOf(alert as SentChange),
      );
      expect(alert).toMatchObject({
        householdId: device.householdId,
        kind: 'emergency',
        opened: true,
        alert: {
          kind: 'emergency',
          status: 'open',
          level: expect.any(Number),
          householdId: device.householdId,
          openedAt: expect.any(String),
        },
      });
      // Every message on a connection is the previous seq + 1: no gaps.
      expect(client.messages.map((m) => m.seq)).toEqual(client.messages.map((_, i) => snap.seq + i));
    }
    expect(Date.now() - pressed).toBeLessThan(1000);

    // Compound B's volunteer got nothing of A's: the next thing it receives is B's own change.
    system.changes.publish({
      type: 'device',
      deviceId: 'marker',
      householdId: cast.householdB,
      battery: 50,
      at: Date.now(),
    });
    const firstB = await volunteerB.next<Delta>(isDelta);
    expect(firstB).toMatchObject({
      seq: snapB.seq + 1,
      changes: [{ type: 'device', deviceId: 'marker', householdId: cast.householdB, compoundId: cast.compoundB.id }],
    });
    expect(volunteerB.messages).toHaveLength(2);
    // … and A's volunteer does not get B's change (the admin does).
    await admin.next(deltaWith((c) => c.deviceId === 'marker'));

    // Resync: a fresh snapshot with the next seq, now holding the open alert.
    const before = volunteerA.messages.length;
    const lastSeq = volunteerA.messages[before - 1]?.seq ?? -1;
    volunteerA.send({ type: 'hello' }); // unknown: ignored
    volunteerA.send('not json'); // ignored
    volunteerA.send({ type: 'resync' });
    const fresh = await volunteerA.next<Snapshot>(isSnapshot, 2000, before);
    expect(fresh.seq).toBe(lastSeq + 1);
    expect(volunteerA.messages.slice(before)).toEqual([fresh]);
    expect(fresh.alerts).toEqual([
      expect.objectContaining({ householdId: device.householdId, kind: 'emergency', status: 'open' }),
    ]);
    expect(fresh.households.find((h) => h.id === device.householdId)).toMatchObject({ state: 'red' });
    expect(changesOf(volunteerA).some((c) => c.deviceId === 'marker')).toBe(false);
  });

  it('when several changes are committed in one turn, then each connection gets them in ONE frame, in commit order and filtered, with seq + 1 per frame', async () => {
    const { system, cast, port } = await setup();
    const admin = await open(port, { cookie: (await loginAdmin(system.app)).cookie });
    const volunteerA = await open(port, { cookie: (await login(system.app, cast.users.volunteerA.username)).cookie });
    const volunteerB = await open(port, { cookie: (await login(system.app, cast.users.volunteerB.username)).cookie });
    const snaps = await Promise.all([admin, volunteerA, volunteerB].map((c) => c.next<Snapshot>(isSnapshot)));
    const device = (deviceId: string, householdId: number): Change => ({
      type: 'device',
      deviceId,
      householdId,
      battery: 50,
      at: Date.now(),
    });

    // One turn: A, B, A; a later turn: A, A.
    for (const [id, household] of [
      ['t1-a1', cast.householdA],
      ['t1-b', cast.householdB],
      ['t1-a2', cast.householdA],
    ] as const)
      system.changes.publish(device(id, household));
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const id of ['t2-a1', 't2-a2']) system.changes.publish(device(id, cast.householdA));
    await admin.next(deltaWith((c) => c.deviceId === 't2-a2'));
    await volunteerA.next(deltaWith((c) => c.deviceId === 't2-a2'));
    await volunteerB.next(isDelta);

    const frames = (client: LiveClient) =>
      client.messages.filter(isDelta).map((d) => ({ seq: d.seq, ids: d.changes.map((c) => c.deviceId) }));
    const [snapAdmin, snapA, snapB] = snaps.map((s) => s.seq) as [number, number, number];
    expect(frames(admin)).toEqual([
      { seq: snapAdmin + 1, ids: ['t1-a1', 't1-b', 't1-a2'] },
      { seq: snapAdmin + 2, ids: ['t2-a1', 't2-a2'] },
    ]);
    expect(frames(volunteerA)).toEqual([
      { seq: snapA + 1, ids: ['t1-a1', 't1-a2'] },
      { seq: snapA + 2, ids: ['t2-a1', 't2-a2'] },
    ]);
    // Nothing of a turn that holds none of B's compounds: no empty frame, no seq used.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(frames(volunteerB)).toEqual([{ seq: snapB + 1, ids: ['t1-b'] }]);
    expect(admin.messages.filter(isDelta)[0]?.changes[1]).toMatchObject({
      type: 'device',
      deviceId: 't1-b',
      householdId: cast.householdB,
      compoundId: cast.compoundB.id,
      battery: 50,
    });
  });

  it('when a snapshot is larger than maxBufferedBytes and the socket has nothing waiting, then it is sent, not cut off', async () => {
    const { system } = await setup();
    const { port } = await ownHub(system, { changes: system.changes, maxBufferedBytes: 256 });
    const client = await open(port, { cookie: (await loginAdmin(system.app)).cookie });
    const snapshot = await client.next<Snapshot>(isSnapshot);
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(256);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('when pingIntervalMs passes, then each connection gets a tick without a seq, and the next delta is still snapshot seq + 1', async () => {
    const { system, cast } = await setup();
    // A hub of its own with a short ping interval, and a feed the test drives.
    const { port, changes, hub } = await ownHub(system, { pingIntervalMs: 100 });
    const client = await open(port, { cookie: (await login(system.app, cast.users.volunteerA.username)).cookie });
    const snapshot = await client.next<Snapshot>(isSnapshot);

    const isTick = (m: Message): boolean => m.type === 'tick';
    const first = await client.next(isTick, 2000);
    const second = await client.next(isTick, 2000, client.messages.indexOf(first) + 1);
    for (const tick of [first, second]) {
      // Exactly {type, at}: no seq, so a client's gap check never sees it.
      expect(Object.keys(tick).sort()).toEqual(['at', 'type']);
      expect(new Date(tick.at as string).toISOString()).toBe(tick.at);
    }
    expect(Date.parse(second.at as string)).toBeGreaterThan(Date.parse(first.at as string));

    changes.publish({
      type: 'device',
      deviceId: 'after-ticks',
      householdId: cast.householdA,
      battery: 50,
      at: Date.now(),
    });
    const delta = await client.next<Delta>(isDelta);
    expect(delta.seq).toBe(snapshot.seq + 1);
    // Ticks answered pongs all along: the connection is still open and counted.
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(hub.connections()).toBe(1);
  });

  it('closes a socket that sends a message over maxPayload (1009)', async () => {
    const { system, port } = await setup();
    const client = await open(port, { cookie: (await loginAdmin(system.app)).cookie });
    await client.next(isSnapshot);
    client.send({ type: 'resync', pad: 'x'.repeat(5000) });
    expect((await client.closedWithin()).code).toBe(1009);
  });

  it('when staff register a household or mark one away over HTTP, then the dashboards of that compound see it at once (awayUntil included), others do not', async () => {
    const { system, cast, port } = await setup();
    const staff = await login(system.app, cast.users.staffA.username);
    const volunteerA = await open(port, { cookie: (await login(system.app, cast.users.volunteerA.username)).cookie });
    const volunteerB = await open(port, { cookie: (await login(system.app, cast.users.volunteerB.username)).cookie });
    const snapA = await volunteerA.next<Snapshot>(isSnapshot);
    await volunteerB.next<Snapshot>(isSnapshot);
    expect(snapA.households.find((h) => h.id === cast.householdA)).toMatchObject({ awayUntil: null });

    const asStaff = client(system.app, staff);
    const patched = await asStaff('PATCH', `/api/households/${cast.householdA}`, { awayUntil: '2099-12-31' });
    expect(patched.statusCode, patched.body).toBe(200);
    await volunteerA.next(
      deltaWith((c) => c.type === 'household' && c.householdId === cast.householdA),
      1000,
    );
    expect(changesOf(volunteerA).find((c) => c.type === 'household')).toMatchObject({
      compoundId: cast.compoundA.id,
      household: { id: cast.householdA, awayUntil: '2099-12-31' },
    });

    const created = await asStaff('POST', '/api/households', {
      name: '新住户',
      compound: cast.compoundA.name,
      building: '7号楼',
      room: '701',
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = (created.json() as { id: number }).id;
    await volunteerA.next(
      deltaWith((c) => c.type === 'household' && c.householdId === id),
      1000,
    );
    expect(changesOf(volunteerA).find((c) => c.householdId === id)).toMatchObject({
      household: { name: '新住户', building: '7号楼', room: '701' },
    });
    // The other compound's volunteer heard nothing of either (it may hear of its own compound's
    // households: the cast's, registered as the test began, come through the journal too).
    expect(changesOf(volunteerB).filter((c) => c.householdId === id || c.householdId === cast.householdA)).toEqual([]);
    expect(changesOf(volunteerB).every((c) => c.compoundId === cast.compoundB.id)).toBe(true);
  });

  it('cuts off a client that does not read with 4000 instead of buffering without bound', async () => {
    const { system, cast } = await setup();
    // A hub of its own, with a small buffer limit and a feed the test drives.
    const { port, changes, hub } = await ownHub(system, { maxBufferedBytes: 64 * 1024 });

    const reader = await open(port, { cookie: (await login(system.app, cast.users.volunteerA.username)).cookie });
    const user = await addUser(system, { username: 'slow-a', role: 'volunteer', compoundIds: [cast.compoundA.id] });
    const slow = await open(port, { cookie: (await login(system.app, user.username)).cookie });
    await slow.next(isSnapshot);
    await reader.next(isSnapshot);
    slow.ws.pause();

    // Flood until the hub drops the slow one (bounded: the socket buffers of loopback are a few MB).
    let sent = 0;
    for (let batch = 0; hub.connections() === 2; batch += 1) {
      expect(batch, 'the slow client was never cut off').toBeLessThan(400);
      for (let i = 0; i < 1000; i += 1)
        changes.publish({
          type: 'device',
          deviceId: `flood-${sent++}`,
          householdId: cast.householdA,
          battery: 50,
          at: Date.now(),
        });
      // The reading client keeps up.
      await reader.next(
        deltaWith((c) => c.deviceId === `flood-${sent - 1}`),
        5000,
      );
    }
    expect(hub.connections()).toBe(1);
    slow.ws.resume();
    expect(await slow.closedWithin()).toEqual({ code: TOO_SLOW, reason: 'too slow, resync' });
    expect(reader.ws.readyState).toBe(WebSocket.OPEN);
    // What the slow one did get has no gap: it knows nothing was skipped before the cut.
    expect(slow.messages.map((m) => m.seq)).toEqual(slow.messages.map((_, i) => i + 1));
  });

  it('closes live connections when the system stops', async () => {
    const { system, port } = await setup();
    const client = await open(port, { cookie: (await loginAdmin(system.app)).cookie });
    await client.next(isSnapshot);
    await system.stop();
    expect((await client.closedWithin()).code).toBe(1001);
  });
});
