import { describe, expect, it } from 'vitest';
import { castWorld, client, COMPOUND_A, login } from '../../helpers/api.js';
import { answerers } from '../../helpers/phones.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import type { TestSystem } from '../../helpers/system.js';

// A person's report (POST /api/households/:id/reports) goes through the same ingest as a device
// press: the same alert, the same escalation, a check-in; a resend with the same key counts once.
// Real MQTT for the presses, a real SQLite file, app.inject() for HTTP, a manual clock.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');
const MIN = 60_000;

type AlertView = {
  id: number;
  kind: string;
  status: string;
  householdId: number;
  level: number;
  reportCount: number;
  openedAt: string;
  dueAt: string | null;
  transitions?: Array<{ action: string; level: number; at: string }>;
  notifications?: Array<{ event: string }>;
};

/** The cast, with someone with a phone at every tier of compound A (an empty tier is skipped at once). */
const world = async () => {
  const w = await castWorld(T0);
  answerers(w.system.stores, w.cast.compoundA.id, T0);
  return w;
};

async function pressRed(system: TestSystem, device: { id: string; secret: string }, seq = 1): Promise<void> {
  if (system.mqttAddress === null) throw new Error('no broker');
  const { raw } = await RawMqtt.connect(system.mqttAddress.port, {
    clientId: device.id,
    username: device.id,
    password: device.secret,
  });
  raw.send(raw.publish(`ribbon/${device.id}/state`, JSON.stringify({ state: 'red', seq, boot: 1 }), seq));
  await raw.next((p) => p.cmd === 'puback' && p.messageId === seq);
  raw.socket.destroy();
}

async function alertsOf(api: ReturnType<typeof client>, householdId: number): Promise<AlertView[]> {
  const res = await api('GET', `/api/alerts?householdId=${householdId}`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { items: AlertView[] }).items;
}

async function oneAlert(api: ReturnType<typeof client>, householdId: number): Promise<AlertView> {
  const list = await alertsOf(api, householdId);
  expect(list).toHaveLength(1);
  const res = await api('GET', `/api/alerts/${list[0]?.id}`);
  expect(res.statusCode).toBe(200);
  return res.json() as AlertView;
}

/** What must match between two alerts of different households. */
function shape(a: AlertView) {
  return {
    kind: a.kind,
    status: a.status,
    level: a.level,
    reportCount: a.reportCount,
    openedAt: a.openedAt,
    dueAt: a.dueAt,
    transitions: a.transitions?.map((t) => [t.action, t.level, t.at]),
    notifications: a.notifications?.map((n) => n.event),
  };
}

