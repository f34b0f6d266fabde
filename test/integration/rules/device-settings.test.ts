import type { Packet } from 'mqtt-packet';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import type { HeartbeatTimers } from '../../../device-sim/device-heartbeat.js';
import { castWorld, client, expectError, login, loginAdmin } from '../../helpers/api.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import type { TestSystem } from '../../helpers/system.js';

// Device settings (issue 16.3; docs/rules.md "Device settings", docs/protocol.md): the whole
// system on a manual clock, real MQTT over loopback, a real SQLite file, HTTP through inject().

const T0 = Date.parse('2026-11-25T10:00:00+08:00');

function portOf(system: TestSystem): number {
  if (system.mqttAddress === null) throw new Error('no embedded broker');
  return system.mqttAddress.port;
}

async function world() {
  const w = await castWorld(T0, { phones: false });
  const admin = client(w.system.app, await loginAdmin(w.system.app));
  const staffB = client(w.system.app, await login(w.system.app, w.cast.users.staffB.username));
  const A = w.cast.compoundA.id;
  const B = w.cast.compoundB.id;
  return { ...w, admin, staffB, A, B };
}

function subscribe(topic: string, messageId: number): Packet {
  return { cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 1 }] } as Packet;
}

/** A test's own clock for a simulated device's heartbeat timer: it records each timer and fires it on demand. */
function fakeTimers() {
  const armed: Array<{ fn: () => void; ms: number; live: boolean }> = [];
  const timers: HeartbeatTimers = {
    set(fn, ms) {
      const t = { fn, ms, live: true };
      armed.push(t);
      return t;
    },
    clear(handle) {
      (handle as { live: boolean }).live = false;
    },
  };
  const live = () => armed.filter((t) => t.live);
  return {
    timers,
    /** The delay of the one timer that is armed now. */
    armedMs: () => live().map((t) => t.ms),
    fire() {
      const [t] = live();
      if (t === undefined) throw new Error('no heartbeat timer armed');
      t.live = false;
      t.fn();
    },
  };
}

describe('the offline sweep with device settings', () => {
  it('when a compound has heartbeat 120 s + grace 60 s, then its silent device is offline with a device alert after 180 s, while a device elsewhere on the default is not', async () => {
    const w = await world();
    const put = await w.staff('PUT', '/api/device-settings', {
      compoundId: w.A,
      model: null,
      heartbeatSec: 120,
      graceSec: 60,
    });
    expect(put.statusCode, put.body).toBe(200);
    const near = w.system.provision({ compound: '阳光小区', building: '2号楼' });
    const far = w.system.provision({ compound: '幸福里', building: '8号楼' });
    for (const d of [near, far]) {
      const { connack } = await RawMqtt.connect(portOf(w.system), {
        clientId: d.id,
        username: d.id,
        password: d.secret,
      });
      expect(connack.returnCode).toBe(0);
    }
    await expect
      .poll(() => [near, far].map((d) => w.system.stores.devices.get(d.id)?.online), { timeout: 3000 })
      .toEqual([true, true]);
    const deviceAlerts = (householdId: number) =>
      w.system.stores.alerts.list({ householdId, kind: 'device' }).map((a) => [a.status, a.reason]);

    w.clock.ms = T0 + 180_000 - 1;
    expect(w.system.sweepNow().devices).toBe(0);
    w.clock.ms = T0 + 180_000;
    expect(w.system.sweepNow().devices).toBe(1);
    expect(deviceAlerts(near.householdId)).toEqual([['open', 'offline']]);
    expect(deviceAlerts(far.householdId)).toEqual([]);
    // The default (an hour and 5 minutes): the far device is still fine after an hour.
    w.clock.ms = T0 + 3600_000 + 300_000 - 1;
    expect(w.system.sweepNow().devices).toBe(0);
    expect(deviceAlerts(far.householdId)).toEqual([]);
  });
});

