import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';
import { addUser, client, login, loginAdmin, makeCast } from '../../helpers/api.js';
import {
  changesOf,
  deltaWith,
  isDelta,
  isSnapshot,
  open,
  type Delta,
  type Snapshot,
} from '../../helpers/live-client.js';
import { ownHub } from '../../helpers/live-hub.js';
import { startTestSystem } from '../../helpers/system.js';

// Issue 14, "Scopes at any level": a street official sees every compound of its street and only
// those — over HTTP and on /ws (the snapshot, and the deltas of a press elsewhere never come).
// Compounds A and B (the cast) are in the default street; a second street has compound 东苑.

async function twoStreets() {
  const system = await startTestSystem({ scheduler: false });
  const cast = await makeCast(system);
  const admin = client(system.app, await loginAdmin(system.app));
  const street = await admin('POST', '/api/places', { level: 'street', name: '东街道' });
  expect(street.statusCode, street.body).toBe(201);
  const streetId = (street.json() as { id: number }).id;
  const community = await admin('POST', '/api/places', { level: 'community', name: '东社区', parentId: streetId });
  expect(community.statusCode, community.body).toBe(201);
  const communityId = (community.json() as { id: number }).id;
  const east = system.provision({ compound: '东苑', building: '1号楼' });
  const eastCompound = system.stores.places.getHousehold(east.householdId)?.compoundId as number;
  const moved = await admin('PATCH', `/api/compounds/${eastCompound}`, { communityId });
  expect(moved.statusCode, moved.body).toBe(200);

  const official = await addUser(system, { username: 'east-official', role: 'staff' });
  const scoped = await admin('PATCH', `/api/users/${official.id}`, {
    scope: [{ level: 'street', id: streetId }],
  });
  expect(scoped.statusCode, scoped.body).toBe(200);
  const session = await login(system.app, 'east-official');
  return { system, cast, admin, streetId, communityId, east, eastCompound, session, api: client(system.app, session) };
}

describe('a street official', () => {
  it('when it lists households, alerts, compounds and places, then it gets its street and nothing of the other', async () => {
    const w = await twoStreets();
    const { system, cast, api } = w;
    // An alert in each street.
    for (const householdId of [cast.householdA, w.east.householdId])
      system.recordPersonReport({ householdId, state: 'red', note: null, by: 'test', idempotencyKey: null });

    const households = (await api('GET', '/api/households')).json() as { items: Array<{ id: number }> };
    expect(households.items.map((h) => h.id)).toEqual([w.east.householdId]);
    const alerts = (await api('GET', '/api/alerts')).json() as { items: Array<{ householdId: number }> };
    expect(alerts.items.map((a) => a.householdId)).toEqual([w.east.householdId]);
    const compounds = (await api('GET', '/api/compounds')).json() as { items: Array<{ id: number }> };
    expect(compounds.items.map((c) => c.id)).toEqual([w.eastCompound]);
    const places = (await api('GET', '/api/places')).json() as {
      areas: Array<{ id: number; level: string }>;
      compounds: Array<{ id: number; communityId: number; editable: boolean }>;
    };
    expect(places.compounds).toEqual([
      { id: w.eastCompound, name: '东苑', communityId: w.communityId, editable: true },
    ]);
    expect(places.areas.map((a) => a.id).sort((a, b) => a - b)).toEqual([
      DEFAULT_AREAS.district,
      w.streetId,
      w.communityId,
    ]);
    // Someone else's household is not found, as if it did not exist.
    expect((await api('GET', `/api/households/${cast.householdA}`)).statusCode).toBe(404);
    expect((await api('POST', `/api/households/${cast.householdA}/reports`, { state: 'blue' })).statusCode).toBe(404);
  });

  it('when a button is pressed in the other street and then in its own, then its /ws gets only its own street', async () => {
    const w = await twoStreets();
    const { system, cast } = w;
    const port = system.httpAddress.port;
    const other = system.provision({ compound: cast.compoundA.name });
    const buttons = [];
    for (const d of [other, w.east]) {
      const button = await connectDevice({ url: system.mqttUrl, id: d.id, secret: d.secret, reconnectPeriodMs: 100 });
      onTestFinished(() => button.kill());
      buttons.push(button);
    }
    const socket = await open(port, { cookie: w.session.cookie });
    const admin = await open(port, { cookie: (await loginAdmin(system.app)).cookie });
    const snapshot = await socket.next<Snapshot>(isSnapshot);
    expect(snapshot.households.map((h) => h.id)).toEqual([w.east.householdId]);
    await admin.next(isSnapshot);

    await buttons[0]?.press('red');
    // The admin sees the other street's red: it has gone out to everyone it concerns.
    await admin.next(
      deltaWith((c) => c.type === 'alert' && c.householdId === other.householdId),
      2000,
    );
    await buttons[1]?.press('red');
    await socket.next(
      deltaWith((c) => c.type === 'alert' && c.householdId === w.east.householdId),
      2000,
    );
    const seen = changesOf(socket).map((c) => c.householdId);
    expect(seen.length).toBeGreaterThan(0);
    expect(
      seen.every((id) => id === undefined || id === w.east.householdId),
      JSON.stringify(seen),
    ).toBe(true);
    expect(socket.messages.filter(isDelta).every((d: Delta) => !JSON.stringify(d).includes(cast.compoundA.name))).toBe(
      true,
    );
  });

  it('when the admin moves a community to the other street, then the official gets a fresh snapshot with it at once', async () => {
    const w = await twoStreets();
    const { system, cast, admin } = w;
    const socket = await open(system.httpAddress.port, { cookie: w.session.cookie });
    const first = await socket.next<Snapshot>(isSnapshot);
    expect(first.households.map((h) => h.compoundId)).not.toContain(cast.compoundA.id);

    // The default community (compounds A and B) goes to the official's street.
    const res = await admin('PATCH', `/api/places/${DEFAULT_AREAS.community}`, { parentId: w.streetId });
    expect(res.statusCode, res.body).toBe(200);
    const fresh = await socket.next<Snapshot>(isSnapshot, 2000, socket.messages.indexOf(first) + 1);
    expect(new Set(fresh.households.map((h) => h.compoundId))).toEqual(
      new Set([cast.compoundA.id, cast.compoundB.id, w.eastCompound]),
    );
  });

  it('when its scope changes where the API cannot tell the hub (the admin CLI on the same database), then the next beat sends a fresh snapshot', async () => {
    const w = await twoStreets();
    const { port } = await ownHub(w.system, { pingIntervalMs: 100 });
    const socket = await open(port, { cookie: w.session.cookie });
    const first = await socket.next<Snapshot>(isSnapshot);
    expect(first.households.map((h) => h.compoundId)).toEqual([w.eastCompound]);
    const official = w.system.stores.users.forLogin('east-official')?.user.id as number;
    w.system.stores.users.setScope(official, [{ level: 'street', id: DEFAULT_AREAS.street, readOnly: true }]);
    const fresh = await socket.next<Snapshot>(isSnapshot, 2000, socket.messages.indexOf(first) + 1);
    expect(new Set(fresh.households.map((h) => h.compoundId))).toEqual(
      new Set([w.cast.compoundA.id, w.cast.compoundB.id]),
    );
  });
});