describe('a manual report is a press', () => {
  it('when a volunteer reports red, then the same emergency alert opens as for a device press', async () => {
    const { system, volunteer } = await world();
    const byDevice = system.provision({ compound: COMPOUND_A });
    const byPerson = system.provision({ compound: COMPOUND_A });
    await pressRed(system, byDevice);
    const reported = await volunteer('POST', `/api/households/${byPerson.householdId}/reports`, {
      state: 'red',
      note: '窗口挂着红丝带',
    });
    expect(reported.statusCode, reported.body).toBe(201);
    expect(reported.json()).toEqual({ eventId: expect.any(Number), duplicate: false });

    const pressed = await oneAlert(volunteer, byDevice.householdId);
    const manual = await oneAlert(volunteer, byPerson.householdId);
    expect(shape(manual)).toEqual(shape(pressed));
    expect(manual).toMatchObject({
      kind: 'emergency',
      status: 'open',
      level: 1,
      reportCount: 1,
      openedAt: new Date(T0).toISOString(),
    });

    const events = (await volunteer('GET', `/api/households/${byPerson.householdId}/events`)).json() as {
      items: unknown[];
    };
    expect(events.items).toEqual([
      expect.objectContaining({
        id: (reported.json() as { eventId: number }).eventId,
        state: 'red',
        source: 'person',
        seq: null,
        deviceId: null,
        reportedBy: '李志愿',
        note: '窗口挂着红丝带',
        receivedAt: new Date(T0).toISOString(),
        observedAt: new Date(T0).toISOString(),
      }),
    ]);
    for (const h of [byDevice.householdId, byPerson.householdId]) {
      expect((await volunteer('GET', `/api/households/${h}`)).json()).toMatchObject({
        state: 'red',
        stateAt: new Date(T0).toISOString(),
      });
    }
  });

  it('when a device presses red after a manual red report (and a person reports after a press), then each joins the open emergency: reportCount 2', async () => {
    const { system, clock, volunteer } = await world();
    const first = system.provision({ compound: COMPOUND_A });
    expect((await volunteer('POST', `/api/households/${first.householdId}/reports`, { state: 'red' })).statusCode).toBe(
      201,
    );
    clock.ms = T0 + 10_000;
    await pressRed(system, first);
    expect(await alertsOf(volunteer, first.householdId)).toEqual([
      expect.objectContaining({
        kind: 'emergency',
        status: 'open',
        reportCount: 2,
        openedAt: new Date(T0).toISOString(),
      }),
    ]);

    const second = system.provision({ compound: COMPOUND_A });
    await pressRed(system, second);
    expect(
      (await volunteer('POST', `/api/households/${second.householdId}/reports`, { state: 'red' })).statusCode,
    ).toBe(201);
    expect(await alertsOf(volunteer, second.householdId)).toEqual([
      expect.objectContaining({ kind: 'emergency', status: 'open', reportCount: 2 }),
    ]);
  });

  it('when a manual red report is not acknowledged, then it escalates as a press does: level 2 at 60 s, level 3 at 180 s', async () => {
    const { system, clock, volunteer } = await world();
    const byDevice = system.provision({ compound: COMPOUND_A });
    const byPerson = system.provision({ compound: COMPOUND_A });
    await pressRed(system, byDevice);
    expect(
      (await volunteer('POST', `/api/households/${byPerson.householdId}/reports`, { state: 'red' })).statusCode,
    ).toBe(201);

    clock.ms = T0 + 59_000;
    expect(system.sweepNow().alerts).toBe(0);
    clock.ms = T0 + 60_000;
    expect(system.sweepNow().alerts).toBe(2);
    expect(await oneAlert(volunteer, byPerson.householdId)).toMatchObject({ level: 2, status: 'open' });
    clock.ms = T0 + 180_000;
    expect(system.sweepNow().alerts).toBe(2);
    await system.deliverNow();

    const manual = await oneAlert(volunteer, byPerson.householdId);
    expect(manual).toMatchObject({ level: 3 });
    expect(manual.transitions?.map((t) => [t.action, t.level, Date.parse(t.at) - T0])).toEqual([
      ['opened', 1, 0],
      ['escalated', 2, 60_000],
      ['escalated', 3, 180_000],
    ]);
    expect(shape(manual)).toEqual(shape(await oneAlert(volunteer, byDevice.householdId)));
  });

  it('when a person reports on a household that missed its check-in, then it counts as the check-in: lastCheckInAt, the next due time, the missed check-in cleared', async () => {
    const { system, clock, staff, volunteer, cast } = await world();
    // A household without a device: only people report for it.
    const created = await staff('POST', '/api/households', {
      name: '独居老人',
      compound: cast.compoundA.name,
      building: '2号楼',
      room: '302',
      checkin: { everySec: 3600, graceSec: 600 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const household = created.json() as {
      id: number;
      checkInDueAt: string;
      lastCheckInAt: string | null;
      devices: unknown[];
    };
    expect(household).toMatchObject({
      lastCheckInAt: null,
      devices: [],
      checkInDueAt: new Date(T0 + 70 * MIN).toISOString(),
    });

    clock.ms = T0 + 70 * MIN;
    system.sweepNow();
    expect(await alertsOf(volunteer, household.id)).toEqual([
      expect.objectContaining({ kind: 'missed_checkin', status: 'open' }),
    ]);

    clock.ms = T0 + 75 * MIN;
    expect(
      (
        await volunteer('POST', `/api/households/${household.id}/reports`, {
          state: 'blue',
          note: '上门看过，一切安好',
        })
      ).statusCode,
    ).toBe(201);
    expect((await volunteer('GET', `/api/households/${household.id}`)).json()).toMatchObject({
      state: 'blue',
      lastCheckInAt: new Date(T0 + 75 * MIN).toISOString(),
      checkInDueAt: new Date(T0 + 145 * MIN).toISOString(),
    });
    expect(await alertsOf(volunteer, household.id)).toEqual([
      expect.objectContaining({ kind: 'missed_checkin', status: 'resolved' }),
    ]);
    // And the next silence is counted from the report.
    clock.ms = T0 + 144 * MIN;
    system.sweepNow();
    expect((await alertsOf(volunteer, household.id)).filter((a) => a.status === 'open')).toEqual([]);
  });

  it('when the same report is sent twice with the same key, then it is recorded once and the second answer is 200 duplicate:true', async () => {
    const { system, clock, volunteer } = await world();
    const h = system.provision({ compound: COMPOUND_A });
    const body = { state: 'red', note: '离线时记下的', key: 'patrol-0001-abcdef' };
    const first = await volunteer('POST', `/api/households/${h.householdId}/reports`, body);
    expect(first.statusCode).toBe(201);
    const { eventId } = first.json() as { eventId: number };
    clock.ms = T0 + 30_000;
    const again = await volunteer('POST', `/api/households/${h.householdId}/reports`, body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ eventId, duplicate: true });

    const events = (await volunteer('GET', `/api/households/${h.householdId}/events`)).json() as {
      items: Array<{ id: number }>;
    };
    expect(events.items.map((e) => e.id)).toEqual([eventId]);
    expect(await alertsOf(volunteer, h.householdId)).toEqual([
      expect.objectContaining({ kind: 'emergency', reportCount: 1 }),
    ]);
    // The resend changed nothing: the check-in is still the first one.
    expect((await volunteer('GET', `/api/households/${h.householdId}`)).json()).toMatchObject({
      lastCheckInAt: new Date(T0).toISOString(),
    });
  });

  it('when a key already used for one household comes with a report for another, then that report is recorded there (not taken for the other household’s event)', async () => {
    const { system, volunteer } = await world();
    const x = system.provision({ compound: COMPOUND_A });
    const y = system.provision({ compound: COMPOUND_A });
    const key = 'reused-key-000001';
    const onX = await volunteer('POST', `/api/households/${x.householdId}/reports`, { state: 'blue', key });
    expect(onX.statusCode).toBe(201);
    const onY = await volunteer('POST', `/api/households/${y.householdId}/reports`, { state: 'red', key });
    expect(onY.statusCode, onY.body).toBe(201);
    expect(onY.json()).toMatchObject({ duplicate: false });
    expect(await alertsOf(volunteer, y.householdId)).toEqual([
      expect.objectContaining({ kind: 'emergency', status: 'open' }),
    ]);
  });
});

describe('the figures for a period (GET /api/figures)', () => {
  type Figures = {
    compoundId: number;
    emergency: {
      opened: number;
      ackWithin60s: { count: number; of: number; met: boolean | null };
      timeToAcknowledge: { medianMs: number | null };
    };
    ackHistogram: Array<{ bucket: string; minMs: number | null; maxMs: number | null; count: number }>;
    days: Array<{ day: string; emergencies: number; missedCheckins: number }>;
  };

  it('when emergencies were acknowledged after 45 s and 200 s and one not at all, and a check-in was missed, then the histogram and the per-day counts say so, beside the existing figures', async () => {
    const { system, clock, volunteer, staff, cast } = await world();
    const fast = system.provision({ compound: COMPOUND_A });
    const slow = system.provision({ compound: COMPOUND_A });
    const never = system.provision({ compound: COMPOUND_A });
    for (const h of [fast, slow, never])
      expect((await volunteer('POST', `/api/households/${h.householdId}/reports`, { state: 'red' })).statusCode).toBe(
        201,
      );
    const ack = async (householdId: number, at: number) => {
      clock.ms = at;
      const [alert] = await alertsOf(volunteer, householdId);
      expect((await volunteer('POST', `/api/alerts/${alert?.id}/ack`, {})).statusCode).toBe(200);
    };
    await ack(fast.householdId, T0 + 45_000);
    await ack(slow.householdId, T0 + 200_000);

    // A household that checks in hourly misses on the next day (local 2026-11-26 00:10).
    const created = await staff('POST', '/api/households', {
      name: '夜里',
      compound: cast.compoundA.name,
      building: '3号楼',
      room: '101',
      checkin: { everySec: 3600, graceSec: 600 },
    });
    expect(created.statusCode, created.body).toBe(201);
    clock.ms = Date.parse('2026-11-26T00:00:00+08:00');
    await volunteer('POST', `/api/households/${(created.json() as { id: number }).id}/reports`, { state: 'blue' });
    clock.ms = Date.parse('2026-11-26T01:10:00+08:00');
    system.sweepNow();

    // Sixteen hours later the morning's session has ended (12 h idle): log in again.
    const later = client(system.app, await login(system.app, cast.users.volunteerA.username));
    const res = await later('GET', '/api/figures?from=2026-11-24&to=2026-11-26');
    expect(res.statusCode, res.body).toBe(200);
    const [mine] = (res.json() as { items: Figures[] }).items;
    expect(mine?.compoundId).toBe(cast.compoundA.id);
    expect(mine?.emergency).toMatchObject({
      opened: 3,
      ackWithin60s: { count: 1, of: 3, met: false },
      timeToAcknowledge: { medianMs: 45_000 },
    });
    expect(Object.fromEntries(mine?.ackHistogram.map((b) => [b.bucket, b.count]) ?? [])).toEqual({
      le30s: 0,
      le60s: 1,
      le2min: 0,
      le3min: 0,
      le5min: 1,
      le15min: 0,
      gt15min: 0,
      never: 1,
    });
    expect(mine?.ackHistogram[0]).toEqual({ bucket: 'le30s', minMs: null, maxMs: 30_000, count: 0 });
    expect(mine?.days).toEqual([
      { day: '2026-11-24', emergencies: 0, missedCheckins: 0 },
      { day: '2026-11-25', emergencies: 3, missedCheckins: 0 },
      { day: '2026-11-26', emergencies: 0, missedCheckins: 1 },
    ]);

    // The same instants in another zone fall on other days: the days follow `timezone`.
    const utc = (await later('GET', '/api/figures?from=2026-11-25&to=2026-11-25&timezone=UTC')).json() as {
      items: Figures[];
    };
    expect(utc.items[0]?.days).toEqual([{ day: '2026-11-25', emergencies: 3, missedCheckins: 1 }]);
  });

  it.each([
    ['to before from', 'from=2026-11-25&to=2026-11-24'],
    ['not a date', 'from=2026-11-31&to=2026-12-01'],
    ['more than a year', 'from=2025-01-01&to=2026-12-31'],
    ['an unknown zone', 'from=2026-11-01&to=2026-11-30&timezone=Mars/Olympus'],
    ['an unknown parameter', 'from=2026-11-01&to=2026-11-30&compound=1'],
  ])('when the period is %s, then it is 400', async (_name, query) => {
    const { volunteer } = await world();
    const res = await volunteer('GET', `/api/figures?${query}`);
    expect(res.statusCode, res.body).toBe(400);
    expect((res.json() as { error: { code: string } }).error.code).toBe('RIBBON_ERR_VALIDATION');
  });
});
