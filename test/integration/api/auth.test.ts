import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from '../../../server/app/ports.js';
import { DB_FILE_NAME } from '../../../server/store/db.js';
import {
  ANONYMOUS,
  client,
  expectError,
  login,
  loginAdmin,
  loginRequest,
  makeCast,
  sessionCookieOf,
  TEST_USER_PASSWORD,
  type Caller,
  type InjectResponse,
} from '../../helpers/api.js';
import { startTestSystem, TEST_ADMIN_PASSWORD, type TestSystem } from '../../helpers/system.js';
import { ManualClock } from '../../helpers/clock.js';

// Logging in, throttling, sessions and their end, CSRF, bearer tokens and the audit log, through
// app.inject() against the whole system (real SQLite file). Time is a manual clock where it matters.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');
const HOUR = 3600_000;

async function system(opts: { clock?: ManualClock } = {}) {
  return startTestSystem({ scheduler: false, ...(opts.clock ? { clock: opts.clock } : {}) });
}

/** The audit log, oldest first (rows are written once the response is sent, so wait for them). */
function auditRows(s: TestSystem): AuditEntry[] {
  return s.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 1000).reverse();
}

async function eventuallyAudited(s: TestSystem, expected: Array<Partial<AuditEntry>>): Promise<AuditEntry[]> {
  await vi.waitFor(() => expect(auditRows(s)).toHaveLength(expected.length), { timeout: 2000 });
  const rows = auditRows(s);
  expect(rows).toEqual(expected.map((e) => expect.objectContaining(e)));
  return rows;
}

function whoAmI(s: TestSystem, caller: Caller): Promise<InjectResponse> {
  return client(s.app, caller)('GET', '/api/session');
}

