import { describe, expect, it } from 'vitest';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';
import { ON_DUTY_SQL } from '../../../server/store/duty.js';
import { addUser, client, expectError, login, loginAdmin } from '../../helpers/api.js';
import { ManualClock } from '../../helpers/clock.js';
import { phoneChannels } from '../../helpers/phones.js';
import { startTestSystem } from '../../helpers/system.js';

// Issue 14: duty rosters per community. A community's roster for a tier is the roster of every
// compound of it that has none of its own at that tier; a compound's own roster wins. Real
// SQLite file, real HTTP (inject), the red pressed through the core as a volunteer's report,
// and the SMS / call rows it writes, one per person.

const at = (iso: string): number => Date.parse(iso);
// Monday 2026-11-23, 09:00 in Shanghai.
const T0 = at('2026-11-23T09:00:00+08:00');
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];

async function world() {
  const clock = new ManualClock(T0);
  const system = await startTestSystem({ clock, scheduler: false });
  const admin = client(system.app, await loginAdmin(system.app));
  // Community C (the default one) holds compounds A and B; 东社区 holds 东苑.
  const a = system.provision({ compound: '阳光小区' });
  const b = system.provision({ compound: '幸福里' });
  const far = system.provision({ compound: '东苑' });
  const compoundOf = (householdId: number) => system.stores.places.getHousehold(householdId)?.compoundId as number;
  const [A, B, FAR] = [compoundOf(a.householdId), compoundOf(b.householdId), compoundOf(far.householdId)];
  const east = (
    (
      await admin('POST', '/api/places', { level: 'community', name: '东社区', parentId: DEFAULT_AREAS.street })
    ).json() as {
      id: number;
    }
  ).id;
  expect((await admin('PATCH', `/api/compounds/${FAR}`, { communityId: east })).statusCode).toBe(200);
  const C = DEFAULT_AREAS.community;

  const add = (name: string, phone: string, scope: { compoundId?: number; communityId?: number }) =>
    system.stores.people.add(
      {
        name,
        phone,
        role: 'duty_officer',
        tier: 1,
        compoundId: scope.compoundId ?? null,
        buildingId: null,
        communityId: scope.communityId ?? null,
      },
      T0,
    );
  const people = {
    day: add('社区白班', '13800000201', { communityId: C }),
    night: add('社区夜班', '13800000202', { communityId: C }),
    standIn: add('社区替班', '13800000203', { communityId: C }),
    ofA: add('阳光小区值班', '13800000204', { compoundId: A }),
    ofEast: add('东社区值班', '13800000205', { communityId: east }),
  };
  const phones = await phoneChannels(system.stores, T0);
  const communityWeek = {
    shifts: [
      { tier: 1, days: EVERY_DAY, start: '08:00', end: '20:00', personIds: [people.day] },
      { tier: 1, days: EVERY_DAY, start: '20:00', end: '08:00', personIds: [people.night] },
    ],
  };

  /**
   * The SMS and call rows a red writes at tier 1, as "medium:phone", sorted: pressed in a new
   * household of the compound of this one (a household's open red is not opened again).
   */
  const redReaches = (of: number): string[] => {
    const compound = system.stores.places.getCompound(compoundOf(of))?.name;
    const { householdId } = system.provision(compound === undefined ? {} : { compound });
    const result = system.recordPersonReport({
      householdId,
      state: 'red',
      note: null,
      by: 'test',
      idempotencyKey: null,
    });
    const alert = result.alerts.find((x) => x.householdId === householdId);
    if (alert === undefined) throw new Error('no alert');
    const rows = system.stores.outbox
      .forAlert(alert.alertId)
      .filter((r) => r.channelId === phones.sms || r.channelId === phones.voice);
    return rows.map((r) => `${r.channelId === phones.sms ? 'sms' : 'call'}:${r.recipients[0]?.phone}`).sort();
  };
  return { system, clock, admin, a, b, far, A, B, FAR, C, east, people, communityWeek, redReaches };
}

