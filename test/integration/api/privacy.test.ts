import { describe, expect, it } from 'vitest';
import { createDailyReport } from '../../../server/app/daily-report.js';
import { castWorld, client, listRoutes, login } from '../../helpers/api.js';
import { deltaWith, isSnapshot, type LiveClient, open } from '../../helpers/live-client.js';
import { captureLogs } from '../../helpers/system.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';

// Family phone numbers are personal data: staff and admins only (docs/api.md, "Who sees what").
// A red press left unanswered reaches the family at tier 3; whatever a volunteer can read about
// it must not carry the family's number.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');
const DAUGHTER = { name: '张女儿', phone: '13900000000', relation: '女儿' };
const hyphenated = (phone: string) => phone.replace(/^(\d{3})(\d{4})(\d{4})$/, '$1-$2-$3');
/** The daughter's number as the receiver quotes it back. */
const QUOTED = hyphenated(DAUGHTER.phone);

/** Volunteer A's compound with a tier-3 duty officer, a daughter to call, a group robot, and a red press escalated to tier 3. */
async function redReachingTheFamily(
  opts: { beforeEscalation?: (world: Awaited<ReturnType<typeof castWorld>>) => Promise<void> } = {},
) {
  const world = await castWorld(T0);
  const { system, cast, clock } = world;
  // The robot refuses each message, quoting the numbers it was asked to @-mention, hyphenated.
  const receiver = await startWebhookReceiver({
    status: () => 400,
    answer: (body) => {
      const sent = JSON.parse(body) as { recipients: Array<{ phone: string | null }> };
      const phones = sent.recipients.flatMap((r) => (r.phone === null ? [] : [hyphenated(r.phone)]));
      return JSON.stringify({ errcode: 40001, errmsg: `invalid mobile ${phones.join(',')}` });
    },
  });
  const now = clock.now();
  system.stores.people.add(
    {
      name: '李志愿',
      phone: '13800000001',
      role: 'volunteer',
      tier: 1,
      compoundId: cast.compoundA.id,
      buildingId: null,
    },
    now,
  );
  system.stores.people.add(
    { name: '赵值班', phone: '13800000003', role: 'duty_officer', tier: 3, compoundId: null, buildingId: null },
    now,
  );
  system.stores.people.addContact({ householdId: cast.householdA, ...DAUGHTER }, now);
  system.stores.channels.add('webhook', '社区群', { url: receiver.url, secret: 'webhook-secret' }, null, now);

  const pressed = await world.volunteer('POST', `/api/households/${cast.householdA}/reports`, { state: 'red' });
  expect(pressed.statusCode, pressed.body).toBe(201);
  await opts.beforeEscalation?.(world);
  clock.ms = T0 + 60_000;
  system.sweepNow();
  clock.ms = T0 + 180_000;
  system.sweepNow();
  await system.deliverNow();
  const alert = system.stores.alerts.list({ householdId: cast.householdA, kind: 'emergency' })[0];
  if (alert === undefined) throw new Error('no emergency');
  expect(alert.level).toBe(3);
  return { ...world, alertId: alert.id };
}

type Detail = {
  notifications: Array<{
    event: string;
    medium: 'sms' | 'call' | null;
    recipients: Array<{ name: string; phone: string | null; role: string }>;
    lastError: string | null;
  }>;
};
/** The group robot's notification that named the family (each phone has its own rows: medium sms/call). */
const toFamily = (d: Detail) =>
  d.notifications.find((n) => n.medium === null && n.recipients.some((r) => r.name === DAUGHTER.name));

