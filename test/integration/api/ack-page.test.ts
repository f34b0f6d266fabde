import { describe, expect, it } from 'vitest';
import { ACK_LINK_TTL_MS, signAckToken } from '../../../server/app/ack-link.js';
import { ACK_POST_LIMITS } from '../../../server/api/routes/ack-page.js';
import { DASHBOARD_CSP } from '../../../server/api/routes/home.js';
import { client, COMPOUND_A, login } from '../../helpers/api.js';
import { ACK_PUBLIC_URL, ackWorld } from '../../helpers/ack-world.js';
import { startTestSystem } from '../../helpers/system.js';

// The one-tap page of an SMS (GET/POST /a/:token): a real SQLite file, real HTTP on loopback,
// a manual clock. The token is made as the SMS code makes it, with the secret in the database.

const T0 = Date.parse('2026-12-02T02:10:00+08:00');
const PUBLIC_URL = ACK_PUBLIC_URL;

async function world() {
  const w = await ackWorld(T0);
  const volunteer = client(w.system.app, await login(w.system.app, w.cast.users.volunteerA.username));
  const token = w.tokenFor({ kind: 'person', id: w.personId });
  const pageUrl = (t: string) => `${w.system.httpUrl}/a/${t}`;
  /** A tap of the page's form, as a browser on the page sends it. */
  const tap = (t: string, form: Record<string, string> | string, headers: Record<string, string> = {}) =>
    w.postForm(pageUrl(t), form, headers);
  return { ...w, volunteer, token, pageUrl, tap };
}

function expectPageHeaders(res: Response): void {
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('referrer-policy')).toBe('same-origin');
}

/** The page of a link that opens nothing: a plain page, no form, nothing changed. */
async function expectRefusedLink(res: Response, status: number, words: string): Promise<void> {
  expect(res.status).toBe(status);
  expectPageHeaders(res);
  const html = await res.text();
  expect(html).toContain(words);
  expect(html).toContain('什么也没有改变');
  expect(html).toContain('致电社区');
  expect(html).not.toContain('<form');
}

