import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { client, loginAdmin } from '../../helpers/api.js';
import { ManualClock } from '../../helpers/clock.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// The safety core's figures for operators (docs/ops/README.md), read from /metrics as
// Prometheus reads them, on a real system: real MQTT, a real SQLite file, the HTTP API.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');

/** The value of one series on /metrics (labels in the order the server writes them); undefined when absent. */
async function sample(system: TestSystem, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${system.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('person reports in ribbon_events_total', () => {
  it('when a volunteer reports a ribbon through the API, then ribbon_events_total counts it with source="person" beside the presses, and a repeated report once', async () => {
    const system = await startTestSystem();
    const creds = system.provision();
    const d = await connectDevice({ url: system.mqttUrl, id: creds.id, secret: creds.secret });
    onTestFinished(() => d.close());
    await d.press('blue');
    const api = client(system.app, await loginAdmin(system.app));
    // Before any report, its series is there at 0 (a rate over the first report is not lost).
    expect(await sample(system, 'ribbon_events_total{state="yellow",source="person"}')).toBe(0);

    const url = `/api/households/${creds.householdId}/reports`;
    expect((await api('POST', url, { state: 'yellow', note: '要买米', key: 'patrol-visit-1' })).statusCode).toBe(201);
    expect((await api('POST', url, { state: 'yellow', note: '要买米', key: 'patrol-visit-1' })).statusCode).toBe(200);
    expect((await api('POST', url, { state: 'blue' })).statusCode).toBe(201);

    expect(await sample(system, 'ribbon_events_total{state="yellow",source="person"}')).toBe(1);
    expect(await sample(system, 'ribbon_events_total{state="blue",source="person"}')).toBe(1);
    expect(await sample(system, 'ribbon_events_total{state="blue",source="device"}')).toBe(1);
  });
});

describe('emergencies, devices and sends on /metrics', () => {
  it('when a red stays unacknowledged, then ribbon_emergencies_open follows the tier it reached, and it leaves once acknowledged', async () => {
    const clock = new ManualClock(T0);
    const system = await startTestSystem({ clock, scheduler: false });
    const { householdId } = system.provision();
    system.recordPersonReport({ householdId, state: 'red', note: null, by: '李志愿', idempotencyKey: null });
    const alert = system.stores.alerts.list({ kind: 'emergency', status: 'open' })[0];
    if (alert === undefined) throw new Error('no emergency opened');

    const byTier = async () => ({
      1: await sample(system, 'ribbon_emergencies_open{tier="1"}'),
      2: await sample(system, 'ribbon_emergencies_open{tier="2"}'),
      3: await sample(system, 'ribbon_emergencies_open{tier="3"}'),
    });
    const level = () => system.stores.alerts.get(alert.id)?.level;
    const atLevel = (tier: number | undefined) => ({
      1: tier === 1 ? 1 : 0,
      2: tier === 2 ? 1 : 0,
      3: tier === 3 ? 1 : 0,
    });

    expect(await byTier()).toEqual(atLevel(level()));
    expect(await sample(system, 'ribbon_alerts_unresolved{kind="emergency",status="open"}')).toBe(1);
    clock.ms += 181_000;
    system.sweepNow();
    clock.ms += 181_000;
    system.sweepNow();
    // Past tier 2: what RibbonRedUnacknowledgedPastTier2 (docs/ops/alerts.yml) fires on.
    expect(level()).toBe(3);
    expect(await byTier()).toEqual({ 1: 0, 2: 0, 3: 1 });

    expect(system.commandAlert(alert.id, { type: 'acknowledge', by: '李志愿' })).toMatchObject({ ok: true });
    expect(await byTier()).toEqual({ 1: 0, 2: 0, 3: 0 });
    expect(await sample(system, 'ribbon_alerts_unresolved{kind="emergency",status="open"}')).toBe(0);
    expect(await sample(system, 'ribbon_alerts_unresolved{kind="emergency",status="acknowledged"}')).toBe(1);
  });

  it('when a button connects and drops, then ribbon_devices_offline counts the ones not online, and the device acks sent are counted by medium and result', async () => {
    const system = await startTestSystem({ scheduler: false });
    system.provision(); // never connected: offline
    const creds = system.provision();
    expect(await sample(system, 'ribbon_devices_offline')).toBe(2);
    const d = await connectDevice({ url: system.mqttUrl, id: creds.id, secret: creds.secret });
    await d.press('red');
    await expect.poll(() => sample(system, 'ribbon_devices_offline')).toBe(1);
    expect(await sample(system, 'ribbon_devices_online')).toBe(1);

    // Acknowledged: the device is told through the outbox, a send counted as medium="device".
    const alert = system.stores.alerts.list({ kind: 'emergency', status: 'open' })[0];
    if (alert === undefined) throw new Error('no emergency opened');
    system.commandAlert(alert.id, { type: 'acknowledge', by: '李志愿' });
    await system.deliverNow();
    expect(await sample(system, 'ribbon_notification_attempts_total{medium="device",result="sent"}')).toBeGreaterThan(
      0,
    );

    await d.close();
    await expect.poll(() => sample(system, 'ribbon_devices_offline'), { timeout: 5000 }).toBe(2);
  });
});
