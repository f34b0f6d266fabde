import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { verifyWebhookSignature } from '../../../server/notify/webhook.js';
import type { NotificationMessage } from '../../../server/notify/types.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { ManualClock } from '../../helpers/clock.js';
import { phoneChannels } from '../../helpers/phones.js';

// The rules of docs/design.md §3 through the real pipeline: real MQTT, a real SQLite file, a real
// HTTP receiver; time is a manual clock and the sweep is run by the test (as the scheduler would).

const T0 = Date.parse('2026-11-25T09:00:00+08:00');
const SECRET = 'webhook-secret';

type Community = Awaited<ReturnType<typeof community>>;

/** A household with a device, the people of its three tiers, a family contact and a webhook channel. */
async function community(opts: { clock?: ManualClock; scheduler?: boolean } = {}) {
  const clock = opts.clock ?? new ManualClock(T0);
  const system = await startTestSystem({ clock, scheduler: opts.scheduler ?? false });
  const receiver = await startWebhookReceiver();
  const device = system.provision({ compound: '阳光小区', building: '3号楼', room: '201', name: '张桂兰' });
  const household = system.stores.places.getHousehold(device.householdId);
  if (household === null) throw new Error('no household');
  const now = clock.now();
  const { people, channels } = system.stores;
  people.add(
    {
      name: '李志愿',
      phone: '13800000001',
      role: 'volunteer',
      tier: 1,
      compoundId: household.compoundId,
      buildingId: household.buildingId,
    },
    now,
  );
  people.add(
    {
      name: '王网格',
      phone: '13800000002',
      role: 'grid_worker',
      tier: 2,
      compoundId: household.compoundId,
      buildingId: null,
    },
    now,
  );
  people.add(
    { name: '赵值班', phone: '13800000003', role: 'duty_officer', tier: 3, compoundId: null, buildingId: null },
    now,
  );
  people.addContact({ householdId: household.id, name: '张女儿', phone: '13900000000', relation: '女儿' }, now);
  const webhook = channels.add('webhook', '社区群', { url: receiver.url, secret: SECRET }, null, now);
  // Phones too: a tier whose people no phone can reach would be skipped at once (phones.test.ts).
  const phones = await phoneChannels(system.stores, now);
  return { clock, system, receiver, device, household, phones, webhook };
}

function messages(c: Community): NotificationMessage[] {
  return c.receiver.received.map((r) => r.json as NotificationMessage);
}

async function pressRed(c: Community, seq = 1) {
  const { raw } = await RawMqtt.connect(portOf(c.system), {
    clientId: c.device.id,
    username: c.device.id,
    password: c.device.secret,
  });
  raw.send(raw.publish(`ribbon/${c.device.id}/state`, JSON.stringify({ state: 'red', seq, boot: 1 }), seq));
  await raw.next((p) => p.cmd === 'puback' && p.messageId === seq);
  return raw;
}

function portOf(system: TestSystem): number {
  if (system.mqttAddress === null) throw new Error('no broker');
  return system.mqttAddress.port;
}

/** The emergency's rows for the group's webhook (its SMS and calls are phones.test.ts's). */
function webhookRows(c: Community) {
  return c.system.stores.outbox.forAlert(emergency(c).id).filter((r) => r.channelId === c.webhook);
}

function emergency(c: Community) {
  const alert = c.system.stores.alerts.list({ householdId: c.household.id, kind: 'emergency' })[0];
  if (alert === undefined) throw new Error('no emergency alert');
  return alert;
}

