import { describe, expect, it } from 'vitest';
import { connectDevice } from '../../../device-sim/device.js';
import { client, loginAdmin, loginRequest } from '../../helpers/api.js';
import { startTestSystem, tempDir, type TestSystem } from '../../helpers/system.js';

// Compounds, devices, people, users and figures through the HTTP API (app.inject, real SQLite).

async function asAdmin(system: TestSystem) {
  return client(system.app, await loginAdmin(system.app));
}

describe('community administration over HTTP', () => {
  it('when an admin registers a household and provisions its device, then the device connects with the secret shown once, and a rotated secret replaces it', async () => {
    const system = await startTestSystem();
    const api = await asAdmin(system);
    const created = await api('POST', '/api/households', {
      name: '张桂兰',
      compound: '阳光小区',
      building: '3号楼',
      room: '201',
      checkin: { deadline: '10:00' },
      contacts: [{ name: '张女儿', phone: '13900000000', relation: '女儿' }],
    });
    expect(created.statusCode).toBe(201);
    const household = created.json() as { id: number; checkin: unknown; contacts: unknown[] };
    expect(household).toMatchObject({
      checkin: { deadline: '10:00' },
      contacts: [{ name: '张女儿', phone: '13900000000', relation: '女儿' }],
    });

    const provisioned = await api('POST', '/api/devices', { householdId: household.id });
    expect(provisioned.statusCode).toBe(201);
    const device = provisioned.json() as { id: string; secret: string };
    const button = await connectDevice({
      url: system.mqttUrl,
      id: device.id,
      secret: device.secret,
      reconnectPeriodMs: 100,
    });
    await button.close();

    const rotated = (await api('POST', `/api/devices/${device.id}/rotate`)).json() as { secret: string };
    expect(rotated.secret).not.toBe(device.secret);
    await expect(
      connectDevice({ url: system.mqttUrl, id: device.id, secret: device.secret, connectTimeoutMs: 3000 }),
    ).rejects.toThrow(/refused/);
    const again = await connectDevice({
      url: system.mqttUrl,
      id: device.id,
      secret: rotated.secret,
      reconnectPeriodMs: 100,
    });
    await again.close();

    expect((await api('DELETE', `/api/devices/${device.id}`)).statusCode).toBe(204);
    await expect(
      connectDevice({ url: system.mqttUrl, id: device.id, secret: rotated.secret, connectTimeoutMs: 3000 }),
    ).rejects.toThrow(/refused/);
    expect(
      system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 100).map((a) => `${a.method} ${a.route} ${a.status}`),
    ).toEqual(
      expect.arrayContaining([
        'POST /api/devices 201',
        'POST /api/devices/:id/rotate 200',
        'DELETE /api/devices/:id 204',
      ]),
    );
  });

  it('when people, a policy and a user are added, then they are stored and validated', async () => {
    const system = await startTestSystem();
    const api = await asAdmin(system);
    const h = (
      await api('POST', '/api/households', { name: '王奶奶', compound: '幸福里', building: '1号楼', room: '101' })
    ).json() as { compoundId: number; buildingId: number };
    const person = await api('POST', '/api/people', {
      name: '李志愿',
      phone: '13800000001',
      role: 'volunteer',
      tier: 1,
      compoundId: h.compoundId,
      buildingId: h.buildingId,
    });
    expect(person.statusCode).toBe(201);
    expect(
      (
        await api('POST', '/api/people', {
          name: 'x',
          phone: null,
          role: 'boss',
          tier: 1,
          compoundId: h.compoundId,
          buildingId: null,
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await api('PATCH', `/api/compounds/${h.compoundId}`, { policy: { tier2AfterSec: 30, tier3AfterSec: 90 } })
      ).json(),
    ).toMatchObject({ policy: { tier2AfterSec: 30, tier3AfterSec: 90, acknowledgedRemindAfterSec: 2700 } });
    expect(
      (await api('PATCH', `/api/compounds/${h.compoundId}`, { policy: { tier2AfterSec: 200, tier3AfterSec: 90 } }))
        .statusCode,
    ).toBe(400);
    const user = await api('POST', '/api/users', {
      username: 'li',
      displayName: '李志愿',
      role: 'volunteer',
      password: 'a long enough password',
      compoundIds: [h.compoundId],
    });
    expect(user.statusCode).toBe(201);
    const login = await loginRequest(system.app, 'li', 'a long enough password');
    expect(login.json()).toMatchObject({ user: { role: 'volunteer', compoundIds: [h.compoundId] } });
    expect((await api('GET', '/api/compounds')).json()).toMatchObject({
      items: [{ name: '幸福里', buildings: [{ name: '1号楼' }] }],
    });
  });

  it('when emergencies were acknowledged, then the figures for the period give the shares within 60 s and 180 s', async () => {
    const system = await startTestSystem();
    const api = await asAdmin(system);
    const h = (
      await api('POST', '/api/households', { name: '赵爷爷', compound: '阳光小区', building: '2号楼', room: '301' })
    ).json() as { id: number };
    await api('POST', `/api/households/${h.id}/reports`, { state: 'red' });
    const alert = (await api('GET', '/api/alerts?kind=emergency')).json() as { items: Array<{ id: number }> };
    expect((await api('POST', `/api/alerts/${alert.items[0]?.id}/ack`, {})).statusCode).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    const figures = (await api('GET', `/api/figures?from=${today}&to=${today}&timezone=UTC`)).json() as {
      items: Array<{ emergency: { ackWithin60s: { count: number; of: number } } }>;
    };
    expect(figures.items[0]?.emergency.ackWithin60s).toMatchObject({ count: 1, of: 1 });
    expect((await api('GET', '/api/figures?from=2026-02-30&to=2026-03-01')).statusCode).toBe(400);
  });
});

describe('claiming', () => {
  it('when someone claims an emergency, then it is refused (claims are for service requests); a service request can be claimed', async () => {
    const system = await startTestSystem();
    const api = await asAdmin(system);
    const h = (
      await api('POST', '/api/households', { name: '钱奶奶', compound: '阳光小区', building: '5号楼', room: '102' })
    ).json() as { id: number };
    await api('POST', `/api/households/${h.id}/reports`, { state: 'red' });
    await api('POST', `/api/households/${h.id}/reports`, { state: 'yellow' });
    const alerts = (await api('GET', `/api/alerts?householdId=${h.id}`)).json() as {
      items: Array<{ id: number; kind: string }>;
    };
    const red = alerts.items.find((a) => a.kind === 'emergency');
    const yellow = alerts.items.find((a) => a.kind === 'service');
    const refused = await api('POST', `/api/alerts/${red?.id}/claim`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: 'RIBBON_ERR_ALERT_STATE' } });
    expect((await api('POST', `/api/alerts/${yellow?.id}/claim`)).json()).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: '管理员 admin',
    });
  });
});

