import { describe, expect, it } from 'vitest';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';
import { client, loginAdmin } from '../../helpers/api.js';
import { ManualClock } from '../../helpers/clock.js';
import { phoneChannels } from '../../helpers/phones.js';
import { startTestSystem } from '../../helpers/system.js';

// Issue 14: escalation tiers per community. A person set for a whole community (people.community_id,
// no compound) is told of a red in any compound of that community, and of none in another one;
// a person of the whole district (no compound, no community) is told of both, as before.

const NOON = Date.parse('2026-11-25T12:00:00+08:00');

async function twoCommunities() {
  const clock = new ManualClock(NOON);
  const system = await startTestSystem({ clock, scheduler: false });
  const admin = client(system.app, await loginAdmin(system.app));
  const east = await admin('POST', '/api/places', {
    level: 'community',
    name: '东社区',
    parentId: DEFAULT_AREAS.street,
  });
  const eastId = (east.json() as { id: number }).id;
  // Two compounds in the default community, one in 东社区.
  const sunny = system.provision({ compound: '阳光小区' });
  const happy = system.provision({ compound: '幸福里' });
  const far = system.provision({ compound: '东苑' });
  const farCompound = system.stores.places.getHousehold(far.householdId)?.compoundId as number;
  expect((await admin('PATCH', `/api/compounds/${farCompound}`, { communityId: eastId })).statusCode).toBe(200);

  const person = async (body: Record<string, unknown>) => {
    const res = await admin('POST', '/api/people', { role: 'duty_officer', tier: 1, buildingId: null, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: number; communityId: number | null };
  };
  const ofCommunity = await person({
    name: '本社区值班',
    phone: '13800000001',
    compoundId: null,
    communityId: DEFAULT_AREAS.community,
  });
  expect(ofCommunity.communityId).toBe(DEFAULT_AREAS.community);
  const ofEast = await person({ name: '东社区值班', phone: '13800000002', compoundId: null, communityId: eastId });
  await person({ name: '全区值班', phone: '13800000003', compoundId: null });
  await phoneChannels(system.stores, clock.now());

  /** Who the red's tier-1 rows reach, by name. */
  const toldOfRed = (householdId: number): string[] => {
    const result = system.recordPersonReport({
      householdId,
      state: 'red',
      note: null,
      by: 'test',
      idempotencyKey: null,
    });
    const alert = result.alerts.find((a) => a.householdId === householdId);
    if (alert === undefined) throw new Error('no alert');
    const names = system.stores.outbox.forAlert(alert.alertId).flatMap((r) => r.recipients.map((p) => p.name));
    return [...new Set(names)].sort();
  };
  return { system, admin, sunny, happy, far, eastId, ofCommunity, ofEast, toldOfRed };
}

describe('tiers per community', () => {
  it('when a red is pressed in either compound of a community, then its community person is told; in another community, not', async () => {
    const w = await twoCommunities();
    expect(w.toldOfRed(w.sunny.householdId)).toEqual(['全区值班', '本社区值班'].sort());
    expect(w.toldOfRed(w.happy.householdId)).toEqual(['全区值班', '本社区值班'].sort());
    expect(w.toldOfRed(w.far.householdId)).toEqual(['东社区值班', '全区值班'].sort());
  });

  it('when a community person is asked for with a compound too, or for a place that is not a community, then 400', async () => {
    const w = await twoCommunities();
    const body = { name: 'x', phone: '13800000009', role: 'staff', tier: 2, buildingId: null };
    const compoundId = w.system.stores.places.getHousehold(w.sunny.householdId)?.compoundId;
    expect((await w.admin('POST', '/api/people', { ...body, compoundId, communityId: w.eastId })).statusCode).toBe(400);
    expect(
      (await w.admin('POST', '/api/people', { ...body, compoundId: null, communityId: DEFAULT_AREAS.street }))
        .statusCode,
    ).toBe(400);
  });

  it("when a duty roster is set, then a community's person may be on its compounds' rosters and not on another community's", async () => {
    const w = await twoCommunities();
    const compoundId = w.system.stores.places.getHousehold(w.sunny.householdId)?.compoundId;
    const shift = (personId: number) => ({
      shifts: [{ tier: 1, days: [1, 2, 3, 4, 5, 6, 7], start: '08:00', end: '20:00', personIds: [personId] }],
    });
    const ours = await w.admin('PUT', `/api/compounds/${compoundId}/duty`, shift(w.ofCommunity.id));
    expect(ours.statusCode, ours.body).toBe(200);
    const theirs = await w.admin('PUT', `/api/compounds/${compoundId}/duty`, shift(w.ofEast.id));
    expect(theirs.statusCode, theirs.body).toBe(400);
  });
});