describe('red escalates', () => {
  it('when a red press stays unacknowledged, then tier 1 is told at once, tier 2 at 60 s and tier 3 (with the family) at 180 s', async () => {
    const c = await community();
    await pressRed(c);
    await c.receiver.waitFor(1);
    expect(messages(c).map((m) => [m.event, m.alert?.tier, m.recipients.map((r) => r.name)])).toEqual([
      ['alert.opened', 1, ['李志愿']],
    ]);
    // Signed, so a receiver can trust it.
    const first = c.receiver.received[0];
    expect(
      verifyWebhookSignature(
        SECRET,
        String(first?.headers['x-ribbon-timestamp']),
        first?.body ?? '',
        String(first?.headers['x-ribbon-signature']),
        Date.now(),
      ),
    ).toBe(true);

    c.clock.ms = T0 + 59_000;
    expect(c.system.sweepNow().alerts).toBe(0);
    c.clock.ms = T0 + 60_000;
    expect(c.system.sweepNow().alerts).toBe(1);
    await c.system.deliverNow();
    expect(emergency(c).level).toBe(2);
    c.clock.ms = T0 + 180_000;
    expect(c.system.sweepNow().alerts).toBe(1);
    await c.system.deliverNow();
    expect(messages(c).map((m) => [m.event, m.alert?.tier, m.recipients.map((r) => r.name)])).toEqual([
      ['alert.opened', 1, ['李志愿']],
      ['alert.escalated', 2, ['王网格']],
      ['alert.escalated', 3, ['赵值班', '张女儿']],
    ]);
    const history = c.system.stores.alerts.transitions(emergency(c).id).map((t) => [t.action, t.level, t.at - T0]);
    expect(history).toEqual([
      ['opened', 1, 0],
      ['escalated', 2, 60_000],
      ['escalated', 3, 180_000],
    ]);
    // Every notification records whom it was for and that it went out.
    expect(webhookRows(c).map((r) => [r.event, r.status])).toEqual([
      ['alert.opened', 'sent'],
      ['alert.escalated', 'sent'],
      ['alert.escalated', 'sent'],
    ]);
  });

  it('when someone acknowledges within 60 s, then no tier is escalated, the button hears "acknowledged", and a reminder comes at 45 min', async () => {
    const c = await community();
    const button = await connectDevice({
      url: c.system.mqttUrl,
      id: c.device.id,
      secret: c.device.secret,
      boot: 1,
      reconnectPeriodMs: 100,
    });
    onTestFinished(() => button.close());
    const { seq } = await button.press('red');
    await button.waitForAck({ seq, status: 'received' }, 5000);
    c.clock.ms = T0 + 30_000;
    const acked = c.system.commandAlert(emergency(c).id, { type: 'acknowledge', by: '李志愿' });
    expect(acked.ok).toBe(true);
    await button.waitForAck({ seq, status: 'acknowledged' }, 5000);

    for (const t of [60_000, 180_000, 44 * 60_000]) {
      c.clock.ms = T0 + 30_000 + t;
      expect(c.system.sweepNow().alerts).toBe(0);
    }
    expect(emergency(c)).toMatchObject({ level: 1, status: 'acknowledged', acknowledgedBy: '李志愿' });
    c.clock.ms = T0 + 30_000 + 45 * 60_000;
    expect(c.system.sweepNow().alerts).toBe(1);
    await c.system.deliverNow();
    expect(messages(c).map((m) => m.event)).toEqual(['alert.opened', 'alert.acknowledged', 'alert.reminder']);

    // Resolving needs a note; then the button hears "resolved" and nothing more is due.
    expect(c.system.commandAlert(emergency(c).id, { type: 'resolve', by: '李志愿', note: '  ' })).toMatchObject({
      ok: false,
      code: 'RIBBON_ERR_NOTE_REQUIRED',
    });
    expect(
      c.system.commandAlert(emergency(c).id, {
        type: 'resolve',
        by: '李志愿',
        note: '摔倒，已送医 / fell, taken to hospital',
      }).ok,
    ).toBe(true);
    await button.waitForAck({ seq, status: 'resolved' }, 5000);
    expect(emergency(c)).toMatchObject({
      status: 'resolved',
      dueAt: null,
      resolutionNote: '摔倒，已送医 / fell, taken to hospital',
    });
  });

  it('when more red presses come while the emergency is open, then they join it (counted), and a blue press does not resolve it', async () => {
    const c = await community();
    const raw = await pressRed(c, 1);
    raw.send(
      raw.publish(`ribbon/${c.device.id}/state`, '{"state":"red","seq":2,"boot":1}', 2),
      raw.publish(`ribbon/${c.device.id}/state`, '{"state":"blue","seq":3,"boot":1}', 3),
    );
    await raw.next((p) => p.cmd === 'puback' && p.messageId === 3);
    const alerts = c.system.stores.alerts.list({ householdId: c.household.id });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'emergency', status: 'open', reportCount: 2 });
  });
});

