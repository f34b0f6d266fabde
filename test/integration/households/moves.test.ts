import { describe, expect, it } from 'vitest';
import { castWorld, client, COMPOUND_A, loginAdmin } from '../../helpers/api.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import type { TestSystem } from '../../helpers/system.js';

// The address rule over HTTP, households moved to another building and devices to another
// household, the devices list, and where a button connects (issue 15). A real SQLite file, a
// real MQTT socket, app.inject() for HTTP.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');

type Conflict = { error: { code: string; message: string; details?: unknown } };

function connect(system: TestSystem, device: { id: string; secret: string }) {
  if (system.mqttAddress === null) throw new Error('no broker');
  return RawMqtt.connect(system.mqttAddress.port, {
    clientId: device.id,
    username: device.id,
    password: device.secret,
  });
}

describe('addresses, moves and devices', () => {
  it('when a household is registered at an address already taken, then 409 names the household (zh+en, details); a closed one frees it', async () => {
    const { staff } = await castWorld(T0);
    const body = { name: '张三', compound: COMPOUND_A, building: '3号楼', room: '201' };
    const first = await staff('POST', '/api/households', body);
    expect(first.statusCode, first.body).toBe(201);
    const id = (first.json() as { id: number }).id;
    const again = await staff('POST', '/api/households', { ...body, name: '张四', room: ' 201' });
    expect(again.statusCode).toBe(409);
    const error = (again.json() as Conflict).error;
    expect(error).toMatchObject({ code: 'RIBBON_ERR_CONFLICT', details: [{ householdId: id }] });
    expect(error.message).toMatch(new RegExp(`该地址.*#${id} 张三.*/ .*#${id} 张三`));
    // Renaming another household into that room is refused likewise.
    const other = (await staff('POST', '/api/households', { ...body, room: '202' })).json() as { id: number };
    expect((await staff('PATCH', `/api/households/${other.id}`, { room: '201' })).statusCode).toBe(409);
    expect(
      (await staff('POST', `/api/households/${id}/close`, { reason: 'moved_out', on: '2026-11-25' })).statusCode,
    ).toBe(200);
    expect((await staff('POST', '/api/households', { ...body, name: '新住户' })).statusCode).toBe(201);
  });

  it('when a household moves to another building, then it is there (a new building made), and a taken address there is refused', async () => {
    const { staff, system } = await castWorld(T0);
    const a = (
      await staff('POST', '/api/households', { name: '甲', compound: COMPOUND_A, building: '3号楼', room: '101' })
    ).json() as { id: number };
    const b = (
      await staff('POST', '/api/households', { name: '乙', compound: COMPOUND_A, building: '4号楼', room: '101' })
    ).json() as { id: number };
    const refused = await staff('PATCH', `/api/households/${a.id}`, { building: '4号楼' });
    expect(refused.statusCode).toBe(409);
    expect((refused.json() as Conflict).error.details).toEqual([{ householdId: b.id }]);
    const moved = await staff('PATCH', `/api/households/${a.id}`, { building: '新5号楼', name: '甲甲' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ building: '新5号楼', name: '甲甲', compound: COMPOUND_A });
    expect(system.stores.places.listBuildings().some((x) => x.name === '新5号楼')).toBe(true);
  });

  it('when a device moves to another household, then its connection is closed and its next press lands on the new household', async () => {
    const { system, staff } = await castWorld(T0);
    const device = system.provision({ compound: COMPOUND_A, room: '701' });
    const target = system.provision({ compound: COMPOUND_A, room: '702' }).householdId;
    const { raw } = await connect(system, device);
    const res = await staff('PATCH', `/api/devices/${device.id}`, { householdId: target });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: device.id, householdId: target, retiredAt: null });
    await raw.expectClosed(2000);
    const again = await connect(system, device);
    expect(again.connack.returnCode).toBe(0);
    again.raw.send(again.raw.publish(`ribbon/${device.id}/state`, '{"state":"red","seq":1,"boot":9}', 1));
    await again.raw.next((p) => p.cmd === 'puback' && p.messageId === 1);
    again.raw.socket.destroy();
    expect(system.stores.alerts.findOpen(target, 'emergency')).not.toBeNull();
    expect(system.stores.alerts.findOpen(device.householdId, 'emergency')).toBeNull();
    expect(system.stores.events.listForHousehold(target).map((e) => e.deviceId)).toEqual([device.id]);
    // Staff of another compound cannot take it.
    expect((await staff('PATCH', `/api/devices/${device.id}`, { householdId: 999_999 })).statusCode).toBe(404);
  });

  it('when devices are provisioned, listed and rotated, then each answer says where to connect, and the list pages and filters', async () => {
    const { system, staff, outsider, cast } = await castWorld(T0);
    const made = await staff(
      'POST',
      '/api/devices',
      { householdId: cast.householdA },
      { host: 'ribbon.example.cn:8080' },
    );
    expect(made.statusCode, made.body).toBe(201);
    const device = made.json() as { id: string; secret: string; connect: unknown };
    // The request's host name (no PUBLIC_MQTT_HOST here) and MQTT_PORT (0 in tests: any free port).
    expect(device.connect).toEqual({ host: 'ribbon.example.cn', port: 0, tls: false });
    const rotated = await staff('POST', `/api/devices/${device.id}/rotate`, undefined, { host: 'ribbon.example.cn' });
    expect(rotated.json()).toMatchObject({ id: device.id, connect: { host: 'ribbon.example.cn', tls: false } });
    const mine = (await staff('GET', `/api/devices?householdId=${cast.householdA}&limit=1`)).json() as {
      items: Array<{ id: string; householdId: number; createdAt: string; retiredAt: null }>;
      next: string | null;
    };
    expect(mine.items).toHaveLength(1);
    expect(mine.next).not.toBeNull();
    const rest = (await staff('GET', `/api/devices?householdId=${cast.householdA}&cursor=${mine.next}`)).json() as {
      items: Array<{ id: string }>;
    };
    expect([...mine.items, ...rest.items].map((d) => d.id)).toContain(device.id);
    expect((await staff('DELETE', `/api/devices/${device.id}`)).statusCode).toBe(204);
    const retired = (await staff('GET', '/api/devices?retired=true')).json() as {
      items: Array<{ id: string; retiredAt: string }>;
    };
    expect(retired.items.map((d) => d.id)).toEqual([device.id]);
    // Another compound's staff see none of A's.
    const theirs = (await outsider('GET', `/api/devices?householdId=${cast.householdA}`)).json() as {
      items: unknown[];
    };
    expect(theirs.items).toEqual([]);
    const admin = client(system.app, await loginAdmin(system.app));
    expect(((await admin('GET', '/api/devices')).json() as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(
      2,
    );
  });
});