describe('logging in', () => {
  it('when the first admin logs in, then the answer is the user and a CSRF token, with an HttpOnly SameSite=Strict session cookie', async () => {
    const clock = new ManualClock(T0);
    const s = await system({ clock });
    const res = await loginRequest(s.app, 'admin', TEST_ADMIN_PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>;
    expect(body).toEqual({
      user: {
        id: expect.any(Number),
        username: 'admin',
        displayName: expect.any(String),
        role: 'admin',
        compoundIds: [],
        readOnlyCompoundIds: [],
        scope: [],
      },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
    });
    expect(res.body).not.toMatch(/scrypt|password/i);

    const cookie = sessionCookieOf(res);
    expect(cookie.pair).toMatch(/^ribbon_session=[A-Za-z0-9_-]{40,}$/);
    const attributes = cookie.attributes.map((a) => a.toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=strict');
    expect(attributes).toContain('path=/');
    // Plain HTTP here: Secure would make browsers drop it (api-https.test.ts checks Secure over TLS).
    expect(attributes).not.toContain('secure');
    const expires = cookie.attributes.find((a) => /^expires=/i.test(a));
    expect(Date.parse(expires?.slice('expires='.length) ?? '')).toBe(Math.floor((T0 + 12 * HOUR) / 1000) * 1000);

    // Only a hash of the cookie is stored.
    const db = new Database(path.join(s.dataDir, DB_FILE_NAME), { readonly: true });
    try {
      const value = cookie.pair.slice('ribbon_session='.length);
      const rows = db.prepare('SELECT hex(id_hash) AS h FROM sessions').all() as Array<{ h: string }>;
      expect(rows).toHaveLength(1);
      expect(rows[0]?.h).not.toContain(Buffer.from(value).toString('hex').toUpperCase());
    } finally {
      db.close();
    }

    const me = await whoAmI(s, { kind: 'session', cookie: cookie.pair, csrfToken: '', userId: 0 });
    expect(me.json()).toMatchObject({ user: { username: 'admin' }, csrfToken: body.csrfToken });
  });

  it('when the password is wrong or the user unknown, then both get the same 401 and no cookie (names do not leak)', async () => {
    const s = await system();
    const cast = await makeCast(s);
    const wrong = await loginRequest(s.app, cast.users.staffA.username, 'not the password');
    const unknown = await loginRequest(s.app, 'nobody-by-this-name', 'not the password');
    const wrongAdmin = await loginRequest(s.app, 'admin', 'not the password');
    for (const res of [wrong, unknown, wrongAdmin]) {
      expectError(res, 401, 'RIBBON_ERR_BAD_CREDENTIALS');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(unknown.body).toBe(wrong.body);
    expect(wrongAdmin.body).toBe(wrong.body);
    // A disabled user is refused the same way.
    s.stores.users.setDisabled(cast.users.volunteerA.id, Date.now());
    const disabled = await loginRequest(s.app, cast.users.volunteerA.username, TEST_USER_PASSWORD);
    expect(disabled.statusCode).toBe(401);
    expect(disabled.body).toBe(wrong.body);
  });

  it('when one user fails 5 times, then the next try is 429 with retry-after even with the right password, others still log in, and the window forgives', async () => {
    const clock = new ManualClock(T0);
    const s = await system({ clock });
    const cast = await makeCast(s);
    for (let i = 0; i < 5; i++)
      expectError(
        await loginRequest(s.app, cast.users.staffA.username, `guess ${i}`),
        401,
        'RIBBON_ERR_BAD_CREDENTIALS',
      );
    clock.ms = T0 + 60_000;
    const blocked = await loginRequest(s.app, cast.users.staffA.username, TEST_USER_PASSWORD);
    expectError(blocked, 429, 'RIBBON_ERR_RATE_LIMITED');
    expect(blocked.headers['retry-after']).toBe(String(15 * 60 - 60));
    expect(blocked.headers['set-cookie']).toBeUndefined();
    // The name is counted whatever its case (usernames are case-insensitive).
    expect((await loginRequest(s.app, cast.users.staffA.username.toUpperCase(), TEST_USER_PASSWORD)).statusCode).toBe(
      429,
    );
    // An unknown name is throttled the same way, so throttling does not reveal which names exist.
    for (let i = 0; i < 5; i++) await loginRequest(s.app, 'nobody-by-this-name', `guess ${i}`);
    expect((await loginRequest(s.app, 'nobody-by-this-name', 'guess')).statusCode).toBe(429);
    // Others are not locked out.
    await login(s.app, cast.users.volunteerA.username);
    // 15 minutes after the first failure, the user may try again.
    clock.ms = T0 + 15 * 60_000;
    await login(s.app, cast.users.staffA.username);
  });

  it('when one address fails 20 times (with any names), then it gets 429, and another address still logs in', async () => {
    const s = await system();
    const cast = await makeCast(s);
    for (let i = 0; i < 20; i++) expect((await loginRequest(s.app, `nobody-${i}`, 'guess')).statusCode).toBe(401);
    const blocked = await loginRequest(s.app, cast.users.staffA.username, TEST_USER_PASSWORD);
    expectError(blocked, 429, 'RIBBON_ERR_RATE_LIMITED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    const elsewhere = await s.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: '10.0.0.2',
      payload: { username: cast.users.staffA.username, password: TEST_USER_PASSWORD },
    });
    expect(elsewhere.statusCode).toBe(200);
  });
});

describe('sessions end', () => {
  it('when a user logs out, then the cookie is cleared and the old cookie no longer works', async () => {
    const s = await system();
    const admin = await loginAdmin(s.app);
    expect((await whoAmI(s, admin)).statusCode).toBe(200);
    const out = await client(s.app, admin)('DELETE', '/api/session');
    expect(out.statusCode).toBe(204);
    const cleared = sessionCookieOf(out);
    expect(cleared.pair).toBe('ribbon_session=');
    expect(cleared.attributes.map((a) => a.toLowerCase())).toContain('max-age=0');
    expectError(await whoAmI(s, admin), 401, 'RIBBON_ERR_UNAUTHENTICATED');
    expectError(
      await client(s.app, admin)('POST', '/api/households', {
        name: '甲',
        compound: '阳光小区',
        building: '1号楼',
        room: '1',
      }),
      401,
      'RIBBON_ERR_UNAUTHENTICATED',
    );
  });

  it('when a session is unused for 12 h, then it has ended; use within 12 h keeps it going', async () => {
    const clock = new ManualClock(T0);
    const s = await system({ clock });
    const idle = await loginAdmin(s.app);
    const almost = await loginAdmin(s.app);
    const busy = await loginAdmin(s.app);
    clock.ms = T0 + 11 * HOUR;
    expect((await whoAmI(s, busy)).statusCode).toBe(200);
    clock.ms = T0 + 12 * HOUR - 1;
    expect((await whoAmI(s, almost)).statusCode).toBe(200);
    clock.ms = T0 + 12 * HOUR;
    expectError(await whoAmI(s, idle), 401, 'RIBBON_ERR_UNAUTHENTICATED');
    // Used at 11 h, so it lasts until 23 h.
    clock.ms = T0 + 23 * HOUR - 1;
    expect((await whoAmI(s, busy)).statusCode).toBe(200);
    clock.ms = T0 + 23 * HOUR - 1 + 12 * HOUR;
    expectError(await whoAmI(s, busy), 401, 'RIBBON_ERR_UNAUTHENTICATED');
  });

  it('when a session is used every few hours, then it still ends 7 days after login', async () => {
    const clock = new ManualClock(T0);
    const s = await system({ clock });
    const admin = await loginAdmin(s.app);
    for (let t = 0; t < 7 * 24 * HOUR; t += 10 * HOUR) {
      clock.ms = T0 + t;
      expect((await whoAmI(s, admin)).statusCode, `at ${t / HOUR} h`).toBe(200);
    }
    clock.ms = T0 + 7 * 24 * HOUR;
    expectError(await whoAmI(s, admin), 401, 'RIBBON_ERR_UNAUTHENTICATED');
  });

  it('when a user is disabled, then their session ends at once', async () => {
    const s = await system();
    const cast = await makeCast(s);
    const staff = await login(s.app, cast.users.staffA.username);
    s.stores.users.setDisabled(cast.users.staffA.id, Date.now());
    expectError(await whoAmI(s, staff), 401, 'RIBBON_ERR_UNAUTHENTICATED');
  });
});

describe('CSRF', () => {
  it('when a state-changing request has the cookie but no or a wrong x-csrf-token, then it is 403 RIBBON_ERR_CSRF and nothing changes', async () => {
    const s = await system();
    const cast = await makeCast(s);
    const staff = await login(s.app, cast.users.staffA.username);
    const other = await login(s.app, cast.users.staffA.username);
    const households = () => s.stores.places.listHouseholds().map((h) => [h.id, h.name, h.room]);
    const events = () => s.stores.events.listForHousehold(cast.householdA).length;
    const before = { households: households(), events: events() };
    const tokens: Array<Record<string, string>> = [
      {},
      { 'x-csrf-token': '' },
      { 'x-csrf-token': 'wrong' },
      { 'x-csrf-token': staff.csrfToken.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
      // Another session's token (the same user's, even) is not this session's.
      { 'x-csrf-token': other.csrfToken },
    ];
    for (const csrf of tokens) {
      const headers = { cookie: staff.cookie, ...csrf };
      const attempts = [
        s.app.inject({
          method: 'POST',
          url: '/api/households',
          headers,
          payload: { name: '伪造', compound: cast.compoundA.name, building: '1号楼', room: '9' },
        }),
        s.app.inject({
          method: 'PATCH',
          url: `/api/households/${cast.householdA}`,
          headers,
          payload: { name: '改名' },
        }),
        s.app.inject({
          method: 'POST',
          url: `/api/households/${cast.householdA}/reports`,
          headers,
          payload: { state: 'red' },
        }),
        s.app.inject({ method: 'DELETE', url: '/api/session', headers }),
      ];
      for (const res of await Promise.all(attempts)) expectError(res, 403, 'RIBBON_ERR_CSRF');
    }
    expect({ households: households(), events: events() }).toEqual(before);
    expect(s.stores.alerts.list({ householdId: cast.householdA })).toEqual([]);
    // The session survived the forged logout; reads need no token; with it, the change goes through.
    expect(
      (await s.app.inject({ method: 'GET', url: '/api/households', headers: { cookie: staff.cookie } })).statusCode,
    ).toBe(200);
    expect(
      (await client(s.app, staff)('PATCH', `/api/households/${cast.householdA}`, { name: '改名' })).statusCode,
    ).toBe(200);
  });
});

describe('bearer tokens', () => {
  it('when an admin issues a token, then a script uses it without CSRF, until the admin revokes it', async () => {
    const s = await system();
    const cast = await makeCast(s);
    const admin = client(s.app, await loginAdmin(s.app));
    const issued = await admin('POST', '/api/tokens', { userId: cast.users.staffA.id, name: '巡查脚本' });
    expect(issued.statusCode).toBe(201);
    const { id, token } = issued.json() as { id: number; token: string };
    expect(token).toMatch(/^rpt_[A-Za-z0-9_-]{40,}$/);
    const script = client(s.app, { kind: 'bearer', token });

    expect((await script('GET', '/api/session')).json()).toEqual({
      user: expect.objectContaining({ username: cast.users.staffA.username, role: 'staff' }),
      csrfToken: null,
    });
    const report = await script('POST', `/api/households/${cast.householdA}/reports`, { state: 'blue' });
    expect(report.statusCode).toBe(201);
    await vi.waitFor(() =>
      expect(auditRows(s).find((r) => r.route === '/api/households/:id/reports')).toMatchObject({
        userId: cast.users.staffA.id,
        username: cast.users.staffA.username,
        status: 201,
      }),
    );
    // The token acts as its user: staff of A, so compound B is out of reach.
    expect((await script('GET', `/api/households/${cast.householdB}`)).statusCode).toBe(404);
    expect((await script('GET', '/api/audit')).statusCode).toBe(403);

    // Only its hash is stored.
    const db = new Database(path.join(s.dataDir, DB_FILE_NAME), { readonly: true });
    try {
      expect(JSON.stringify(db.prepare('SELECT * FROM api_tokens').all())).not.toContain(token);
    } finally {
      db.close();
    }

    expect((await admin('DELETE', `/api/tokens/${id}`)).statusCode).toBe(204);
    expectError(await script('GET', '/api/session'), 401, 'RIBBON_ERR_UNAUTHENTICATED');
    expectError(
      await script('POST', `/api/households/${cast.householdA}/reports`, { state: 'blue' }),
      401,
      'RIBBON_ERR_UNAUTHENTICATED',
    );
    expect((await admin('DELETE', `/api/tokens/${id}`)).statusCode).toBe(404);
    expectError(
      await client(s.app, { kind: 'bearer', token: 'rpt_made-up' })('GET', '/api/session'),
      401,
      'RIBBON_ERR_UNAUTHENTICATED',
    );
    expect(s.stores.events.listForHousehold(cast.householdA).filter((e) => e.source === 'person')).toHaveLength(1);
  });

  it("when a token's user is disabled, then the token stops working", async () => {
    const s = await system();
    const cast = await makeCast(s);
    const admin = client(s.app, await loginAdmin(s.app));
    const { token } = (await admin('POST', '/api/tokens', { userId: cast.users.volunteerA.id, name: 'x' })).json() as {
      token: string;
    };
    expect((await client(s.app, { kind: 'bearer', token })('GET', '/api/session')).statusCode).toBe(200);
    s.stores.users.setDisabled(cast.users.volunteerA.id, Date.now());
    expectError(
      await client(s.app, { kind: 'bearer', token })('GET', '/api/session'),
      401,
      'RIBBON_ERR_UNAUTHENTICATED',
    );
  });
});

describe('the audit log', () => {
  it('when people act, then each state-changing request leaves a row (who, route, record, status, address), readable by admins', async () => {
    const clock = new ManualClock(T0);
    const s = await system({ clock });
    const cast = await makeCast(s);
    const { staffA, volunteerA } = cast.users;

    expect((await loginRequest(s.app, 'admin', 'wrong')).statusCode).toBe(401);
    expect((await loginRequest(s.app, 'nobody-by-this-name', 'wrong')).statusCode).toBe(401);
    const staffSession = await login(s.app, staffA.username);
    const staff = client(s.app, staffSession);
    const created = await staff(
      'POST',
      '/api/households',
      { name: '张桂兰', compound: cast.compoundA.name, building: '3号楼', room: '201' },
      {},
    );
    const householdId = (created.json() as { id: number }).id;
    expect((await staff('PATCH', `/api/households/${householdId}`, { room: '202' })).statusCode).toBe(200);
    // Reads are not audited.
    expect((await staff('GET', `/api/households/${householdId}`)).statusCode).toBe(200);
    const volunteer = client(s.app, await login(s.app, volunteerA.username));
    const reported = await s.app.inject({
      method: 'POST',
      url: `/api/households/${householdId}/reports`,
      remoteAddress: '10.8.0.7',
      headers: { cookie: (await login(s.app, volunteerA.username)).cookie, 'x-csrf-token': '' },
      payload: { state: 'red' },
    });
    expect(reported.statusCode).toBe(403);
    const report = await volunteer('POST', `/api/households/${householdId}/reports`, {
      state: 'red',
      note: '敲门无人应',
    });
    const { eventId } = report.json() as { eventId: number };
    const alertId = s.stores.alerts.list({ householdId, kind: 'emergency' })[0]?.id;
    expect((await volunteer('POST', `/api/alerts/${alertId}/ack`, {})).statusCode).toBe(200);
    expect((await volunteer('PATCH', `/api/households/${householdId}`, { room: '203' })).statusCode).toBe(403);
    expect((await client(s.app, ANONYMOUS)('POST', `/api/alerts/${alertId}/resolve`, { note: 'x' })).statusCode).toBe(
      401,
    );
    expect((await staff('DELETE', '/api/session')).statusCode).toBe(204);

    const local = '127.0.0.1';
    const rows = await eventuallyAudited(s, [
      {
        userId: null,
        username: 'admin',
        method: 'POST',
        route: '/api/session',
        record: null,
        status: 401,
        address: local,
      },
      {
        userId: null,
        username: 'nobody-by-this-name',
        method: 'POST',
        route: '/api/session',
        record: null,
        status: 401,
        address: local,
      },
      // (Which user logged in: the name and the record; its userId is checked in the next test.)
      {
        username: staffA.username,
        method: 'POST',
        route: '/api/session',
        record: `user:${staffA.id}`,
        status: 200,
        address: local,
      },
      {
        userId: staffA.id,
        username: staffA.username,
        method: 'POST',
        route: '/api/households',
        record: `household:${householdId}`,
        status: 201,
        address: local,
      },
      {
        userId: staffA.id,
        method: 'PATCH',
        route: '/api/households/:id',
        record: `household:${householdId}`,
        status: 200,
      },
      {
        username: volunteerA.username,
        method: 'POST',
        route: '/api/session',
        record: `user:${volunteerA.id}`,
        status: 200,
      },
      {
        username: volunteerA.username,
        method: 'POST',
        route: '/api/session',
        record: `user:${volunteerA.id}`,
        status: 200,
      },
      // Refused for CSRF: still on record, with who and from where.
      {
        userId: volunteerA.id,
        method: 'POST',
        route: '/api/households/:id/reports',
        record: String(householdId),
        status: 403,
        address: '10.8.0.7',
      },
      {
        userId: volunteerA.id,
        method: 'POST',
        route: '/api/households/:id/reports',
        record: `household:${householdId}/event:${eventId}`,
        status: 201,
      },
      { userId: volunteerA.id, method: 'POST', route: '/api/alerts/:id/ack', record: `alert:${alertId}`, status: 200 },
      {
        userId: volunteerA.id,
        method: 'PATCH',
        route: '/api/households/:id',
        record: String(householdId),
        status: 403,
      },
      {
        userId: null,
        username: null,
        method: 'POST',
        route: '/api/alerts/:id/resolve',
        record: String(alertId),
        status: 401,
      },
      { userId: staffA.id, method: 'DELETE', route: '/api/session', status: 204 },
    ]);
    expect(rows.every((r) => r.at === T0)).toBe(true);

    // Admins read it, newest first, through the API; others may not.
    const admin = client(s.app, await loginAdmin(s.app));
    const page = (await admin('GET', '/api/audit?limit=5')).json() as {
      items: Array<Record<string, unknown>>;
      next: string | null;
    };
    expect(page.items).toHaveLength(5);
    expect(page.items[0]).toMatchObject({
      method: 'POST',
      route: '/api/session',
      username: 'admin',
      status: 200,
      at: new Date(T0).toISOString(),
    });
    expect(page.items[1]).toMatchObject({ method: 'DELETE', route: '/api/session', userId: staffA.id });
    expect(page.next).not.toBeNull();
    const rest = (await admin('GET', `/api/audit?limit=1000&cursor=${page.next}`)).json() as {
      items: unknown[];
      next: string | null;
    };
    expect(rest.items).toHaveLength(rows.length + 1 - 5);
    expect(rest.next).toBeNull();
    expect((await volunteer('GET', '/api/audit')).statusCode).toBe(403);
  });

  it('when a login succeeds, then its audit row carries the id of the user who logged in (as every other row of theirs does)', async () => {
    const s = await system();
    const cast = await makeCast(s);
    const staff = await login(s.app, cast.users.staffA.username);
    expect((await client(s.app, staff)('DELETE', '/api/session')).statusCode).toBe(204);
    await eventuallyAudited(s, [
      {
        userId: cast.users.staffA.id,
        username: cast.users.staffA.username,
        route: '/api/session',
        method: 'POST',
        status: 200,
      },
      {
        userId: cast.users.staffA.id,
        username: cast.users.staffA.username,
        route: '/api/session',
        method: 'DELETE',
        status: 204,
      },
    ]);
  });

  it('when a login comes to a percent-encoded path (/%61pi/session), then it is still audited', async () => {
    const s = await system();
    const wrong = await s.app.inject({
      method: 'POST',
      url: '/%61pi/session',
      payload: { username: 'admin', password: 'wrong' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await s.app.inject({
      method: 'POST',
      url: '/%61pi/session',
      payload: { username: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    expect(right.statusCode).toBe(200);
    await eventuallyAudited(s, [
      { username: 'admin', route: '/api/session', status: 401 },
      { username: 'admin', route: '/api/session', status: 200 },
    ]);
  });

  it('when anyone tries to delete or change the audit log, then there is no route for it and the database refuses ("append-only")', async () => {
    const s = await system();
    const admin = client(s.app, await loginAdmin(s.app));
    await eventuallyAudited(s, [{ route: '/api/session', status: 200 }]);
    for (const [method, url] of [
      ['DELETE', '/api/audit'],
      ['DELETE', '/api/audit/1'],
      ['PATCH', '/api/audit/1'],
      ['PUT', '/api/audit'],
      ['POST', '/api/audit'],
    ] as const) {
      expectError(await admin(method, url, method === 'DELETE' ? undefined : {}), 404, 'RIBBON_ERR_NOT_FOUND');
    }
    const db = new Database(path.join(s.dataDir, DB_FILE_NAME));
    try {
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
      expect(() => db.prepare('UPDATE audit_log SET status = 200, username = NULL').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    // The failed attempts above are on record too.
    await vi.waitFor(() =>
      expect(auditRows(s).filter((r) => r.route.startsWith('/api/audit') && r.status === 404)).toHaveLength(5),
    );
    expect(auditRows(s)[0]).toMatchObject({ route: '/api/session', status: 200 });
  });
});