describe('yellow queues', () => {
  it('when three households ask for a service, then three open service alerts wait in press order, and an unclaimed one reminds the grid worker after 4 h of daytime', async () => {
    const c = await community();
    const others = [c.device, c.system.provision({ building: '3号楼' }), c.system.provision({ building: '3号楼' })];
    for (const [i, d] of others.entries()) {
      c.clock.ms = T0 + i * 1000;
      const { raw } = await RawMqtt.connect(portOf(c.system), { clientId: d.id, username: d.id, password: d.secret });
      raw.send(raw.publish(`ribbon/${d.id}/state`, 'yellow', 1));
      await raw.next((p) => p.cmd === 'puback');
    }
    const queue = c.system.stores.alerts
      .list({ kind: 'service', status: 'open' })
      .sort((a, b) => a.openedAt - b.openedAt || a.id - b.id)
      .map((a) => a.householdId);
    expect(queue).toEqual(others.map((d) => d.householdId));
    // Claimed: no reminder for that one.
    const claimed = c.system.stores.alerts.list({ householdId: others[1]?.householdId ?? 0 })[0];
    expect(c.system.commandAlert(claimed?.id ?? 0, { type: 'acknowledge', by: '李志愿' }).ok).toBe(true);
    // 09:00 + 4 h of daytime = 13:00 the same day.
    c.clock.ms = T0 + 4 * 3600_000 - 1000;
    expect(c.system.sweepNow().alerts).toBe(0);
    c.clock.ms = T0 + 4 * 3600_000 + 2000;
    expect(c.system.sweepNow().alerts).toBe(2);
    await c.system.deliverNow();
    const reminders = messages(c).filter((m) => m.event === 'alert.reminder');
    expect(reminders).toHaveLength(2);
    expect(reminders.every((m) => m.recipients.map((r) => r.name).join() === '王网格')).toBe(true);
  });
});

describe('silence raises an alarm', () => {
  it('when a household is silent past 24 h + 2 h, then exactly one missed check-in alert opens, and a blue press clears it', async () => {
    const c = await community();
    c.clock.ms = T0 + 26 * 3600_000 - 1;
    expect(c.system.sweepNow().checkIns).toBe(0);
    c.clock.ms = T0 + 26 * 3600_000;
    expect(c.system.sweepNow().checkIns).toBe(1);
    c.clock.ms += 60_000;
    expect(c.system.sweepNow().checkIns).toBe(0);
    const missed = c.system.stores.alerts.list({ householdId: c.household.id, kind: 'missed_checkin' });
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ status: 'open' });

    const { raw } = await RawMqtt.connect(portOf(c.system), {
      clientId: c.device.id,
      username: c.device.id,
      password: c.device.secret,
    });
    raw.send(raw.publish(`ribbon/${c.device.id}/state`, 'blue', 1));
    await raw.next((p) => p.cmd === 'puback');
    expect(c.system.stores.alerts.get(missed[0]?.id ?? 0)).toMatchObject({ status: 'resolved', resolvedBy: 'system' });
    // The next due is counted from the blue press.
    expect(c.system.stores.places.schedule(c.household.id)?.checkInDueAt).toBe(c.clock.ms + 26 * 3600_000);
  });

  it('when a heartbeat is all that arrives, then it is not a check-in: the alarm still comes', async () => {
    const c = await community();
    const { raw } = await RawMqtt.connect(portOf(c.system), {
      clientId: c.device.id,
      username: c.device.id,
      password: c.device.secret,
    });
    c.clock.ms = T0 + 25 * 3600_000;
    raw.send(raw.publish(`ribbon/${c.device.id}/heartbeat`, '{"battery":80}', 1));
    await raw.next((p) => p.cmd === 'puback');
    c.clock.ms = T0 + 26 * 3600_000;
    expect(c.system.sweepNow().checkIns).toBe(1);
  });

  it('when the household is away, then no alarm fires until the day after; quiet hours hold it until they end', async () => {
    const c = await community();
    const { places } = c.system.stores;
    // Away until 2026-11-26 (local): the 26 h due (11-26 11:00) moves to 11-27 00:00 + 2 h grace,
    // which falls in quiet hours 22:00–07:00, so it waits until 07:00.
    places.setSchedule(
      c.household.id,
      {
        policy: null,
        quietHours: { start: '22:00', end: '07:00' },
        awayUntil: '2026-11-26',
        timezone: 'Asia/Shanghai',
      },
      null,
    );
    const { checkInDueAt } = await import('../../../server/app/check-ins.js');
    const stored = places.schedule(c.household.id);
    if (stored === null) throw new Error('no schedule');
    places.setCheckInDue(c.household.id, checkInDueAt(stored, null, T0));
    c.clock.ms = T0 + 26 * 3600_000;
    expect(c.system.sweepNow().checkIns).toBe(0);
    c.clock.ms = Date.parse('2026-11-27T06:59:59+08:00');
    expect(c.system.sweepNow().checkIns).toBe(0);
    c.clock.ms = Date.parse('2026-11-27T07:00:00+08:00');
    expect(c.system.sweepNow().checkIns).toBe(1);
  });
});