describe('the one-tap page', () => {
  it('when the link is opened (5 previews), then it shows the household, the address, how long ago and the buttons, and nothing changes', async () => {
    const w = await world();
    w.clock.ms += 3 * 60_000 + 20_000;
    const before = w.snapshot();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(w.pageUrl(w.token));
      expect(res.status).toBe(200);
      expectPageHeaders(res);
      const html = await res.text();
      expect(html).toContain('<html lang="zh-CN">');
      expect(html).toContain('紧急求助');
      expect(html).toContain('王秀英');
      expect(html).toContain('阳光小区 2号楼 301');
      expect(html).toContain('按下于 02:10');
      expect(html).toContain('3 分钟前');
      expect(html).toContain('还没有人响应');
      expect(html).toContain('记录为：王芳');
      for (const [word, action] of [
        ['我去处理', 'ack'],
        ['已到达', 'arrive'],
        ['已解决', 'resolve'],
      ])
        expect(html).toMatch(new RegExp(`name="action" value="${action}">${word}`));
      expect(html).toMatch(/<textarea[^>]*name="note"[^>]*required/);
      // Loads nothing from elsewhere and needs no script: no inline style the CSP would refuse.
      expect(html).not.toMatch(/<script|style=|<style|https?:\/\//);
      expect(html).not.toContain('已记录');
    }
    expect(w.snapshot()).toEqual(before);
    expect(w.snapshot().alert?.status).toBe('open');

    const css = await fetch(`${w.system.httpUrl}/a/ack.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('.btn');
  });

  it('when 我去处理 is tapped, then it is recorded as that person, the device is told, it is audited, and the page says 已记录', async () => {
    const w = await world();
    w.clock.ms += 90_000;
    const res = await w.tap(w.token, { action: 'ack' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location') ?? '';
    expect(new URL(location, w.pageUrl(w.token)).href).toBe(`${w.pageUrl(w.token)}?done=ack`);

    const alert = w.system.stores.alerts.get(w.alert.id);
    expect(alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: '王芳', acknowledgedAt: T0 + 90_000 });
    expect(w.system.stores.alerts.transitions(w.alert.id).at(-1)).toMatchObject({ action: 'acknowledged', by: '王芳' });
    const toDevice = w.system.stores.outbox.forAlert(w.alert.id).filter((r) => r.target === 'device');
    expect(toDevice).toEqual([
      expect.objectContaining({
        deviceId: w.h.id,
        event: 'device.acknowledged',
        payload: expect.objectContaining({ status: 'acknowledged' }),
      }),
    ]);
    const [audit] = w.system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 1);
    expect(audit).toMatchObject({
      userId: null,
      username: `person:${w.personId} 王芳`,
      method: 'POST',
      route: '/a/:token (ack)',
      record: `alert:${w.alert.id}`,
      status: 303,
      address: '127.0.0.1',
    });

    const page = await fetch(new URL(location, w.pageUrl(w.token)));
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('已记录：我去处理');
    expect(html).toContain('已有人处理');
    expect(html).toContain('王芳 正在处理');
    // Acknowledged: 我去处理 is gone, 已到达 and 已解决 stay.
    expect(html).not.toContain('value="ack"');
    expect(html).toContain('value="arrive"');
    // The token never reaches the log (a request's URL is logged as /a/…), nor the secret.
    const logged = JSON.stringify(w.system.logs.lines);
    expect(logged).not.toContain(w.token);
    expect(logged).toContain('"/a/…"');
    expect(logged).not.toContain(Buffer.from(w.secret).toString('hex'));
    expect(logged).not.toContain(Buffer.from(w.secret).toString('base64'));
  });

  it('when ?done is added by hand, then 已记录 shows only for what this person did', async () => {
    const w = await world();
    const html = await (await fetch(`${w.pageUrl(w.token)}?done=ack`)).text();
    expect(html).not.toContain('已记录');
  });

  it('when 已解决 is tapped without a note, then it is refused in words and nothing changes; with a note it is resolved', async () => {
    const w = await world();
    const before = w.snapshot();
    const refused = await w.tap(w.token, { action: 'resolve', note: '   ' });
    expect(refused.status).toBe(400);
    expectPageHeaders(refused);
    expect(await refused.text()).toContain('请先写下处理结果');
    expect(w.snapshot().alert).toEqual(before.alert);

    const res = await w.tap(w.token, { action: 'resolve', note: '老人摔倒，已扶起，无大碍' });
    expect(res.status).toBe(303);
    expect(w.system.stores.alerts.get(w.alert.id)).toMatchObject({
      status: 'resolved',
      resolvedBy: '王芳',
      resolutionNote: '老人摔倒，已扶起，无大碍',
    });
    const html = await (await fetch(`${w.pageUrl(w.token)}?done=resolve`)).text();
    expect(html).toContain('已记录：已解决');
    expect(html).not.toContain('<form');
  });

  it('when someone else acknowledged first, then 我去处理 is refused in words naming them, and 已到达 still works', async () => {
    const w = await world();
    expect((await w.volunteer('POST', `/api/alerts/${w.alert.id}/ack`)).statusCode).toBe(200);
    const res = await w.tap(w.token, { action: 'ack' });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('已有人在处理（李志愿）');
    expect(html).not.toContain('RIBBON_ERR');
    expect(w.system.stores.alerts.get(w.alert.id)?.acknowledgedBy).toBe('李志愿');

    expect((await w.tap(w.token, { action: 'arrive' })).status).toBe(303);
    expect(w.system.stores.alerts.get(w.alert.id)?.arrivedBy).toBe('王芳');
    const again = await w.tap(w.token, { action: 'arrive' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('已有人记录到达（王芳）');
  });

  it('when a family contact taps their own link, then it is recorded under their name and audited as the contact', async () => {
    const w = await world();
    w.system.stores.people.setContacts(
      w.h.householdId,
      [{ name: '王小明', phone: '13900000003', relation: '儿子' }],
      T0,
    );
    const contact = w.system.stores.people.contacts(w.h.householdId)[0];
    if (contact === undefined) throw new Error('no contact');
    const token = w.tokenFor({ kind: 'contact', id: contact.id });
    expect(await (await fetch(w.pageUrl(token))).text()).toContain('记录为：王小明');
    expect((await w.tap(token, { action: 'ack' })).status).toBe(303);
    expect(w.system.stores.alerts.get(w.alert.id)?.acknowledgedBy).toBe('王小明');
    expect(w.system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 1)[0]?.username).toBe(
      `contact:${contact.id} 王小明（儿子）`,
    );
  });
});

describe('links that open nothing', () => {
  it('when the token is altered, malformed, another server’s or expired, then a plain page says so (GET and POST) and nothing changes', async () => {
    const w = await world();
    const altered = `${w.token.slice(0, 10)}${w.token[10] === 'A' ? 'B' : 'A'}${w.token.slice(11)}`;
    const foreign = signAckToken(new Uint8Array(32).fill(7), {
      alertId: w.alert.id,
      recipient: { kind: 'person', id: w.personId },
      expiresAt: T0 + ACK_LINK_TTL_MS,
    });
    const expiring = w.tokenFor({ kind: 'person', id: w.personId }, T0 + 60_000);
    w.clock.ms = T0 + 60_000;
    const before = w.snapshot();
    for (const [token, status, words] of [
      [altered, 404, '这个链接无效或已失效'],
      [foreign, 404, '这个链接无效或已失效'],
      ['not-a-token', 404, '这个链接无效或已失效'],
      [expiring, 410, '这个链接已过期'],
    ] as const) {
      await expectRefusedLink(await fetch(w.pageUrl(token)), status, words);
      await expectRefusedLink(await w.tap(token, { action: 'ack' }), status, words);
      await expectRefusedLink(await w.tap(token, { action: 'resolve', note: '已处理' }), status, words);
    }
    expect(w.snapshot()).toEqual(before);
    // The good token still works: the refusals above were not about the alert.
    expect((await w.tap(w.token, { action: 'ack' })).status).toBe(303);
  });

  it('when the person was retired, the contact removed, or the contact is of another household, then the link opens nothing', async () => {
    const w = await world();
    w.system.stores.people.setContacts(
      w.h.householdId,
      [{ name: '王小明', phone: '13900000003', relation: '儿子' }],
      T0,
    );
    const contact = w.system.stores.people.contacts(w.h.householdId)[0];
    const other = w.system.provision({ compound: COMPOUND_A });
    w.system.stores.people.setContacts(other.householdId, [{ name: '赵六', phone: '13900000004', relation: '' }], T0);
    const stranger = w.system.stores.people.contacts(other.householdId)[0];
    if (contact === undefined || stranger === undefined) throw new Error('no contacts');
    const contactToken = w.tokenFor({ kind: 'contact', id: contact.id });
    const strangerToken = w.tokenFor({ kind: 'contact', id: stranger.id });
    const unknownAlert = w.tokenFor({ kind: 'person', id: w.personId }, T0 + ACK_LINK_TTL_MS, w.alert.id + 1000);

    w.system.stores.people.retire(w.personId, T0);
    // Editing a household's contacts replaces them: the old ids are gone.
    w.system.stores.people.setContacts(
      w.h.householdId,
      [{ name: '王小明', phone: '13900000003', relation: '儿子' }],
      T0,
    );
    const before = w.snapshot();
    for (const token of [w.token, contactToken, strangerToken, unknownAlert]) {
      await expectRefusedLink(await fetch(w.pageUrl(token)), 404, '这个链接无效或已失效');
      await expectRefusedLink(await w.tap(token, { action: 'ack' }), 404, '这个链接无效或已失效');
    }
    expect(w.snapshot()).toEqual(before);
  });
});

describe('what a POST must be', () => {
  it('when the Origin is another site, then the tap is refused and nothing changes; PUBLIC_URL’s origin and none at all pass', async () => {
    const w = await world();
    const before = w.snapshot();
    for (const origin of ['https://evil.example', 'null', `${PUBLIC_URL}.evil.example`, 'http://ribbon.example.cn']) {
      const res = await w.tap(w.token, { action: 'ack' }, { origin });
      expect(res.status, origin).toBe(403);
      expect(await res.text()).toContain('请求被拒绝');
    }
    expect(w.snapshot()).toEqual(before);

    expect((await w.tap(w.token, { action: 'arrive' }, { origin: PUBLIC_URL })).status).toBe(303);
    const noOrigin = await fetch(w.pageUrl(w.token), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=resolve&note=%E5%B7%B2%E5%A4%84%E7%90%86',
    });
    expect(noOrigin.status).toBe(303);
    expect(w.system.stores.alerts.get(w.alert.id)).toMatchObject({ status: 'resolved', resolutionNote: '已处理' });
  });

  it.each([
    ['an unknown action', 'action=delete', 'application/x-www-form-urlencoded', 400],
    ['no action', 'note=x', 'application/x-www-form-urlencoded', 400],
    ['two actions', 'action=ack&action=resolve', 'application/x-www-form-urlencoded', 400],
    ['JSON', '{"action":"ack"}', 'application/json', 415],
    ['multipart', '--x\r\n\r\n', 'multipart/form-data; boundary=x', 415],
    ['a body over 32 KiB', `action=resolve&note=${'a'.repeat(40_000)}`, 'application/x-www-form-urlencoded', 413],
  ])('when the body is %s, then a plain page refuses it and nothing changes', async (_name, body, type, status) => {
    const w = await world();
    const before = w.snapshot().alert;
    const res = await w.tap(w.token, body, { 'content-type': type });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('请求无效');
    expect(w.snapshot().alert).toEqual(before);
  });

  it('when one token posts more than its budget, then it gets 429 with retry-after until the window passes', async () => {
    const w = await world();
    for (let i = 0; i < ACK_POST_LIMITS.perToken; i++)
      expect((await w.tap(w.token, { action: 'ack' })).status).toBe(i === 0 ? 303 : 409);
    const limited = await w.tap(w.token, { action: 'resolve', note: '已处理' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('操作太频繁');
    expect(w.system.stores.alerts.get(w.alert.id)?.status).toBe('acknowledged');
    // Another person's link is not held up by this one.
    const other = w.system.stores.people.add(
      {
        name: '李明',
        phone: '13800000005',
        role: 'volunteer',
        tier: 1,
        compoundId: w.cast.compoundA.id,
        buildingId: null,
      },
      T0,
    );
    expect((await w.tap(w.tokenFor({ kind: 'person', id: other }), { action: 'arrive' })).status).toBe(303);
    w.clock.ms += ACK_POST_LIMITS.windowMs;
    expect((await w.tap(w.token, { action: 'resolve', note: '已处理' })).status).toBe(303);
  });

  it('when one address posts bad tokens past its budget, then it gets 429 even with a good one', async () => {
    const w = await world();
    for (let i = 0; i < ACK_POST_LIMITS.perAddress; i++)
      expect((await w.tap('A'.repeat(32), 'action=ack')).status).toBe(404);
    expect((await w.tap(w.token, { action: 'ack' })).status).toBe(429);
    expect(w.system.stores.alerts.get(w.alert.id)?.status).toBe('open');
  });
});

describe('PUBLIC_URL', () => {
  it('when it is not set, then the server warns at start that SMS links will not open on a phone; when set, it does not', async () => {
    const unset = await startTestSystem({ scheduler: false });
    const warning = unset.logs.find((l) => l.msg.startsWith('PUBLIC_URL is not set'));
    expect(warning).toMatchObject({ level: 40, publicUrl: 'http://127.0.0.1:0' });
    expect(warning?.msg).toContain('will not open on a phone');
    const set = await startTestSystem({ scheduler: false, env: { PUBLIC_URL } });
    expect(set.logs.find((l) => l.msg.startsWith('PUBLIC_URL'))).toBeUndefined();
  });
});