describe("family contacts' phone numbers", () => {
  it('when a volunteer reads an alert that reached the family, then the contact is named with the relation but without the number; staff and admins see it', async () => {
    const { system, staff, volunteer, alertId } = await redReachingTheFamily();

    const asVolunteer = await volunteer('GET', `/api/alerts/${alertId}`);
    expect(asVolunteer.statusCode).toBe(200);
    expect(asVolunteer.body).not.toContain(DAUGHTER.phone);
    expect(asVolunteer.body).not.toContain(QUOTED);
    const seen = toFamily(asVolunteer.json() as Detail);
    expect(seen?.recipients).toEqual([
      { name: '赵值班', phone: '13800000003', role: 'duty_officer' },
      { name: DAUGHTER.name, phone: null, role: `contact:${DAUGHTER.relation}` },
    ]);
    // The robot's refusal still reads as one, the number masked.
    expect(seen?.lastError).toContain('invalid mobile 138-0000-0003,*******0000');

    const admin = client(system.app, await login(system.app, 'admin', 'test-admin-password'));
    for (const reader of [staff, admin]) {
      const res = await reader('GET', `/api/alerts/${alertId}`);
      expect(res.statusCode).toBe(200);
      const full = toFamily(res.json() as Detail);
      expect(full?.recipients).toContainEqual({
        name: DAUGHTER.name,
        phone: DAUGHTER.phone,
        role: `contact:${DAUGHTER.relation}`,
      });
      expect(full?.lastError).toContain(`invalid mobile 138-0000-0003,${QUOTED}`);
    }
  });

  it('when a volunteer reads every list, report, export and the live feed around that alert, then the number is in none of them', async () => {
    let live: LiveClient | null = null;
    const { system, cast, clock, volunteer, alertId } = await redReachingTheFamily({
      // Watching from before the escalation: the deltas of tier 2 and 3 come on this socket.
      beforeEscalation: async ({ system, cast }) => {
        const session = await login(system.app, cast.users.volunteerA.username);
        live = await open(system.httpAddress.port, { cookie: session.cookie });
        await live.next(isSnapshot);
      },
    });
    const watching = live as LiveClient | null;
    if (watching === null) throw new Error('no live feed');
    await watching.next(deltaWith((c) => c.type === 'alert' && (c['alert'] as { level?: number } | null)?.level === 3));
    // A socket opened now gets the escalated alert in its snapshot.
    const later = await open(system.httpAddress.port, {
      cookie: (await login(system.app, cast.users.volunteerA.username)).cookie,
    });
    await later.next(isSnapshot);
    expect(JSON.stringify(later.messages)).toContain(`"id":${alertId}`);
    for (const frames of [watching.messages, later.messages]) {
      expect(JSON.stringify(frames)).not.toContain(DAUGHTER.phone);
    }

    const day = '2026-11-25';
    createDailyReport({ stores: system.stores, log: captureLogs().log }).run(day, 'Asia/Shanghai', clock.now());
    // Every GET of the API, with its ids and required queries filled in.
    const urlOf = (route: string): string =>
      route
        .replace('/api/households/:id', `/api/households/${cast.householdA}`)
        .replace('/api/alerts/:id', `/api/alerts/${alertId}`)
        .replace(/^\/api\/reports\/daily$/, `/api/reports/daily?day=${day}`)
        .replace(/^\/api\/figures$/, `/api/figures?from=${day}&to=${day}`);
    const gets = listRoutes(system.app)
      .filter((r) => r.startsWith('GET /api/'))
      .map((r) => urlOf(r.slice('GET '.length)));
    expect(gets).toContain(`/api/alerts/${alertId}`);
    expect(gets).toContain(`/api/reports/daily?day=${day}`);
    const answered: Record<string, number> = {};
    for (const url of gets) {
      const res = await volunteer('GET', url);
      answered[url] = res.statusCode;
      expect(res.body, url).not.toContain(DAUGHTER.phone);
    }
    // The reads that hold the alert answered (not a 4xx that would prove nothing); the exports,
    // full of family numbers, are refused.
    expect(answered).toMatchObject({
      '/api/alerts': 200,
      [`/api/alerts/${alertId}`]: 200,
      [`/api/households/${cast.householdA}`]: 200,
      [`/api/reports/daily?day=${day}`]: 200,
      '/api/export/households': 403,
      '/api/export/people': 403,
    });
    const report = await volunteer('GET', `/api/reports/daily?day=${day}`);
    expect((report.json() as { items: unknown[] }).items).not.toHaveLength(0);
  });
});
