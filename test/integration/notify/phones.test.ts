import { describe, expect, it } from 'vitest';
import { verifyAckToken } from '../../../server/app/ack-link.js';
import type { Alert } from '../../../server/app/ports.js';
import { loadLinkSecret } from '../../../server/store/secrets.js';
import { ManualClock } from '../../helpers/clock.js';
import { phoneChannels, SMS_TEMPLATES, TTS_CODE } from '../../helpers/phones.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// Issue 13: a red press rings a person's phone. The real pipeline (MQTT over loopback, a real
// SQLite file), a fake Alibaba Cloud gateway on 127.0.0.1 that checks every request's
// signature, the duty roster in the store, time from a manual clock and the sweep run by the
// test (as the scheduler would every second).

/** Wednesday 03:00 in Shanghai: nobody at the wall. */
const NIGHT = Date.parse('2026-11-25T03:00:00+08:00');
const PHONES = {
  night: '13800000001',
  day: '13800000002',
  grid: '13800000003',
  duty: '13800000004',
  family: '13900000000',
};

async function community(opts: { at?: number; phones?: boolean; roster?: 'night' | 'day-only' } = {}) {
  const clock = new ManualClock(opts.at ?? NIGHT);
  const system = await startTestSystem({ clock, scheduler: false });
  const device = system.provision({ compound: '阳光小区', building: '3号楼', room: '201', name: '张桂兰' });
  const household = system.stores.places.getHousehold(device.householdId);
  if (household === null) throw new Error('no household');
  const now = clock.now();
  const { people, duty } = system.stores;
  const person = (name: string, phone: string, tier: 1 | 2 | 3, role: 'volunteer' | 'grid_worker' | 'duty_officer') =>
    people.add(
      { name, phone, role, tier, compoundId: tier === 3 ? null : household.compoundId, buildingId: null },
      now,
    );
  const nightVolunteer = person('李夜班', PHONES.night, 1, 'volunteer');
  const dayVolunteer = person('王白班', PHONES.day, 1, 'volunteer');
  person('赵网格', PHONES.grid, 2, 'grid_worker');
  person('钱值班', PHONES.duty, 3, 'duty_officer');
  people.addContact({ householdId: household.id, name: '张女儿', phone: PHONES.family, relation: '女儿' }, now);
  const everyDay = [1, 2, 3, 4, 5, 6, 7] as const;
  duty.replaceShifts(
    household.compoundId,
    'Asia/Shanghai',
    opts.roster === 'day-only'
      ? [{ tier: 1, days: everyDay, start: '08:00', end: '20:00', personIds: [dayVolunteer] }]
      : [
          { tier: 1, days: everyDay, start: '08:00', end: '20:00', personIds: [dayVolunteer] },
          { tier: 1, days: everyDay, start: '20:00', end: '08:00', personIds: [nightVolunteer] },
        ],
    now,
  );
  const phones = opts.phones === false ? null : await phoneChannels(system.stores, now);
  return { clock, system, device, household, phones, nightVolunteer };
}

type Community = Awaited<ReturnType<typeof community>>;

async function press(c: Community, state: 'red' | 'yellow', seq = 1) {
  const { raw } = await RawMqtt.connect(portOf(c.system), {
    clientId: c.device.id,
    username: c.device.id,
    password: c.device.secret,
  });
  raw.send(raw.publish(`ribbon/${c.device.id}/state`, JSON.stringify({ state, seq, boot: 1 }), seq));
  await raw.next((p) => p.cmd === 'puback' && p.messageId === seq);
  return raw;
}

function portOf(system: TestSystem): number {
  if (system.mqttAddress === null) throw new Error('no broker');
  return system.mqttAddress.port;
}

function alertOf(c: Community, kind: Alert['kind'] = 'emergency'): Alert {
  const alert = c.system.stores.alerts.list({ householdId: c.household.id, kind })[0];
  if (alert === undefined) throw new Error(`no ${kind} alert`);
  return alert;
}

/** Waits (bounded, on the gateway's own arrivals) until it has had `n` good requests. */
async function gatewayHas(c: Community, n: number, withinMs = 5_000): Promise<void> {
  const phones = c.phones;
  if (phones === null) throw new Error('no gateway');
  const until = Date.now() + withinMs;
  while (phones.sent().length < n) {
    if (Date.now() > until)
      throw new Error(`the gateway had ${phones.sent().length} of ${n} requests after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a red at night rings the person on duty', () => {
  it('when a red is pressed at 03:00, then the night volunteer on duty gets an SMS with a one-tap link and a call within 5 s, and the day volunteer nothing', async () => {
    const c = await community();
    const pressedAt = Date.now();
    await press(c, 'red');
    await gatewayHas(c, 2);
    expect(Date.now() - pressedAt).toBeLessThan(5_000);
    expect(c.phones?.sent().sort()).toEqual([
      ['SendSms', PHONES.night],
      ['SingleCallByTts', PHONES.night],
    ]);
    const [sms] = c.phones?.gateway.received.filter((r) => r.action === 'SendSms') ?? [];
    expect(sms?.template).toBe(SMS_TEMPLATES.emergency);
    const params = sms?.templateParams as Record<string, string>;
    expect(params).toMatchObject({ name: '张桂兰', address: '阳光小区3号楼201', time: '03:00' });
    // The short link PUBLIC_URL/a/<处理码> leads on to the person's own signed link for this alert.
    const code = params['token'] ?? '';
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
    const opened = await fetch(`${c.system.httpUrl}/a/${code}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    const token = opened.headers.get('location') ?? '';
    const verdict = verifyAckToken(loadLinkSecret(c.system.stores.db), token, c.clock.now());
    expect(verdict).toEqual({
      ok: true,
      claim: {
        alertId: alertOf(c).id,
        recipient: { kind: 'person', id: c.nightVolunteer },
        expiresAt: expect.any(Number),
      },
    });
    const [call] = c.phones?.gateway.received.filter((r) => r.action === 'SingleCallByTts') ?? [];
    expect(call?.template).toBe(TTS_CODE);
    expect(call?.templateParams).toEqual({ name: '张桂兰', address: '阳光小区3号楼201' });
    // Recorded: the provider's ids kept for call results, and the alert reached a person.
    await c.system.deliverNow();
    const rows = c.system.stores.outbox
      .forAlert(alertOf(c).id)
      .filter((r) => r.channelId === c.phones?.sms || r.channelId === c.phones?.voice);
    expect(rows.map((r) => [r.status, r.providerRef !== null, r.recipients.map((p) => p.name)])).toEqual([
      ['sent', true, ['李夜班']],
      ['sent', true, ['李夜班']],
    ]);
    expect(alertOf(c).reach).toBe('reached');
  });

  it('when nobody acknowledges, then the calls are repeated every minute to every tier told, and tier 2 and 3 come on their timers; after 我去处理 the phones fall silent', async () => {
    const c = await community();
    const t0 = c.clock.now();
    await press(c, 'red');
    await gatewayHas(c, 2);
    const step = async (sec: number) => {
      c.clock.ms = t0 + sec * 1000;
      c.system.sweepNow();
      await c.system.deliverNow();
    };
    const sentSince = (from: number) =>
      c.phones
        ?.sent()
        .slice(from)
        .map(([a, p]) => `${a === 'SendSms' ? 'sms' : 'call'}:${p}`)
        .sort();

    let seen = c.phones?.sent().length ?? 0;
    await step(60);
    // Tier 2 told now (SMS and call); tier 1 called again.
    expect(sentSince(seen)).toEqual([`call:${PHONES.grid}`, `call:${PHONES.night}`, `sms:${PHONES.grid}`].sort());
    expect(alertOf(c).level).toBe(2);

    seen = c.phones?.sent().length ?? 0;
    await step(120);
    expect(sentSince(seen)).toEqual([`call:${PHONES.grid}`, `call:${PHONES.night}`].sort());

    seen = c.phones?.sent().length ?? 0;
    await step(180);
    // Tier 3: the community's duty officer and the family, each on their own phone.
    expect(sentSince(seen)).toEqual(
      [
        `sms:${PHONES.duty}`,
        `call:${PHONES.duty}`,
        `sms:${PHONES.family}`,
        `call:${PHONES.family}`,
        `call:${PHONES.grid}`,
        `call:${PHONES.night}`,
      ].sort(),
    );

    const ack = c.system.commandAlert(alertOf(c).id, { type: 'acknowledge', by: '李夜班' });
    expect(ack.ok).toBe(true);
    await c.system.deliverNow();
    seen = c.phones?.sent().length ?? 0;
    await step(240);
    await step(600);
    expect(sentSince(seen)).toEqual([]);
  });

  it('when the gateway is down for a moment, then the SMS and call are retried and reach the person', async () => {
    const c = await community();
    c.phones?.gateway.answerWith({ kind: 'error', code: 'ServiceUnavailable', message: 'busy', status: 503 });
    await press(c, 'red');
    await gatewayHas(c, 2);
    expect(
      c.system.stores.outbox.forAlert(alertOf(c).id).filter((r) => r.status === 'pending').length,
    ).toBeGreaterThanOrEqual(2);
    // Nobody reached while every try fails, retries or not: the dashboards say so meanwhile.
    await until(() => alertOf(c).reach === 'unreached');
    c.phones?.gateway.answerWith({ kind: 'ok' });
    c.clock.ms += 60_000;
    c.system.sweepNow();
    await c.system.deliverNow();
    expect(alertOf(c).reach).toBe('reached');
  });

  it('when someone acknowledges while the SMS and call wait for a retry, then they are not sent at all', async () => {
    const c = await community();
    c.phones?.gateway.answerWith({ kind: 'error', code: 'ServiceUnavailable', message: 'busy', status: 503 });
    await press(c, 'red');
    await gatewayHas(c, 2);
    await until(() => alertOf(c).reach === 'unreached');
    expect(c.system.commandAlert(alertOf(c).id, { type: 'acknowledge', by: '李夜班' }).ok).toBe(true);
    const triedBefore = c.phones?.sent().length;
    c.phones?.gateway.answerWith({ kind: 'ok' });
    c.clock.ms += 10 * 60_000;
    c.system.sweepNow();
    await c.system.deliverNow();
    expect(c.phones?.sent().length).toBe(triedBefore);
    const phoneRows = c.system.stores.outbox
      .forAlert(alertOf(c).id)
      .filter((r) => r.channelId === c.phones?.sms || r.channelId === c.phones?.voice);
    expect(phoneRows.map((r) => [r.status, r.lastError?.slice(0, 4)])).toEqual([
      ['failed', '不再发送'],
      ['failed', '不再发送'],
    ]);
  });
});

