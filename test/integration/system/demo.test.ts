import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { planDistrictDay, silentDevices } from '../../../device-sim/district-day.js';
import type { Change } from '../../../server/app/changes.js';
import { ensureDemoData } from '../../../server/demo/data-dir.js';
import { connectDemoFleet } from '../../../server/demo/play.js';
import { DEMO_TIME_ZONE, DEMO_VOLUNTEER } from '../../../server/demo/seed.js';
import { startVolunteers } from '../../../server/demo/volunteers.js';
import { localDate, startOfLocalDay } from '../../../server/domain/zoned-time.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { startTestSystem, tempDir } from '../../helpers/system.js';

// npm run demo (issue 14, point 7): the district it seeds, and simulated volunteers who answer a
// red and a yellow through the HTTP API as the demo volunteer, audited like a person.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('the demo district', () => {
  it('when the demo seeds its data dir, then it holds a district of 2 streets, 4 communities, 12 compounds, about 2,000 households with devices, people on tiers 1–3 and weekly rosters for tiers 1 and 2', async () => {
    const dir = tempDir();
    const now = Date.now();
    const data = await ensureDemoData(dir, now);
    expect(data.seeded).toBe(true);
    const stores = createStores(openDatabase(dir));
    onTestFinished(() => {
      stores.db.close();
    });

    const areas = stores.areas.list();
    const district = areas.filter((a) => a.level === 'district');
    const streets = areas.filter((a) => a.level === 'street');
    const communities = areas.filter((a) => a.level === 'community');
    expect(district.map((a) => a.name)).toEqual(['于洪区']);
    expect(streets.map((s) => s.parentId)).toEqual([district[0]?.id, district[0]?.id]);
    expect(communities).toHaveLength(4);
    for (const s of streets) expect(communities.filter((c) => c.parentId === s.id)).toHaveLength(2);
    const byCommunity = communities.map((c) => stores.areas.compoundsUnder(c.id));
    expect(byCommunity.map((ids) => ids.length)).toEqual([3, 3, 3, 3]);
    const compounds = byCommunity.flat();
    expect(new Set(compounds).size).toBe(12);
    expect(stores.areas.compoundsUnder(district[0]?.id ?? 0)).toHaveLength(12);

    const households = stores.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM households').get()?.n ?? 0;
    expect(households).toBeGreaterThanOrEqual(1900);
    expect(households).toBeLessThanOrEqual(2100);
    expect(data.devices).toHaveLength(households);
    expect(new Set(data.devices.map((d) => d.householdId)).size).toBe(households);

    const people = stores.people.list();
    const count = (role: string, tier: number, where: (p: (typeof people)[number]) => boolean) =>
      people.filter((p) => p.role === role && p.tier === tier && where(p)).length;
    const buildings = stores.places.listBuildings().length;
    expect(count('volunteer', 1, (p) => p.buildingId !== null)).toBe(buildings);
    expect(count('grid_worker', 2, (p) => p.compoundId !== null)).toBe(12);
    expect(count('duty_officer', 3, () => true)).toBe(4);
    // Every compound has tier 1 and 2 rosters, and someone on duty at each now.
    for (const id of compounds) {
      const roster = stores.duty.roster(id, now);
      expect(roster.timeZone).toBe('Asia/Shanghai');
      expect(new Set(roster.shifts.map((s) => s.tier))).toEqual(new Set([1, 2]));
      expect(stores.duty.onDuty(id, 1, now)?.length).toBe(1);
      expect(stores.duty.onDuty(id, 2, now)?.length).toBe(1);
    }

    // The demo volunteer sees the whole district.
    const volunteer = stores.users.forLogin(DEMO_VOLUNTEER.username)?.user;
    expect(volunteer?.role).toBe('volunteer');
    expect([...(volunteer?.compoundIds ?? [])].sort()).toEqual([...compounds].sort());

    // About 1% silent: registered a day earlier, so their first missed check-in falls due in
    // the demo's first hour (the default rule, 24 h + 2 h from registration), a few minutes apart.
    const silent = [...silentDevices(data.devices.length, data.seed)].map((i) => data.devices[i]?.householdId ?? 0);
    expect(silent.length).toBe(Math.round(households / 100));
    const dueOf = stores.db.prepare<[number], { due: number }>(
      'SELECT checkin_due_at AS due FROM households WHERE id = ?',
    );
    const dues = silent.map((id) => dueOf.get(id)?.due ?? 0);
    for (const due of dues) {
      expect(due).toBeGreaterThan(now);
      expect(due).toBeLessThan(now + 2 * HOUR);
    }
    const others = stores.db.prepare<[number], { n: number }>(
      'SELECT count(*) AS n FROM households WHERE checkin_due_at < ?',
    );
    expect(others.get(now + 25 * HOUR)?.n).toBe(silent.length);

    // A second start reads what the first wrote.
    const again = await ensureDemoData(dir, now + 1000);
    expect(again.seeded).toBe(false);
    expect(again.volunteer).toEqual(data.volunteer);
    expect(again.devices).toEqual(data.devices);
  }, 20_000);

  it('when the demo plays its first minutes, then the simulated volunteers acknowledge, arrive at and resolve its red and claim and complete its yellow, through the HTTP API as the demo volunteer', async () => {
    const dir = tempDir();
    const data = await ensureDemoData(dir, Date.now());
    const system = await startTestSystem({ dataDir: dir });
    // 600 times a day's pace: acknowledged within 0.15 s, the whole red within ~2 s, the yellow ~4 s.
    const volunteers = await startVolunteers({
      baseUrl: system.httpUrl,
      ...data.volunteer,
      speed: 600,
      seed: 7,
    });
    onTestFinished(() => volunteers.stop());

    // The first 5 minutes of the demo's day for 40 of its households (any hour: the first red
    // and yellow come within minutes), kept to the blues, the first red and the first yellow.
    const now = Date.now();
    const localMidnight = startOfLocalDay(localDate(now, DEMO_TIME_ZONE), DEMO_TIME_ZONE);
    const fleet = data.devices.slice(0, 40);
    const full = planDistrictDay({ devices: fleet.length, seed: 3, start: now, localMidnight, durationMs: 5 * MINUTE });
    const firstRed = full.find((a) => a.action === 'press' && a.state === 'red');
    const firstYellow = full.find((a) => a.action === 'press' && a.state === 'yellow');
    const redCred = fleet[firstRed?.device ?? -1];
    const yellowCred = fleet[firstYellow?.device ?? -1];
    if (!firstRed || !firstYellow || !redCred || !yellowCred || redCred === yellowCred)
      throw new Error('the plan has no red and yellow of two households');
    const plan = full.filter(
      (a) => a === firstRed || a === firstYellow || (a.action === 'press' && a.state === 'blue'),
    );

    const resolved = new Map<number, number>(); // household → alert
    const bothResolved = new Promise<void>((resolve) => {
      const off = system.changes.subscribe((c: Change) => {
        if (c.type !== 'alert' || c.status !== 'resolved') return;
        resolved.set(c.householdId, c.alertId);
        if (resolved.has(redCred.householdId) && resolved.has(yellowCred.householdId)) {
          off();
          resolve();
        }
      });
      onTestFinished(off);
    });
    const buttons = await connectDemoFleet(fleet, { url: system.mqttUrl });
    onTestFinished(() => buttons.close());
    const playing = buttons.play(plan, 600);
    await playing.finished;
    await bothResolved;
    expect(playing.sent).toMatchObject({ press: plan.length, failed: 0 });

    const steps = (householdId: number) =>
      system.stores.alerts.transitions(resolved.get(householdId) ?? 0).map((t) => ({
        action: t.action,
        by: t.by,
        note: t.action === 'resolved' ? t.note !== null && t.note !== '' : null,
      }));
    const by = DEMO_VOLUNTEER.displayName;
    expect(steps(redCred.householdId).filter((t) => t.by !== null)).toEqual([
      { action: 'acknowledged', by, note: null },
      { action: 'arrived', by, note: null },
      { action: 'resolved', by, note: true },
    ]);
    expect(steps(yellowCred.householdId).filter((t) => t.by !== null)).toEqual([
      { action: 'acknowledged', by, note: null },
      { action: 'resolved', by, note: true },
    ]);
    const red = system.stores.alerts.get(resolved.get(redCred.householdId) ?? 0);
    expect(red?.kind).toBe('emergency');
    expect(red?.resolutionNote).toMatch(/\p{Script=Han}/u);
    // Acknowledged within 20–90 s of a day's pace, divided by 600 (plus a poll of 50 ms).
    expect((red?.acknowledgedAt ?? 0) - (red?.openedAt ?? 0)).toBeLessThan(1_000);

    // Audited as the demo volunteer, a person's way: each POST on the alert's route. The audit
    // row is written once the answer is sent (fastify's onResponse), a moment after the commit.
    const actions = () =>
      system.stores.users
        .auditPage(Number.MAX_SAFE_INTEGER, 100)
        .filter((e) => e.username === DEMO_VOLUNTEER.username && e.method === 'POST' && e.status === 200)
        .map((e) => `${e.route} ${e.record}`);
    const redId = resolved.get(redCred.householdId);
    const yellowId = resolved.get(yellowCred.householdId);
    await vi.waitFor(() => expect(actions()).toHaveLength(6), { timeout: 2000, interval: 20 });
    expect(actions()).toEqual(
      expect.arrayContaining([
        `/api/alerts/:id/ack alert:${redId}`,
        `/api/alerts/:id/arrived alert:${redId}`,
        `/api/alerts/:id/resolve alert:${redId}`,
        `/api/alerts/:id/claim alert:${yellowId}`,
        `/api/alerts/:id/resolve alert:${yellowId}`,
      ]),
    );
    // The simulated volunteer counts a step once its answer has reached it, which can be a moment
    // after the server wrote the audit row (seen once in CI: resolve 1 of 2 at this point).
    await vi.waitFor(() => expect(volunteers.done).toMatchObject({ ack: 1, arrived: 1, claim: 1, resolve: 2 }), {
      timeout: 2000,
      interval: 20,
    });
  }, 25_000);
});