describe('managing users', () => {
  it('when an admin disables a user or changes their compounds, then their session ends or their view changes at once', async () => {
    const system = await startTestSystem();
    const api = await asAdmin(system);
    const a = (
      await api('POST', '/api/households', { name: '甲', compound: '甲小区', building: '1号楼', room: '1' })
    ).json() as { compoundId: number };
    const b = (
      await api('POST', '/api/households', { name: '乙', compound: '乙小区', building: '1号楼', room: '1' })
    ).json() as { compoundId: number };
    const user = (
      await api('POST', '/api/users', {
        username: 'zhou',
        displayName: '周',
        role: 'volunteer',
        password: 'a long enough password',
        compoundIds: [a.compoundId],
      })
    ).json() as { id: number };
    const login = await loginRequest(system.app, 'zhou', 'a long enough password');
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const names = async () =>
      (
        (await system.app.inject({ method: 'GET', url: '/api/households', headers: { cookie } })).json() as {
          items: Array<{ name: string }>;
        }
      ).items.map((h) => h.name);
    expect(await names()).toEqual(['甲']);
    expect((await api('PATCH', `/api/users/${user.id}`, { compoundIds: [b.compoundId] })).statusCode).toBe(200);
    expect(await names()).toEqual(['乙']);
    expect((await api('PATCH', `/api/users/${user.id}`, { disabled: true })).json()).toMatchObject({ disabled: true });
    expect((await system.app.inject({ method: 'GET', url: '/api/households', headers: { cookie } })).statusCode).toBe(
      401,
    );
    expect((await loginRequest(system.app, 'zhou', 'a long enough password')).statusCode).toBe(401);
    expect((await api('PATCH', '/api/users/1', { disabled: true })).statusCode).toBe(409);
  });
});

describe('the front page', () => {
  it('when someone opens http://127.0.0.1:8080 before the dashboard is built, then a page in Chinese and English says the server runs, how to build it, and links the API docs, with no outside assets', async () => {
    const system = await startTestSystem({ env: { DASHBOARD_DIR: tempDir() } });
    const page = await fetch(`${system.httpUrl}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('lang="zh-CN"');
    expect(html).toContain('服务正在运行');
    expect(html).toContain('The server is running');
    expect(html).toContain('href="/docs"');
    expect(html).toContain('npm run build');
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
  });
});

describe('filters and contacts', () => {
  it('when households are listed by compound and ribbon, and contacts are replaced, then the list and the household show it', async () => {
    const system = await startTestSystem();
    const api = await asAdmin(system);
    const a = (
      await api('POST', '/api/households', { name: '红一', compound: '东小区', building: '1号楼', room: '1' })
    ).json() as { id: number; compoundId: number };
    await api('POST', '/api/households', { name: '蓝二', compound: '东小区', building: '1号楼', room: '2' });
    await api('POST', '/api/households', { name: '西三', compound: '西小区', building: '1号楼', room: '3' });
    await api('POST', `/api/households/${a.id}/reports`, { state: 'red' });
    const red = (await api('GET', `/api/households?compoundId=${a.compoundId}&state=red`)).json() as {
      items: Array<{ name: string }>;
    };
    expect(red.items.map((h) => h.name)).toEqual(['红一']);
    const east = (await api('GET', `/api/households?compoundId=${a.compoundId}`)).json() as {
      items: Array<{ name: string }>;
    };
    expect(east.items.map((h) => h.name)).toEqual(['红一', '蓝二']);
    const patched = await api('PATCH', `/api/households/${a.id}`, {
      contacts: [{ name: '儿子', phone: '13700000000', relation: '儿子' }],
    });
    expect(patched.json()).toMatchObject({ contacts: [{ name: '儿子', phone: '13700000000', relation: '儿子' }] });
    expect((await api('GET', `/api/buildings?compoundId=${a.compoundId}`)).json()).toMatchObject({
      items: [{ name: '1号楼', compoundId: a.compoundId }],
      next: null,
    });
  });
});
