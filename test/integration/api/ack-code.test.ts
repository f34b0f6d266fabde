import { describe, expect, it } from 'vitest';
import { ACK_LINK_TTL_MS } from '../../../server/app/ack-link.js';
import { ACK_BODY_LIMIT, ACK_CODE_LIMITS } from '../../../server/api/routes/ack-page.js';
import { DASHBOARD_CSP } from '../../../server/api/routes/home.js';
import { ACK_PUBLIC_URL, ackWorld } from '../../helpers/ack-world.js';

// The 处理码 of a Tencent SMS (GET/POST /a): the SMS carries the fixed PUBLIC_URL/a and a code
// that stands for the person's signed link. A real SQLite file, real HTTP on loopback, a manual
// clock; the code is issued by the store exactly as the core issues one per SMS.

const T0 = Date.parse('2026-12-02T02:10:00+08:00');
const PUBLIC_URL = ACK_PUBLIC_URL;

async function world() {
  const w = await ackWorld(T0);
  const { clock, system, alert, personId } = w;
  /** A signed link for 王芳 and its 处理码, as the core makes them for one SMS. */
  const issue = (expiresAt = clock.ms + ACK_LINK_TTL_MS) => {
    const token = w.tokenFor({ kind: 'person', id: personId }, expiresAt);
    return { token, code: system.stores.ackCodes.issue(token, expiresAt, clock.ms) };
  };
  const entryUrl = `${system.httpUrl}/a`;
  /** The form at /a sent as a browser on that page sends it. */
  const submit = (form: Record<string, string> | string, headers: Record<string, string> = {}) =>
    w.postForm(entryUrl, form, headers);
  /** Everything a lookup could change: as a tap's, and the codes. */
  const snapshot = () => ({
    ...w.snapshot(),
    codes: system.stores.db.prepare('SELECT code, token, expires_at FROM ack_codes ORDER BY code').all(),
  });
  return { clock, system, alert, personId, issue, entryUrl, submit, snapshot };
}

function expectPageHeaders(res: Response): void {
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('referrer-policy')).toBe('same-origin');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
}

/** The form again, saying the code opened nothing, with what was typed given back. */
async function expectWrongCode(res: Response, status: number): Promise<string> {
  expect(res.status).toBe(status);
  expectPageHeaders(res);
  const html = await res.text();
  expect(html).toContain('处理码不对或已过期，什么也没有改变');
  expect(html).toContain('请核对短信里的处理码再试，或打开仪表盘处理');
  expect(html).toMatch(/<form method="post" action="a"/);
  return html;
}