describe('nobody reached is itself an alarm', () => {
  it('when tier 1 has nobody on duty, then tier 2 is told at once, and the timeline says why', async () => {
    const c = await community({ roster: 'day-only' });
    await press(c, 'red');
    await gatewayHas(c, 2);
    expect(c.phones?.sent().map(([, p]) => p)).toEqual([PHONES.grid, PHONES.grid]);
    const alert = alertOf(c);
    expect(alert.level).toBe(2);
    const escalated = c.system.stores.alerts.transitions(alert.id).find((t) => t.action === 'escalated');
    expect(escalated?.note).toContain('第1级无人可通知');
    // The second tier's timer is the usual one: tier 3 at +180 s from the press.
    expect(alert.dueAt).toBe(NIGHT + 180_000);
  });

  it('when no SMS or voice channel is configured, then the red goes to every tier at once, is unreached, and /metrics counts it', async () => {
    const c = await community({ phones: false });
    await press(c, 'red');
    const alert = alertOf(c);
    expect(alert.level).toBe(3);
    expect(alert.reach).toBe('unreached');
    expect(c.system.logs.lines.some((l) => String(l.msg).includes('没有配置短信或电话通道'))).toBe(true);
    const metrics = await c.system.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^ribbon_emergencies_unreached 1$/m);
    expect(metrics.body).toMatch(/^ribbon_oldest_unacknowledged_emergency_seconds \d/m);
    // Acknowledged: no longer an open red nobody was told of.
    c.system.commandAlert(alert.id, { type: 'acknowledge', by: '李夜班' });
    const after = await c.system.app.inject({ method: 'GET', url: '/metrics' });
    expect(after.body).toMatch(/^ribbon_emergencies_unreached 0$/m);
  });

  it('when every phone of a tier fails for good, then the next tier is told at once; the alert is unreached until a call gets through', async () => {
    const c = await community();
    c.phones?.gateway.answerWith({ kind: 'error', code: 'isv.MOBILE_NUMBER_ILLEGAL', message: 'bad number' });
    await press(c, 'red');
    // Tier 1 (SMS + call), then tier 2 (2), then tier 3's duty officer and family (4): all refused.
    await gatewayHas(c, 8);
    await until(() => alertOf(c).reach === 'unreached');
    const alert = alertOf(c);
    expect(alert.level).toBe(3);
    expect(
      c.system.stores.alerts
        .transitions(alert.id)
        .filter((t) => t.action === 'escalated')
        .map((t) => [t.level, t.note?.slice(0, 8)]),
    ).toEqual([
      [2, '第1级无人可通知'],
      [3, '第2级无人可通知'],
    ]);
    // The next round of calls gets through: reached.
    c.phones?.gateway.answerWith({ kind: 'ok' });
    c.clock.ms += 60_000;
    c.system.sweepNow();
    await c.system.deliverNow();
    expect(alertOf(c).reach).toBe('reached');
  });
});

/** Waits (bounded) for a condition the server reaches by itself (the outbox runs on its own news). */
async function until(condition: () => boolean, withinMs = 5_000): Promise<void> {
  const end = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`not so after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('yellow and missed check-ins', () => {
  it('when a yellow is pressed at 03:00, then nobody is called and the SMS waits for the daytime (08:00)', async () => {
    const c = await community();
    await press(c, 'yellow');
    await c.system.deliverNow();
    expect(c.phones?.sent()).toEqual([]);
    const rows = c.system.stores.outbox.forAlert(alertOf(c, 'service').id).filter((r) => r.channelId === c.phones?.sms);
    expect(rows.map((r) => [r.status, r.nextAttemptAt])).toEqual([
      ['pending', Date.parse('2026-11-25T08:00:00+08:00')],
    ]);
    c.clock.ms = Date.parse('2026-11-25T08:00:00+08:00');
    await c.system.deliverNow();
    // At 08:00 the day volunteer is on duty, but the SMS is the night's: to whom it was for.
    expect(c.phones?.sent()).toEqual([['SendSms', PHONES.night]]);
    expect(c.phones?.gateway.received[0]?.template).toBe(SMS_TEMPLATES.service);
  });
});
