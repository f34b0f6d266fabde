import { describe, expect, it } from 'vitest';
import type { CompoundCountsJson, LiveView } from '../../../protocol/live.js';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';
import { addUser, client, login, loginAdmin } from '../../helpers/api.js';
import { changesOf, deltaWith, isDelta, isSnapshot, open, type Snapshot } from '../../helpers/live-client.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// What a dashboard watches (issue 14, point 6): above the compound the feed carries the
// compounds' counts and the open emergencies and service requests, not every household; a
// compound view its own households; the alerts of the whole scope in every view.

type ViewSnapshot = Snapshot & {
  view: LiveView | null;
  compounds: CompoundCountsJson[];
  areas: Array<{ id: number; level: string; name: string }>;
  devices: unknown[];
};

async function district(system: TestSystem) {
  const s = system.stores;
  const east = s.areas.create('street', '东街道', DEFAULT_AREAS.district, 1);
  const west = s.areas.create('street', '西街道', DEFAULT_AREAS.district, 1);
  const e1 = s.areas.create('community', '东一社区', east, 1);
  const w1 = s.areas.create('community', '西一社区', west, 1);
  const place = (compound: string, community: number, room: string) => {
    const p = system.provision({ compound, building: '1号楼', room });
    const compoundId = s.places.getHousehold(p.householdId)?.compoundId ?? 0;
    s.areas.setCompoundCommunity(compoundId, community);
    return { ...p, compoundId };
  };
  const a1 = place('甲小区', e1, '101');
  const a2 = place('甲小区', e1, '102');
  const b = place('乙小区', e1, '201');
  const c = place('丙小区', w1, '301');
  const official = await addUser(system, { username: 'street-east', role: 'staff', displayName: '东街道孙主任' });
  s.users.setScope(official.id, [{ level: 'street', id: east, readOnly: true }]);
  const admin = client(system.app, await loginAdmin(system.app));
  // The households are in the journal: announced now, before any socket opens, not by the
  // journal's timer in the middle of a test that waits for the next compound change (CI: its
  // delta of 乙小区 came before the red's, once the red's request waited a turn).
  system.readHouseholdJournal();
  return { east, west, e1, w1, a1, a2, b, c, official, admin };
}