describe('device health', () => {
  it('when a device dies and stays gone, then it is offline with a device alert after the grace; when it is back, the alert clears', async () => {
    const c = await community();
    const button = await connectDevice({
      url: c.system.mqttUrl,
      id: c.device.id,
      secret: c.device.secret,
      reconnectPeriodMs: 100,
    });
    await expect.poll(() => c.system.stores.devices.get(c.device.id)?.online, { timeout: 3000 }).toBe(true);
    await button.kill();
    await expect.poll(() => c.system.stores.devices.get(c.device.id)?.online, { timeout: 3000 }).toBe(false);
    expect(c.system.sweepNow().devices).toBe(0);
    c.clock.ms += 5 * 60_000;
    expect(c.system.sweepNow().devices).toBe(1);
    expect(c.system.stores.alerts.list({ householdId: c.household.id, kind: 'device' })).toMatchObject([
      { status: 'open', reason: 'offline' },
    ]);
    const again = await connectDevice({
      url: c.system.mqttUrl,
      id: c.device.id,
      secret: c.device.secret,
      reconnectPeriodMs: 100,
    });
    onTestFinished(() => again.close());
    await expect
      .poll(() => c.system.stores.alerts.list({ householdId: c.household.id, kind: 'device' })[0]?.status, {
        timeout: 3000,
      })
      .toBe('resolved');
  });

  it('when the battery drops under 20 %, then a device alert opens; a replaced battery clears it', async () => {
    const c = await community();
    const { raw } = await RawMqtt.connect(portOf(c.system), {
      clientId: c.device.id,
      username: c.device.id,
      password: c.device.secret,
    });
    raw.send(raw.publish(`ribbon/${c.device.id}/heartbeat`, '{"battery":19}', 1));
    await raw.next((p) => p.cmd === 'puback' && p.messageId === 1);
    expect(c.system.stores.alerts.list({ householdId: c.household.id, kind: 'device' })).toMatchObject([
      { status: 'open', reason: 'low_battery' },
    ]);
    raw.send(raw.publish(`ribbon/${c.device.id}/heartbeat`, '{"battery":100}', 2));
    await raw.next((p) => p.cmd === 'puback' && p.messageId === 2);
    expect(c.system.stores.alerts.list({ householdId: c.household.id, kind: 'device' })).toMatchObject([
      { status: 'resolved' },
    ]);
  });
});

describe('the scheduler and the outbox, on real time', () => {
  it('when a red press arrives with the scheduler running, then the webhook receiver and the button both hear of it, and tier 2 comes on its own', async () => {
    const c = await community({ clock: new ManualClock(Date.now()), scheduler: true });
    const button = await connectDevice({
      url: c.system.mqttUrl,
      id: c.device.id,
      secret: c.device.secret,
      boot: 1,
      reconnectPeriodMs: 100,
    });
    onTestFinished(() => button.close());
    const { seq } = await button.press('red');
    await button.waitForAck({ seq, status: 'received' }, 5000);
    await c.receiver.waitFor(1, 5000);
    expect(messages(c)[0]).toMatchObject({
      event: 'alert.opened',
      household: { name: '张桂兰', compound: '阳光小区', building: '3号楼', room: '201' },
    });
    expect(messages(c)[0]?.title).toContain('红');
    // The node-cron sweep (every second) escalates once the clock says 60 s have passed.
    c.clock.ms += 60_000;
    await c.receiver.waitFor(2, 5000);
    expect(messages(c)[1]).toMatchObject({ event: 'alert.escalated', alert: { tier: 2 } });
  });
});