describe('the 处理码 form at /a', () => {
  it('when /a is opened (5 previews), then it shows one labelled field and 打开, loads only its own stylesheet, and nothing changes', async () => {
    const w = await world();
    w.issue();
    const before = w.snapshot();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(w.entryUrl);
      expect(res.status).toBe(200);
      expectPageHeaders(res);
      const html = await res.text();
      expect(html).toContain('<html lang="zh-CN">');
      expect(html).toContain('处理码在通知短信里');
      expect(html).toMatch(/<label for="code">处理码 <span class="en">Code<\/span><\/label>/);
      const input = html.match(/<input [^>]*>/)?.[0] ?? '';
      for (const attribute of [
        'id="code"',
        'name="code"',
        'maxlength="12"',
        'autocomplete="off"',
        'autocapitalize="characters"',
        'inputmode="text"',
        'value=""',
      ])
        expect(input).toContain(attribute);
      expect(html).toMatch(/<button class="btn open" type="submit">打开/);
      expect(html).not.toContain('处理码不对');
      expect(html).not.toMatch(/<script|style=|<style|https?:\/\//);
      // Relative links as seen from /a: the stylesheet under /a/, the form to /a, the dashboard at /.
      const css = html.match(/<link rel="stylesheet" href="([^"]+)">/)?.[1] ?? '';
      expect(new URL(css, w.entryUrl).pathname).toBe('/a/ack.css');
      expect((await fetch(new URL(css, w.entryUrl))).status).toBe(200);
      const action = html.match(/<form method="post" action="([^"]+)"/)?.[1] ?? '';
      expect(new URL(action, w.entryUrl).pathname).toBe('/a');
      const dashboard = html.match(/<a class="dashboard" href="([^"]+)"/)?.[1] ?? '';
      expect(new URL(dashboard, w.entryUrl).pathname).toBe('/');
    }
    expect(w.snapshot()).toEqual(before);
  });

  it('when /a/ is typed for the address, then it is sent on to the form at /a', async () => {
    const w = await world();
    const res = await fetch(`${w.entryUrl}/`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get('location') ?? '', `${w.entryUrl}/`).pathname).toBe('/a');
  });

  it.each([
    ['as issued', (c: string) => c],
    ['in lower case', (c: string) => c.toLowerCase()],
    ['with spaces around and inside', (c: string) => `  ${c.slice(0, 4)} ${c.slice(4)} `],
    ['grouped with a hyphen', (c: string) => `${c.slice(0, 4)}-${c.slice(4)}`.toLowerCase()],
    [
      'in full-width letters',
      (c: string) => c.replace(/[0-9A-Z]/g, (x) => String.fromCharCode(x.charCodeAt(0) + 0xfee0)),
    ],
  ])(
    'when a code issued for a link is sent %s, then it goes on to that link’s page and nothing changes',
    async (_name, typed) => {
      const w = await world();
      const { token, code } = w.issue();
      const before = w.snapshot();
      const res = await w.submit({ code: typed(code) });
      expect(res.status).toBe(303);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const location = res.headers.get('location') ?? '';
      // Relative, like the page's other links: a proxy's path prefix is kept.
      expect(location).toBe(`a/${token}`);
      const page = await fetch(new URL(location, w.entryUrl));
      expect(page.url).toBe(`${w.system.httpUrl}/a/${token}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('王秀英');
      expect(html).toContain('记录为：王芳');
      expect(w.snapshot()).toEqual(before);
      // Neither the code nor the token it stands for reaches the log.
      const logged = JSON.stringify(w.system.logs.lines);
      expect(logged).not.toContain(code);
      expect(logged).not.toContain(token);
    },
  );

  it('when the code has expired or is unknown, then the form says so (404) and nothing changes; a good one still works', async () => {
    const w = await world();
    const expiring = w.issue(T0 + 60_000);
    const good = w.issue();
    const unknown = good.code === 'ZZZZZZZZ' ? 'YYYYYYYY' : 'ZZZZZZZZ';
    w.clock.ms = T0 + 60_000;
    const before = w.snapshot();
    const html = await expectWrongCode(await w.submit({ code: expiring.code }), 404);
    expect(html).toContain(`value="${expiring.code}"`);
    await expectWrongCode(await w.submit({ code: unknown }), 404);
    expect(w.snapshot()).toEqual(before);
    expect((await w.submit({ code: good.code })).status).toBe(303);
  });

  it.each([
    ['empty', 'code='],
    ['too short', 'code=K7QX2M9'],
    ['too long', 'code=K7QX2M9PA'],
    ['with a 0 and an O', 'code=K7QX20OP'],
    ['with a 1, an I and an L', 'code=K7QX1ILP'],
    ['missing', 'note=x'],
    ['sent twice', 'code=K7QX2M9P&code=K7QX2M9P'],
    ['markup', `code=${encodeURIComponent('"><b>x')}`],
  ])('when the code is %s, then the form says it is wrong (400) and nothing changes', async (_name, body) => {
    const w = await world();
    w.issue();
    const before = w.snapshot();
    const html = await expectWrongCode(await w.submit(body), 400);
    expect(html).not.toContain('<b>');
    expect(w.snapshot()).toEqual(before);
  });
});

describe('what a POST /a must be', () => {
  it('when the Origin is another site, then it is refused (403) and nothing is looked up; PUBLIC_URL’s origin and none at all pass', async () => {
    const w = await world();
    const { code } = w.issue();
    const before = w.snapshot();
    for (const origin of ['https://evil.example', 'null', `${PUBLIC_URL}.evil.example`]) {
      const res = await w.submit({ code }, { origin });
      expect(res.status, origin).toBe(403);
      expectPageHeaders(res);
      const html = await res.text();
      expect(html).toContain('请求被拒绝');
      expect(res.headers.get('location')).toBeNull();
    }
    expect(w.snapshot()).toEqual(before);
    expect((await w.submit({ code }, { origin: PUBLIC_URL })).status).toBe(303);
    const noOrigin = await fetch(w.entryUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `code=${code}`,
    });
    expect(noOrigin.status).toBe(303);
  });

  it.each([
    ['JSON', '{"code":"K7QX2M9P"}', 'application/json', 415],
    ['multipart', '--x\r\n\r\n', 'multipart/form-data; boundary=x', 415],
    ['a body over 32 KiB', `code=${'a'.repeat(ACK_BODY_LIMIT + 1)}`, 'application/x-www-form-urlencoded', 413],
  ])('when the body is %s, then a plain page refuses it, styled from /a', async (_name, body, type, status) => {
    const w = await world();
    const res = await w.submit(body, { 'content-type': type });
    expect(res.status).toBe(status);
    expectPageHeaders(res);
    const html = await res.text();
    expect(html).toContain('请求无效');
    expect(html).toContain('href="a/ack.css"');
  });

  it('when one address tries more codes than its budget, then it gets 429 even with a good code, and again after the window; good codes are not counted', async () => {
    const w = await world();
    const good = w.issue();
    // People behind one address (a carrier's NAT) opening their own codes are not held up.
    for (let i = 0; i < ACK_CODE_LIMITS.perAddress + 5; i++)
      expect((await w.submit({ code: good.code })).status).toBe(303);
    for (let i = 0; i < ACK_CODE_LIMITS.perAddress; i++)
      await expectWrongCode(await w.submit({ code: i % 2 === 0 ? 'ZZZZZZZZ' : 'bad' }), i % 2 === 0 ? 404 : 400);
    const before = w.snapshot();
    const limited = await w.submit({ code: good.code });
    expect(limited.status).toBe(429);
    expectPageHeaders(limited);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(ACK_CODE_LIMITS.windowMs / 1000);
    const html = await limited.text();
    expect(html).toContain('操作太频繁');
    expect(html).toContain('href="a/ack.css"');
    expect(w.snapshot()).toEqual(before);
    // The link's page itself is not held up: its own limits are apart.
    expect((await fetch(`${w.system.httpUrl}/a/${good.token}`)).status).toBe(200);
    w.clock.ms += ACK_CODE_LIMITS.windowMs;
    expect((await w.submit({ code: good.code })).status).toBe(303);
  });

  it('when codes are refused in a flood, then one line per 10 s says so, with how many were not logged, and no request line each', async () => {
    const w = await world();
    const refusalLines = () => w.system.logs.lines.filter((l) => l.msg === 'a 处理码 opened nothing');
    const postLines = () =>
      w.system.logs.lines.filter(
        (l) => l.msg === 'request completed' && (l as { req?: { url?: string } }).req?.url === '/a',
      );
    for (let i = 0; i < ACK_CODE_LIMITS.perAddress + 10; i++) await w.submit({ code: 'ZZZZZZZZ' });
    expect(refusalLines()).toEqual([
      expect.objectContaining({ level: 40, status: 404, why: 'unknown or expired', address: '127.0.0.1' }),
    ]);
    expect(postLines().length).toBe(1);
    w.clock.ms += 10_000;
    await w.submit({ code: 'ZZZZZZZZ' });
    expect(refusalLines().at(-1)).toMatchObject({
      status: 429,
      alsoNotLogged: ACK_CODE_LIMITS.perAddress + 10 - 1,
    });
    expect(JSON.stringify(refusalLines())).not.toContain('ZZZZZZZZ');
  });
});