describe('live views', () => {
  it("when a street official watches the street, then the snapshot holds its compounds' counts and no household, and a red in it comes as the alert and the compound's new counts", async () => {
    const system = await startTestSystem({ scheduler: false });
    const d = await district(system);
    const port = system.httpAddress.port;
    const cookie = (await login(system.app, d.official.username)).cookie;
    const ws = await open(port, { cookie, path: `/ws?view=street:${d.east}` });
    const snap = await ws.next<ViewSnapshot>(isSnapshot);
    expect(snap.view).toEqual({ level: 'street', id: d.east });
    expect(snap.households).toEqual([]);
    expect(snap.devices).toEqual([]);
    expect(snap.compounds.map((c) => [c.name, c.households, c.none, c.offline]).sort()).toEqual([
      ['乙小区', 1, 1, 1],
      ['甲小区', 2, 2, 2],
    ]);
    expect(snap.areas.map((a) => a.name).sort()).toEqual(['东一社区', '东街道', '本区']);

    // A red in the street: the alert (for the pinned strip) and the compound's counts, not the report.
    const res = await d.admin('POST', `/api/households/${d.a1.householdId}/reports`, { state: 'red' });
    expect(res.statusCode).toBe(201);
    const delta = await ws.next(deltaWith((c) => c.type === 'compound'));
    const counts = changesOf(ws).filter((c) => c.type === 'compound');
    expect(counts.at(-1)).toMatchObject({
      compoundId: d.a1.compoundId,
      counts: { name: '甲小区', households: 2, red: 1, none: 1, emergencies: 1, unacknowledged: 1 },
    });
    expect(changesOf(ws).some((c) => c.type === 'alert' && c.householdId === d.a1.householdId)).toBe(true);
    expect(changesOf(ws).some((c) => c.type === 'report' || c.type === 'household')).toBe(false);
    expect(delta.seq).toBe(snap.seq + 1);

    // A red in the other street: nothing for this official; the next frame is a change of its own street.
    const seen = ws.messages.length;
    await d.admin('POST', `/api/households/${d.c.householdId}/reports`, { state: 'red' });
    await d.admin('POST', `/api/households/${d.b.householdId}/reports`, { state: 'yellow' });
    const next = await ws.next(isDelta, 2000, seen);
    expect(JSON.stringify(next)).not.toContain(`"householdId":${d.c.householdId}`);
    expect(next).toMatchObject({
      changes: expect.arrayContaining([expect.objectContaining({ type: 'compound', compoundId: d.b.compoundId })]),
    });
  });

  it('when the official drills down to a compound, then its households come, with the emergencies of the whole street', async () => {
    const system = await startTestSystem({ scheduler: false });
    const d = await district(system);
    await d.admin('POST', `/api/households/${d.b.householdId}/reports`, { state: 'red' });
    const cookie = (await login(system.app, d.official.username)).cookie;
    const ws = await open(port(system), { cookie, path: `/ws?view=street:${d.east}` });
    const first = await ws.next<ViewSnapshot>(isSnapshot);
    expect(first.alerts.map((a) => a.householdId)).toEqual([d.b.householdId]);
    ws.send({ type: 'view', view: { level: 'compound', id: d.a1.compoundId } });
    const drilled = await ws.next<ViewSnapshot>(isSnapshot, 2000, 1);
    expect(drilled.view).toEqual({ level: 'compound', id: d.a1.compoundId });
    expect(drilled.households.map((h) => h.id).sort()).toEqual([d.a1.householdId, d.a2.householdId].sort());
    expect(drilled.compounds).toEqual([]);
    expect(drilled.alerts.map((a) => a.householdId)).toEqual([d.b.householdId]);
    // In a compound view, a report of its own households comes as before; of another compound, only its alert.
    const seen = ws.messages.length;
    await d.admin('POST', `/api/households/${d.a2.householdId}/reports`, { state: 'blue' });
    await ws.next(
      deltaWith((c) => c.type === 'report' && c.householdId === d.a2.householdId),
      2000,
      seen,
    );
    await d.admin('POST', `/api/households/${d.b.householdId}/reports`, { state: 'blue' });
    await d.admin('POST', `/api/households/${d.a1.householdId}/reports`, { state: 'blue' });
    await ws.next(
      deltaWith((c) => c.type === 'report' && c.householdId === d.a1.householdId),
      2000,
      seen,
    );
    expect(changesOf(ws).some((c) => c.type === 'report' && c.householdId === d.b.householdId)).toBe(false);
    // Back up to everything: the whole scope household by household.
    ws.send({ type: 'view', view: null });
    const whole = await ws.next<ViewSnapshot>(isSnapshot, 2000, seen);
    expect(whole.view).toBeNull();
    expect(whole.households).toHaveLength(3);
  });

  it('when a view is malformed, unknown or outside the scope, then the upgrade is refused (400, 404) and a view frame closes the socket (1008)', async () => {
    const system = await startTestSystem({ scheduler: false });
    const d = await district(system);
    const cookie = (await login(system.app, d.official.username)).cookie;
    const refused = async (path: string) => {
      try {
        await open(port(system), { cookie, path });
      } catch (err) {
        return (err as { status?: number }).status;
      }
      return 'accepted';
    };
    expect(await refused('/ws?view=street')).toBe(400);
    expect(await refused('/ws?view=planet:1')).toBe(400);
    expect(await refused(`/ws?view=street:${d.west}`)).toBe(404);
    expect(await refused(`/ws?view=community:${d.east}`)).toBe(404);
    expect(await refused(`/ws?view=compound:${d.c.compoundId}`)).toBe(404);
    expect(await refused('/ws?view=district:1')).toBe('accepted');
    const ws = await open(port(system), { cookie });
    await ws.next(isSnapshot);
    ws.send({ type: 'view', view: { level: 'street', id: d.west } });
    expect((await ws.closedWithin()).code).toBe(1008);
  });

  it("when a wall asks for 'auto', then a scope in one community gets everything household by household, and one across communities the district's counts", async () => {
    const system = await startTestSystem({ scheduler: false });
    system.provision({ compound: '阳光小区', building: '1号楼', room: '101' });
    system.provision({ compound: '幸福里', building: '2号楼', room: '201' });
    const admin = (await loginAdmin(system.app)).cookie;
    const small = await open(port(system), { cookie: admin, path: '/ws?view=auto' });
    const one = await small.next<ViewSnapshot>(isSnapshot);
    expect(one.view).toBeNull();
    expect(one.households).toHaveLength(2);
    // Places named: the same question now gets the district's place counts.
    const d = await district(system);
    const big = await open(port(system), { cookie: admin, path: '/ws?view=auto' });
    const two = await big.next<ViewSnapshot>(isSnapshot);
    expect(two.view).toEqual({ level: 'district', id: DEFAULT_AREAS.district });
    expect(two.households).toEqual([]);
    expect(two.compounds.length).toBeGreaterThanOrEqual(5);
    // The street official's compounds are in one community: household by household.
    const street = await open(port(system), {
      cookie: (await login(system.app, d.official.username)).cookie,
      path: '/ws?view=auto',
    });
    const three = await street.next<ViewSnapshot>(isSnapshot);
    expect(three.view).toBeNull();
    expect(three.households).toHaveLength(3);
  });

  it('when a district has thousands of households, then its area view is a small fraction of the household-by-household snapshot', async () => {
    const system = await startTestSystem({ scheduler: false });
    await district(system);
    const db = system.stores.db;
    const building = db.prepare('SELECT id FROM buildings LIMIT 1').get() as { id: number };
    const insert = db.prepare(
      "INSERT INTO households (building_id, name, room, created_at) VALUES (?, '张桂兰', ?, 1)",
    );
    db.transaction(() => {
      for (let i = 0; i < 3000; i += 1) insert.run(building.id, `${1000 + i}`);
    })();
    const admin = (await loginAdmin(system.app)).cookie;
    const sizes: number[] = [];
    for (const path of ['/ws?view=district:1', '/ws']) {
      const ws = await open(port(system), { cookie: admin, path });
      sizes.push(JSON.stringify(await ws.next(isSnapshot, 5000)).length);
    }
    expect(sizes[0]).toBeLessThan(3000);
    expect(sizes[1]).toBeGreaterThan(100 * (sizes[0] ?? 0));
  });
});

const port = (system: TestSystem) => system.httpAddress.port;