describe('the in-process change stream (for the live hub)', () => {
  it("when a press is stored and the alert escalates, then subscribers see the report and each alert change, after the commit (only the red's receipt comes before it)", async () => {
    const c = await community();
    const seen: Array<{ type: string; committed: boolean; detail: string }> = [];
    const unsubscribe = c.system.changes.subscribe((change) => {
      // Emitted after the commit: what the listener is told is already on disk.
      const committed =
        change.type === 'alert'
          ? c.system.stores.alerts.get(change.alertId)?.level === change.level
          : c.system.stores.events.listForHousehold(change.householdId).length > 0;
      seen.push({
        type: change.type,
        committed,
        detail:
          change.type === 'alert'
            ? `${change.kind}:${change.status}:${change.level}:${change.opened}`
            : change.type === 'report'
              ? change.state
              : change.type === 'receipt'
                ? change.status
                : 'device',
      });
    });
    onTestFinished(unsubscribe);
    await pressRed(c);
    c.clock.ms = T0 + 60_000;
    c.system.sweepNow();
    const relevant = seen.filter((s) => s.type !== 'device');
    expect(relevant).toEqual([
      // The one change told before its commit (server/app/changes.ts): nothing is on disk yet.
      { type: 'receipt', committed: false, detail: 'recording' },
      { type: 'report', committed: true, detail: 'red' },
      { type: 'alert', committed: true, detail: 'emergency:open:1:true' },
      { type: 'receipt', committed: true, detail: 'recorded' },
      { type: 'alert', committed: true, detail: 'emergency:open:2:false' },
    ]);
  });
});

describe('the sweep and the outbox when something goes wrong', () => {
  it('when one due row throws, then it is logged and its due time moves on, and the other rows still go through', async () => {
    const c = await community();
    const other = c.system.provision({ building: '3号楼' });
    for (const d of [c.device, other]) {
      const { raw } = await RawMqtt.connect(portOf(c.system), { clientId: d.id, username: d.id, password: d.secret });
      raw.send(raw.publish(`ribbon/${d.id}/state`, 'yellow', 1));
      await raw.next((p) => p.cmd === 'puback');
    }
    // Bad data for one household: a time zone no one knows makes its daytime step throw.
    c.system.stores.db.prepare("UPDATE households SET timezone = 'Mars/Olympus_Mons' WHERE id = ?").run(c.household.id);
    c.clock.ms = T0 + 5 * 3600_000;
    const result = c.system.sweepNow();
    // Its service reminder and its silent device (5 h without a heartbeat: past 1 h + 5 min) both fail; the other
    // household's reminder and device alert go through.
    expect(result).toMatchObject({ alerts: 1, devices: 1, failed: 2 });
    const broken = c.system.stores.alerts.list({ householdId: c.household.id, kind: 'service' })[0];
    expect(broken?.dueAt).toBe(c.clock.ms + 60_000);
    expect(c.system.stores.alerts.list({ householdId: other.householdId, kind: 'service' })[0]?.level).toBe(2);
    expect(c.system.logs.find((l) => /sweep step failed/.test(l.msg))).toMatchObject({ what: 'alert', id: broken?.id });
    // The next second it is not retried; a minute later it is.
    c.clock.ms += 1000;
    expect(c.system.sweepNow()).toMatchObject({ alerts: 0, failed: 0 });
    c.clock.ms += 60_000;
    expect(c.system.sweepNow()).toMatchObject({ failed: 2 });
  });

  it('when a channel refuses a notification for good, then the row is failed and /metrics shows it', async () => {
    const c = await community();
    c.receiver.setStatus(() => 403);
    await pressRed(c);
    await c.receiver.waitFor(1);
    await expect.poll(() => webhookRows(c)[0]?.status, { timeout: 3000 }).toBe('failed');
    const metrics = await (await fetch(`${c.system.httpUrl}/metrics`)).text();
    expect(metrics).toContain('ribbon_notifications{target="channel",status="failed"} 1');
    expect(c.system.logs.find((l) => /notification failed for good/.test(l.msg))).toBeDefined();
  });

  it('when a channel fails for a while, then the row is retried with backoff until it goes out', async () => {
    const c = await community();
    let calls = 0;
    c.receiver.setStatus(() => (++calls <= 2 ? 503 : 200));
    await pressRed(c);
    await c.receiver.waitFor(1);
    for (let attempt = 2; attempt <= 3; attempt++) {
      const row = () => webhookRows(c)[0];
      await expect.poll(() => row()?.lastError ?? null, { timeout: 3000 }).toMatch(/503/);
      // Jump the manual clock past the backoff (at most 2^(attempt-1) × 2 s), then deliver.
      c.clock.ms = (row()?.nextAttemptAt ?? 0) + 1;
      await c.system.deliverNow();
      expect(c.receiver.received).toHaveLength(attempt);
    }
    expect(webhookRows(c)[0]).toMatchObject({ status: 'sent', attempts: 3 });
  });
});