describe('a connected device is told its interval', () => {
  it('when a simulated device connects, then it receives its interval on ribbon/{id}/config and heartbeats at it; after a change through the API it gets the new one at once', async () => {
    const w = await world();
    await w.staff('PUT', '/api/device-settings', { compoundId: w.A, model: null, heartbeatSec: 120, graceSec: 60 });
    const creds = w.system.provision({ compound: '阳光小区', building: '2号楼' });
    const clock = fakeTimers();
    const button = await connectDevice({
      url: w.system.mqttUrl,
      id: creds.id,
      secret: creds.secret,
      autoHeartbeat: { battery: 77, model: 'RB-3', timers: clock.timers },
    });
    onTestFinished(() => button.close());
    // Told on connect (once, though the broker's own online record and the device's flag both come).
    await expect.poll(() => button.configs.length, { timeout: 3000 }).toBeGreaterThan(0);
    expect(new Set(button.configs.map((c) => c.heartbeatSec))).toEqual(new Set([120]));
    expect(button.heartbeatSec).toBe(120);
    expect(clock.armedMs()).toEqual([120_000]);

    // Its timer fires (the fake clock): a heartbeat goes out and the server records it.
    const beat = new Promise<void>((resolve) => button.on('heartbeat', resolve));
    clock.fire();
    await beat;
    const recorded = w.system.stores.devices.get(creds.id);
    expect([recorded?.battery, recorded?.model]).toEqual([77, 'RB-3']);
    expect(clock.armedMs()).toEqual([120_000]);

    // The compound's staff lengthen it: the device is told at once and its timer follows.
    const put = await w.staff('PUT', '/api/device-settings', {
      compoundId: w.A,
      model: null,
      heartbeatSec: 900,
      graceSec: 60,
    });
    expect(put.json()).toMatchObject({ heartbeatSec: 900, graceSec: 60, devicesTold: 2, updatedBy: 'staff-a' });
    await expect.poll(() => button.configs.at(-1), { timeout: 3000 }).toEqual({ heartbeatSec: 900 });
    expect(clock.armedMs()).toEqual([900_000]);
    // Counted afresh from the change: not offline 180 s later.
    w.clock.ms = T0 + 10 * 60_000;
    expect(w.system.sweepNow().devices).toBe(0);

    // A model row that the compound's own row outranks changes nothing for it.
    const model = await w.admin('PUT', '/api/device-settings', {
      compoundId: null,
      model: 'RB-3',
      heartbeatSec: 300,
      graceSec: null,
    });
    expect(model.json()).toMatchObject({ devicesTold: 0 });
    // Its compound's row removed: the model row applies, and it is told so.
    expect((await w.staff('DELETE', `/api/device-settings?compoundId=${w.A}`)).statusCode).toBe(204);
    await expect.poll(() => button.configs.at(-1), { timeout: 3000 }).toEqual({ heartbeatSec: 300 });
  });

  it('when a connected device is told a new interval and acknowledges it, then it came with retain clear, and after a reconnect nothing stale is replayed and its press is acked', async () => {
    const w = await world();
    const creds = w.system.provision({ compound: '阳光小区', building: '2号楼' });
    const button = await connectDevice({
      url: w.system.mqttUrl,
      id: creds.id,
      secret: creds.secret,
      reconnectPeriodMs: 50,
    });
    onTestFinished(() => button.kill());
    const received: Array<{ retain: boolean; heartbeatSec: number }> = [];
    button.client.on('packetreceive', (p) => {
      if (p.cmd === 'publish' && p.topic === `ribbon/${creds.id}/config`) {
        received.push({ retain: p.retain, heartbeatSec: JSON.parse(String(p.payload)).heartbeatSec });
      }
    });
    await expect.poll(() => button.configs.length, { timeout: 3000 }).toBeGreaterThan(0);
    await w.staff('PUT', '/api/device-settings', { compoundId: w.A, model: null, heartbeatSec: 900, graceSec: 60 });
    await expect.poll(() => received.at(-1), { timeout: 3000 }).toEqual({ retain: false, heartbeatSec: 900 });

    // The PUBACKed configs are gone from its session: a reconnect brings only the one in force.
    const before = received.length;
    const reconnected = new Promise<void>((resolve) => button.on('connect', resolve));
    button.dropConnection();
    await reconnected;
    expect(await button.press('blue')).toMatchObject({ seq: 1 });
    await button.waitForAck({ seq: 1, status: 'received' }, 3000);
    expect(received.slice(before).every((c) => c.heartbeatSec === 900)).toBe(true);
    expect(button.configs.at(-1)).toEqual({ heartbeatSec: 900 });
  });

  it("when a bare client connects, then it may subscribe to its own config topic and gets its interval there, retained; another device's config is refused", async () => {
    const w = await world();
    const creds = w.system.provision({ compound: '幸福里', building: '8号楼' });
    const { raw } = await RawMqtt.connect(portOf(w.system), {
      clientId: creds.id,
      username: creds.id,
      password: creds.secret,
    });
    raw.send(subscribe(`ribbon/${creds.id}/config`, 1));
    const suback = await raw.next((p) => p.cmd === 'suback');
    expect((suback as unknown as { granted: number[] }).granted).toEqual([1]);
    const configs = () => raw.packets.filter((p) => p.cmd === 'publish' && p.topic === `ribbon/${creds.id}/config`);
    await raw.next((p) => p.cmd === 'publish' && p.topic === `ribbon/${creds.id}/config`);
    // Retained: subscribing again brings it again, flagged as retained [MQTT-3.3.1-8].
    const before = configs().length;
    raw.send(subscribe(`ribbon/${creds.id}/config`, 3));
    await raw.next((p) => p.cmd === 'suback' && p.messageId === 3);
    await expect.poll(() => configs().length, { timeout: 3000 }).toBeGreaterThan(before);
    const config = configs().at(-1) as Packet & { payload: Buffer };
    expect(config).toMatchObject({ retain: true, qos: 1 });
    expect(JSON.parse(String(config.payload))).toEqual({ heartbeatSec: 3600 });
    // Another device's config is refused (SUBACK 0x80).
    raw.send(subscribe('ribbon/rp-other-device/config', 2));
    const refused = await raw.next((p) => p.cmd === 'suback' && p.messageId === 2);
    expect((refused as unknown as { granted: number[] }).granted).toEqual([128]);
  });
});

