import type { Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { ManualClock } from '../../helpers/clock.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// Per-device limits on unreadable messages (issue 16): a real device over loopback MQTT, a real
// SQLite file. The rejected log keeps the first ones whole; the rest are only counted.

const HOUR = 3_600_000;

async function rawDevice(system: TestSystem) {
  if (system.mqttAddress === null) throw new Error('no embedded broker');
  const creds = system.provision();
  const { raw } = await RawMqtt.connect(system.mqttAddress.port, {
    clientId: creds.id,
    username: creds.id,
    password: creds.secret,
  });
  return { ...creds, raw };
}

/** The i-th junk message (1-based) of a device: bad JSON, bad fields, a large payload within the cap, junk on each channel. */
function junk(id: string, i: number): { topic: string; payload: string } {
  switch (i % 5) {
    case 0:
      return { topic: `ribbon/${id}/state`, payload: `{"state":"red"${i}` };
    case 1:
      return { topic: `ribbon/${id}/state`, payload: JSON.stringify({ state: 'purple', n: i }) };
    case 2:
      return { topic: `ribbon/${id}/heartbeat`, payload: JSON.stringify({ battery: 'full', n: i }) };
    case 3:
      return { topic: `ribbon/${id}/online`, payload: `yes ${i}` };
    default:
      // Large, but within the 4096-byte packet cap: it reaches ingest.
      return { topic: `ribbon/${id}/state`, payload: JSON.stringify({ state: 'gray', n: i, pad: 'x'.repeat(3000) }) };
  }
}

/** Publishes the packets in a few TCP writes; resolves with the PUBACKs' message ids once the last one came. */
async function publishAll(raw: RawMqtt, packets: Packet[]): Promise<number[]> {
  for (let i = 0; i < packets.length; i += 250) raw.send(...packets.slice(i, i + 250));
  const last = packets.at(-1) as Packet & { messageId: number };
  await raw.next((p) => p.cmd === 'puback' && p.messageId === last.messageId, 30_000);
  return raw.packets.flatMap((p) => (p.cmd === 'puback' ? [p.messageId as number] : []));
}

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe('per-device limits on unreadable messages', () => {
  it('when a device sends 2,000 unreadable messages with a red press among them, then only the first 20 are kept, all are counted, one device alert carries the count, and the red is stored and PUBACKed', async () => {
    const clock = new ManualClock(Date.parse('2026-12-03T08:00:00Z'));
    const system = await startTestSystem({
      clock,
      env: { REJECTED_KEEP_PER_DEVICE: '20', REJECTED_WINDOW_SEC: '3600' },
    });
    const d = await rawDevice(system);
    const packets: Packet[] = [];
    const sentJunk: string[] = [];
    for (let i = 1; i <= 2001; i++) {
      if (i === 1001) {
        packets.push(d.raw.publish(`ribbon/${d.id}/state`, '{"state":"red","seq":1,"boot":1}', i));
        continue;
      }
      const j = junk(d.id, i);
      sentJunk.push(j.payload);
      packets.push(d.raw.publish(j.topic, j.payload, i));
    }
    const acked = await publishAll(d.raw, packets);
    // Every message PUBACKed, in arrival order (MQTT-4.6.0-2); the connection stays open.
    expect(acked).toEqual(packets.map((p) => (p as { messageId: number }).messageId));
    expect(d.raw.isClosed).toBe(false);

    // The rejected log holds the first 20 whole, nothing more.
    const kept = system.stores.rejected.listForDevice(d.id);
    expect(kept.map((r) => r.payload.toString())).toEqual(sentJunk.slice(0, 20));
    expect(system.stores.rejected.tally(d.id)).toMatchObject({
      since: clock.ms,
      total: 2000,
      counted: 1980,
      keptInWindow: 20,
    });

    // The red in the middle is a press like any other.
    expect(system.stores.events.listForDevice(d.id).map((e) => e.state)).toEqual(['red']);
    const alerts = system.stores.alerts.list({ householdId: d.householdId });
    expect(alerts.filter((a) => a.kind === 'emergency')).toHaveLength(1);

    // Exactly one device alert, carrying the count.
    const device = alerts.filter((a) => a.kind === 'device');
    expect(device).toHaveLength(1);
    expect(device[0]).toMatchObject({ status: 'open', reportCount: 2000 });
    expect(device[0]?.reason).toContain('共 2000 条');
    expect(device[0]?.reason).toContain(`device ${d.id} sent 2000 unreadable messages since 2026-12-03T08:00:00.000Z`);

    // Logged: each kept one, and once for the rest.
    const lines = system.logs.lines.filter((l) => l.deviceId === d.id);
    expect(lines.filter((l) => /rejected log/.test(l.msg))).toHaveLength(20);
    expect(lines.filter((l) => /over its limit/.test(l.msg))).toHaveLength(1);

    const text = await (await fetch(`${system.httpUrl}/metrics`)).text();
    expect(metric(text, 'ribbon_unreadable_messages_total{outcome="kept"}')).toBe(20);
    expect(metric(text, 'ribbon_unreadable_messages_total{outcome="counted"}')).toBe(1980);

    // An hour later a new window: the next one is kept again and joins the same alert.
    clock.ms += HOUR;
    const next = junk(d.id, 5000);
    d.raw.send(d.raw.publish(next.topic, next.payload, 3000));
    await d.raw.next((p) => p.cmd === 'puback' && p.messageId === 3000);
    expect(system.stores.rejected.listForDevice(d.id)).toHaveLength(21);
    expect(system.stores.rejected.tally(d.id)).toMatchObject({ total: 2001, counted: 1980, keptInWindow: 1 });
    expect(system.stores.alerts.list({ householdId: d.householdId, kind: 'device' })).toMatchObject([
      { status: 'open', reportCount: 2001 },
    ]);
  });

  it('when a person resolves the device alert and the device goes on past its limit, then a new episode opens one new alert with the count', async () => {
    const system = await startTestSystem({ env: { REJECTED_KEEP_PER_DEVICE: '3' } });
    const d = await rawDevice(system);
    await publishAll(
      d.raw,
      Array.from({ length: 10 }, (_, k) => d.raw.publish(`ribbon/${d.id}/state`, `junk ${k}`, k + 1)),
    );
    const [first] = system.stores.alerts.list({ householdId: d.householdId, kind: 'device' });
    expect(first).toMatchObject({ status: 'open', reportCount: 10 });
    expect(
      system.commandAlert(first?.id ?? 0, { type: 'resolve', by: '王网格', note: '已更换按钮 / button replaced' }),
    ).toMatchObject({ ok: true });
    await publishAll(
      d.raw,
      Array.from({ length: 5 }, (_, k) => d.raw.publish(`ribbon/${d.id}/state`, `junk ${k}`, k + 11)),
    );
    const after = system.stores.alerts.list({ householdId: d.householdId, kind: 'device' });
    expect(after.map((a) => a.status).sort()).toEqual(['open', 'resolved']);
    const reopened = after.find((a) => a.status === 'open');
    expect(reopened).toMatchObject({ reportCount: 5 });
    expect(reopened?.reason).toContain(`device ${d.id} sent 15 unreadable messages`);
    expect(system.stores.rejected.listForDevice(d.id)).toHaveLength(3);
  });

  it('when devices together keep more rows than REJECTED_MAX_ROWS, then the oldest rows are dropped first and the log stays within the bound', async () => {
    const system = await startTestSystem({ env: { REJECTED_KEEP_PER_DEVICE: '60', REJECTED_MAX_ROWS: '100' } });
    const a = await rawDevice(system);
    const b = await rawDevice(system);
    const send = (d: typeof a) =>
      publishAll(
        d.raw,
        Array.from({ length: 60 }, (_, k) => d.raw.publish(`ribbon/${d.id}/state`, `${d.id} junk ${k + 1}`, k + 1)),
      );
    await send(a);
    expect(system.stores.rejected.count()).toBe(60);
    await send(b);
    expect(system.stores.rejected.count()).toBe(100);
    // a's first 20 went; a's last 40 and all of b's stay.
    expect(system.stores.rejected.listForDevice(a.id).map((r) => r.payload.toString())).toEqual(
      Array.from({ length: 40 }, (_, k) => `${a.id} junk ${k + 21}`),
    );
    expect(system.stores.rejected.listForDevice(b.id)).toHaveLength(60);
    const text = await (await fetch(`${system.httpUrl}/metrics`)).text();
    expect(metric(text, 'ribbon_rejected_dropped_total')).toBe(20);
  });
});