describe('duty rosters per community', () => {
  it('when compound A has no tier-1 roster and its community has one, then a red in A reaches only the person on duty in the community roster (one SMS and one call)', async () => {
    const w = await world();
    // Without any roster, every tier-1 person covering A is reached.
    expect(w.redReaches(w.a.householdId)).toHaveLength(2 * 4);
    const put = await w.admin('PUT', `/api/communities/${w.C}/duty`, w.communityWeek);
    expect(put.statusCode, put.body).toBe(200);
    expect(w.redReaches(w.a.householdId)).toEqual(['call:13800000201', 'sms:13800000201']);
    // B has none of its own either; 东苑 is in another community: its roster does not apply.
    expect(w.redReaches(w.b.householdId)).toEqual(['call:13800000201', 'sms:13800000201']);
    expect(w.redReaches(w.far.householdId)).toEqual(['call:13800000205', 'sms:13800000205']);
    // At night the night shift answers.
    w.clock.ms = at('2026-11-23T23:00:00+08:00');
    expect(w.redReaches(w.a.householdId)).toEqual(['call:13800000202', 'sms:13800000202']);
    expect(w.system.stores.duty.onDuty(w.A, 1, w.clock.ms)).toEqual([w.people.night]);
    expect(w.system.stores.duty.onDuty(w.A, 2, w.clock.ms)).toBeNull();
  });

  it("when compound A has its own tier-1 roster, then it wins in A and the community's still serves B", async () => {
    const w = await world();
    await w.admin('PUT', `/api/communities/${w.C}/duty`, w.communityWeek);
    const own = await w.admin('PUT', `/api/compounds/${w.A}/duty`, {
      shifts: [{ tier: 1, days: EVERY_DAY, start: '00:00', end: '00:00', personIds: [w.people.ofA] }],
    });
    expect(own.statusCode, own.body).toBe(200);
    expect(w.redReaches(w.a.householdId)).toEqual(['call:13800000204', 'sms:13800000204']);
    expect(w.redReaches(w.b.householdId)).toEqual(['call:13800000201', 'sms:13800000201']);
    // The compound's page says whose roster each tier follows.
    const page = (await w.admin('GET', `/api/compounds/${w.B}/duty`)).json() as {
      communityId: number;
      tiers: Array<{ tier: number; source: string | null; onDuty: Array<{ id: number }> }>;
    };
    expect(page.communityId).toBe(w.C);
    expect(page.tiers.map((t) => [t.tier, t.source, t.onDuty.map((p) => p.id)])).toEqual([
      [1, 'community', [w.people.day]],
      [2, null, []],
      [3, null, []],
    ]);
    const community = (await w.admin('GET', `/api/communities/${w.C}/duty`)).json() as {
      compounds: Array<{ id: number; ownTiers: number[] }>;
      people: Array<{ id: number }>;
    };
    expect(community.compounds).toEqual([
      expect.objectContaining({ id: w.A, ownTiers: [1] }),
      expect.objectContaining({ id: w.B, ownTiers: [] }),
    ]);
    // Whom it may name: its own people and its compounds' (not another community's).
    expect(community.people.map((p) => p.id).sort()).toEqual(
      [w.people.day, w.people.night, w.people.standIn, w.people.ofA].sort(),
    );
  });

  it('when the community roster has a swap and then leave, then the red follows them, and removing the leave restores it', async () => {
    const w = await world();
    await w.admin('PUT', `/api/communities/${w.C}/duty`, w.communityWeek);
    const swap = await w.admin('POST', `/api/communities/${w.C}/duty/overrides`, {
      tier: 1,
      personId: w.people.day,
      replacementId: w.people.standIn,
      from: '2026-11-23T08:00',
      to: '2026-11-23T12:00',
    });
    expect(swap.statusCode, swap.body).toBe(201);
    expect(w.redReaches(w.a.householdId)).toEqual(['call:13800000203', 'sms:13800000203']);
    w.clock.ms = at('2026-11-23T13:00:00+08:00');
    const leave = await w.admin('POST', `/api/communities/${w.C}/duty/overrides`, {
      tier: 1,
      personId: w.people.day,
      replacementId: null,
      from: '2026-11-23T12:30',
      to: '2026-11-23T18:00',
      note: '病假',
    });
    expect(leave.statusCode, leave.body).toBe(201);
    expect(w.system.stores.duty.onDuty(w.A, 1, w.clock.ms)).toEqual([]);
    const leaveId = (leave.json() as { id: number; communityId: number }).id;
    expect(leave.json()).toMatchObject({ communityId: w.C, personId: w.people.day, replacementId: null });
    // Another community's override id path is refused; then removed through its own community.
    expect((await w.admin('DELETE', `/api/communities/${w.east}/duty/overrides/${leaveId}`)).statusCode).toBe(404);
    expect((await w.admin('DELETE', `/api/communities/${w.C}/duty/overrides/${leaveId}`)).statusCode).toBe(204);
    expect(w.redReaches(w.a.householdId)).toEqual(['call:13800000201', 'sms:13800000201']);
  });

  it("when a person of another community, or a compound's person of another community, is put on the roster, then 400 naming the field", async () => {
    const w = await world();
    const one = (personId: number) => ({
      shifts: [{ tier: 1, days: EVERY_DAY, start: '08:00', end: '20:00', personIds: [personId] }],
    });
    const theirs = await w.admin('PUT', `/api/communities/${w.C}/duty`, one(w.people.ofEast));
    expectError(theirs, 400, 'RIBBON_ERR_VALIDATION');
    expect(theirs.body).toContain('shifts.0.personIds');
    expect(theirs.body).toContain('本社区');
    const ofA = await w.admin('PUT', `/api/communities/${w.east}/duty`, one(w.people.ofA));
    expect(ofA.statusCode).toBe(400);
    expect((await w.admin('PUT', `/api/communities/${w.C}/duty`, one(w.people.ofA))).statusCode).toBe(200);
    // Not a community: 404.
    expect((await w.admin('GET', `/api/communities/${DEFAULT_AREAS.street}/duty`)).statusCode).toBe(404);
  });

  it('when a read-only watcher of the community writes, then 403; staff of another community, 404; staff who edit it, 200', async () => {
    const w = await world();
    const users = w.system.stores.users;
    const scoped = async (username: string, level: 'community' | 'street', id: number, readOnly: boolean) => {
      const u = await addUser(w.system, { username, role: 'staff' });
      users.setScope(u.id, [{ level, id, readOnly }]);
      return client(w.system.app, await login(w.system.app, username));
    };
    const watcher = await scoped('c-leader', 'community', w.C, true);
    const eastStaff = await scoped('east-staff', 'community', w.east, false);
    const editor = await scoped('c-official', 'community', w.C, false);
    const staffOfA = client(
      w.system.app,
      await login(
        w.system.app,
        (await addUser(w.system, { username: 'a-staff', role: 'staff', compoundIds: [w.A] })).username,
      ),
    );

    expect((await watcher('GET', `/api/communities/${w.C}/duty`)).statusCode).toBe(200);
    expectError(await watcher('PUT', `/api/communities/${w.C}/duty`, w.communityWeek), 403, 'RIBBON_ERR_READ_ONLY');
    expectError(await eastStaff('GET', `/api/communities/${w.C}/duty`), 404, 'RIBBON_ERR_NOT_FOUND');
    expectError(await eastStaff('PUT', `/api/communities/${w.C}/duty`, w.communityWeek), 404, 'RIBBON_ERR_NOT_FOUND');
    // Staff of one compound of the community do not see (nor set) the whole community's roster.
    expectError(await staffOfA('GET', `/api/communities/${w.C}/duty`), 404, 'RIBBON_ERR_NOT_FOUND');
    const put = await editor('PUT', `/api/communities/${w.C}/duty`, w.communityWeek);
    expect(put.statusCode, put.body).toBe(200);
    const override = {
      tier: 1,
      personId: w.people.day,
      replacementId: null,
      from: '2026-11-24T08:00',
      to: '2026-11-24T20:00',
    };
    expectError(await watcher('POST', `/api/communities/${w.C}/duty/overrides`, override), 403, 'RIBBON_ERR_READ_ONLY');
    const added = await editor('POST', `/api/communities/${w.C}/duty/overrides`, override);
    expect(added.statusCode, added.body).toBe(201);
    const id = (added.json() as { id: number }).id;
    expectError(await watcher('DELETE', `/api/communities/${w.C}/duty/overrides/${id}`), 403, 'RIBBON_ERR_READ_ONLY');
    expectError(await eastStaff('DELETE', `/api/communities/${w.C}/duty/overrides/${id}`), 404, 'RIBBON_ERR_NOT_FOUND');
    expect((await editor('DELETE', `/api/communities/${w.C}/duty/overrides/${id}`)).statusCode).toBe(204);
  });

  it('when the red path reads a community roster, then each read goes through an index or a primary key (no scan)', async () => {
    const w = await world();
    const plan = (sql: string, args: number[]) =>
      w.system.stores.db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...args)
        .map((r) => (r as { detail: string }).detail)
        .join('\n');
    const shifts = plan(ON_DUTY_SQL.communityShifts, [w.A, 1]);
    expect(shifts).not.toMatch(/\bSCAN\b/);
    expect(shifts).toMatch(/SEARCH c USING INTEGER PRIMARY KEY/);
    expect(shifts).toMatch(/SEARCH s USING INDEX community_duty_shifts_community/);
    const overrides = plan(ON_DUTY_SQL.communityOverrides, [w.C, 1, T0, T0]);
    expect(overrides).not.toMatch(/\bSCAN\b/);
    expect(overrides).toMatch(/USING INDEX community_duty_overrides_due/);
  });
});