describe('the API: scope and bounds', () => {
  it('when staff set another compound, a model-wide or the default row, then 403; out of bounds, then 400 in Chinese first', async () => {
    const w = await world();
    const body = (over: Record<string, unknown>) => ({
      compoundId: w.A,
      model: null,
      heartbeatSec: 600,
      graceSec: 120,
      ...over,
    });
    expect(expectError(await w.staff('PUT', '/api/device-settings', body({ compoundId: w.B })), 403).message).toMatch(
      /^不在您的管辖范围/,
    );
    expect(
      expectError(await w.staff('PUT', '/api/device-settings', body({ compoundId: null, model: 'RB-3' })), 403).message,
    ).toMatch(/^按型号或全局的默认设置只能由管理员修改/);
    expectError(await w.staff('PUT', '/api/device-settings', body({ compoundId: null })), 403);
    expectError(await w.volunteer('PUT', '/api/device-settings', body({})), 403);
    const low = expectError(await w.staff('PUT', '/api/device-settings', body({ heartbeatSec: 59 })), 400);
    expect(low.message).toMatch(/^心跳间隔须为 60–86400 秒/);
    expect(low.fields).toEqual([{ path: 'body.heartbeatSec', message: expect.stringContaining('heartbeatSec') }]);
    expect(expectError(await w.staff('PUT', '/api/device-settings', body({ graceSec: 3601 })), 400).message).toMatch(
      /^离线宽限须为 60–3600 秒/,
    );
    expectError(await w.staff('PUT', '/api/device-settings', body({ heartbeatSec: null, graceSec: null })), 400);
    // Nothing was stored by the refusals.
    expect(w.system.stores.deviceSettings.list(null)).toEqual([]);

    // Within scope and bounds: stored, listed to its compound's staff, not to the other's.
    expect((await w.staff('PUT', '/api/device-settings', body({}))).statusCode).toBe(200);
    expect((await w.admin('PUT', '/api/device-settings', body({ compoundId: null, model: 'RB-3' }))).statusCode).toBe(
      200,
    );
    const scopes = async (api: typeof w.staff) =>
      (
        (await api('GET', '/api/device-settings')).json() as {
          items: Array<{ compoundId: number | null; model: string | null; editable: boolean }>;
        }
      ).items.map((i) => [i.compoundId, i.model, i.editable]);
    expect(await scopes(w.staff)).toEqual([
      [null, 'RB-3', false],
      [w.A, null, true],
    ]);
    expect(await scopes(w.staffB)).toEqual([[null, 'RB-3', false]]);
    expectError(await w.staffB('DELETE', `/api/device-settings?compoundId=${w.A}`), 403);
    expect((await w.staff('GET', `/api/device-settings/effective?compoundId=${w.A}&model=RB-3`)).json()).toEqual({
      heartbeatSec: 600,
      graceSec: 120,
      from: { heartbeatSec: 'compound', graceSec: 'compound' },
    });
    // Audited, with what changed.
    const audited = w.system.stores.db
      .prepare("SELECT username, record FROM audit_log WHERE record LIKE 'device-settings:%' ORDER BY id")
      .all();
    expect(audited).toEqual([
      { username: 'staff-a', record: `device-settings:compound ${w.A}: heartbeat 600 s, grace 120 s` },
      { username: 'admin', record: 'device-settings:model RB-3: heartbeat 600 s, grace 120 s' },
    ]);
  });
});
