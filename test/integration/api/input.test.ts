import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../../server/store/db.js';
import {
  client,
  expectError,
  listRoutes,
  login,
  loginAdmin,
  makeCast,
  type InjectResponse,
} from '../../helpers/api.js';
import { startTestSystem } from '../../helpers/system.js';
import { ManualClock } from '../../helpers/clock.js';

// Injection and bad input (issue 4, "Proof"): whatever a client sends, the answer is either the
// right thing or one of the catalogue's errors in the one shape, and nothing half-done is stored.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');

async function staffWorld(opts: { clock?: ManualClock } = {}) {
  const system = await startTestSystem({ scheduler: false, ...(opts.clock ? { clock: opts.clock } : {}) });
  const cast = await makeCast(system);
  const session = await login(system.app, cast.users.staffA.username);
  const staff = client(system.app, session);
  /** A raw request with the staff session: exact bytes and headers. */
  const raw = (method: 'POST' | 'PATCH', url: string, payload: string | Buffer, contentType = 'application/json') =>
    system.app.inject({
      method,
      url,
      payload,
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, 'content-type': contentType },
    });
  const snapshot = () => ({
    households: system.stores.places.listHouseholds().map((h) => ({ ...h })),
    events: system.stores.events.listForHousehold(cast.householdA).length,
    alerts: system.stores.alerts.list().length,
  });
  return { system, cast, staff, raw, snapshot };
}

function fieldPaths(res: InjectResponse): string[] {
  return (expectError(res, 400, 'RIBBON_ERR_VALIDATION').fields ?? []).map((f) => f.path);
}

const b64 = (value: string) => Buffer.from(value).toString('base64url');

describe('SQL metacharacters', () => {
  const NASTY = {
    name: "'; DROP TABLE households; --",
    compound: "Robert'); DROP TABLE compounds;-- 小区",
    building: '" OR 1=1 --',
    room: "1' OR '1'='1",
  };

  it('when names carry SQL metacharacters, then they are stored and answered verbatim and every table is intact', async () => {
    const { system, staff, cast } = await staffWorld();
    const admin = client(system.app, await loginAdmin(system.app));
    const created = await admin('POST', '/api/households', NASTY);
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json() as { id: number };
    expect((await admin('GET', `/api/households/${id}`)).json()).toMatchObject(NASTY);

    const renamed = await staff('PATCH', `/api/households/${cast.householdA}`, {
      name: '" OR 1=1; DELETE FROM events; --',
      room: "'; --",
    });
    expect(renamed.statusCode).toBe(200);
    const note = "'); UPDATE alerts SET status='resolved'; --";
    expect((await staff('POST', `/api/households/${cast.householdA}/reports`, { state: 'red', note })).statusCode).toBe(
      201,
    );

    const events = (await staff('GET', `/api/households/${cast.householdA}/events`)).json() as {
      items: Array<{ note: string | null }>;
    };
    expect(events.items[0]?.note).toBe(note);
    expect((await staff('GET', `/api/households/${cast.householdA}`)).json()).toMatchObject({
      name: '" OR 1=1; DELETE FROM events; --',
      room: "'; --",
    });
    expect(system.stores.alerts.list({ householdId: cast.householdA })).toEqual([
      expect.objectContaining({ kind: 'emergency', status: 'open' }),
    ]);
    // Every household is still there, and the metacharacters did not widen anyone's view.
    expect((await admin('GET', '/api/households')).json()).toMatchObject({ items: [{}, {}, {}] });
    expect((await staff('GET', '/api/households')).json()).toEqual({
      items: [expect.objectContaining({ id: cast.householdA })],
      next: null,
    });
  });

  it('when query parameters carry SQL metacharacters, then they are refused (400) rather than interpreted', async () => {
    const { staff } = await staffWorld();
    for (const [url, field] of [
      [`/api/alerts?householdId=${encodeURIComponent('1 OR 1=1')}`, 'querystring.householdId'],
      [`/api/alerts?status=${encodeURIComponent("open' OR '1'='1")}`, 'querystring.status'],
      [`/api/alerts?kind=${encodeURIComponent('emergency;--')}`, 'querystring.kind'],
      [`/api/households/${encodeURIComponent('1 OR 1=1')}`, 'params.id'],
      [`/api/reports/daily?day=${encodeURIComponent("2026-11-25' OR 1=1 --")}`, 'querystring.day'],
    ] as const) {
      expect(fieldPaths(await staff('GET', url)), url).toContain(field);
    }
  });
});

describe('bodies', () => {
  it('when a body is over 64 KiB, then 413 RIBBON_ERR_TOO_LARGE and nothing is stored', async () => {
    const { staff, cast, snapshot } = await staffWorld();
    const before = snapshot();
    const big = 'x'.repeat(64 * 1024 + 1);
    expectError(
      await staff('POST', `/api/households/${cast.householdA}/reports`, { state: 'red', note: big }),
      413,
      'RIBBON_ERR_TOO_LARGE',
    );
    expectError(
      await staff('POST', '/api/households', { name: big, compound: cast.compoundA.name, building: '1', room: '1' }),
      413,
      'RIBBON_ERR_TOO_LARGE',
    );
    expect(snapshot()).toEqual(before);
  });

  it.each([
    ['a number for the ribbon state', 'POST', '/reports', { state: 5 }, 'body.state'],
    ['an unknown ribbon colour', 'POST', '/reports', { state: 'green' }, 'body.state'],
    ['a number for a name', 'PATCH', '', { name: 123 }, 'body.name'],
    ['a string for a number', 'PATCH', '', { checkin: { everySec: '3600', graceSec: 0 } }, 'body.checkin'],
    ['null for a name', 'PATCH', '', { name: null }, 'body.name'],
    ['an array for the body', 'PATCH', '', [{ name: 'x' }], 'body'],
    ['an empty name', 'PATCH', '', { name: '' }, 'body.name'],
    ['a 101-character name', 'PATCH', '', { name: '名'.repeat(101) }, 'body.name'],
    ['an unknown field', 'POST', '/reports', { state: 'red', colour: 'red' }, 'body.colour'],
    ['a misspelt field', 'PATCH', '', { nmae: '张' }, 'body.nmae'],
    ['a missing field', 'POST', '/reports', { note: 'no state' }, 'body.state'],
  ] as const)(
    'when a household request has %s, then 400 names the field (%s %s → %s)',
    async (_what, method, suffix, body, field) => {
      const { staff, cast, snapshot } = await staffWorld();
      const before = snapshot();
      expect(fieldPaths(await staff(method, `/api/households/${cast.householdA}${suffix}`, body))).toContain(field);
      expect(snapshot()).toEqual(before);
    },
  );

  it('when a new household has wrong types everywhere, then one 400 lists every field', async () => {
    const { staff } = await staffWorld();
    const paths = fieldPaths(
      await staff('POST', '/api/households', {
        name: 123,
        compound: ['阳光小区'],
        building: null,
        room: 5,
        extra: true,
      }),
    );
    expect(paths).toEqual(
      expect.arrayContaining(['body.name', 'body.compound', 'body.building', 'body.room', 'body.extra']),
    );
  });

  it('when other routes get wrong types or unknown fields, then 400 names the field (no coercion)', async () => {
    const { system, cast } = await staffWorld();
    const admin = client(system.app, await loginAdmin(system.app));
    expect(
      fieldPaths(await admin('POST', '/api/tokens', { userId: String(cast.users.staffA.id), name: 'x' })),
    ).toContain('body.userId');
    expect(
      fieldPaths(await admin('POST', '/api/tokens', { userId: cast.users.staffA.id, name: 'x', scope: 'all' })),
    ).toContain('body.scope');
    expect(
      fieldPaths(await admin('POST', '/api/session', { username: 'admin', password: 'x', remember: true })),
    ).toContain('body.remember');
    expect(fieldPaths(await admin('POST', '/api/devices', { householdId: 1.5 }))).toContain('body.householdId');
    expect(fieldPaths(await admin('GET', '/api/households?colour=red'))).toContain('querystring.colour');
    expect(fieldPaths(await admin('GET', '/api/households/0'))).toContain('params.id');
    expect(fieldPaths(await admin('GET', '/api/households/1e3'))).toContain('params.id');
    expect(fieldPaths(await admin('GET', `/api/households/${'9'.repeat(16)}`))).toContain('params.id');
  });

  it('when a body is not JSON, then 400 RIBBON_ERR_BAD_JSON (or 415 for another media type) and nothing is stored', async () => {
    const { raw, cast, snapshot } = await staffWorld();
    const before = snapshot();
    const url = `/api/households/${cast.householdA}/reports`;
    for (const body of ['{"state":', '{state:"red"}', "{'state':'red'}", '{"state":"red"}}', '', 'null x', '\u0000']) {
      expectError(await raw('POST', url, body), 400, 'RIBBON_ERR_BAD_JSON');
    }
    // A prototype-poisoning body is refused outright, not parsed.
    expectError(await raw('POST', url, '{"state":"red","__proto__":{"isAdmin":true}}'), 400, 'RIBBON_ERR_BAD_JSON');
    expectError(
      await raw('POST', url, 'state=red', 'application/x-www-form-urlencoded'),
      415,
      'RIBBON_ERR_UNSUPPORTED_MEDIA',
    );
    // fastify reads text/plain as a string (the one content type a cross-site form can send as
    // JSON-looking text); the schema refuses a string body, so the JSON inside is never used.
    expect(fieldPaths(await raw('POST', url, '{"state":"red"}', 'text/plain'))).toEqual(['body']);
    expect(snapshot()).toEqual(before);
  });

  it('when a JSON body has bytes that are not UTF-8, then 400 RIBBON_ERR_BAD_JSON and nothing is stored (not a name full of U+FFFD)', async () => {
    const { raw, cast, snapshot } = await staffWorld();
    const before = snapshot();
    const bad = (prefix: string, suffix: string) =>
      Buffer.concat([Buffer.from(prefix), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(suffix)]);
    const answers = [
      await raw(
        'POST',
        '/api/households',
        bad('{"name":"张', `","compound":"${cast.compoundA.name}","building":"1号楼","room":"1"}`),
      ),
      await raw('PATCH', `/api/households/${cast.householdA}`, bad('{"name":"', '"}')),
      await raw('POST', `/api/households/${cast.householdA}/reports`, bad('{"state":"red","note":"', '"}')),
    ];
    for (const res of answers) expectError(res, 400, 'RIBBON_ERR_BAD_JSON');
    expect(snapshot()).toEqual(before);
    // GBK bytes sent as JSON are not UTF-8 either.
    expectError(
      await raw(
        'PATCH',
        `/api/households/${cast.householdA}`,
        Buffer.from([...Buffer.from('{"name":"'), 0xd5, 0xc5, ...Buffer.from('"}')]),
      ),
      400,
      'RIBBON_ERR_BAD_JSON',
    );
  });

  it('when an alert is acknowledged with no body at all (POST /api/alerts/:id/ack, as docs/design.md §4 writes it), then it is acknowledged', async () => {
    const { system, staff, cast } = await staffWorld();
    system.recordPersonReport({
      householdId: cast.householdA,
      state: 'red',
      note: null,
      by: 'test',
      idempotencyKey: null,
    });
    const alert = system.stores.alerts.list({ householdId: cast.householdA })[0];
    const res = await staff('POST', `/api/alerts/${alert?.id}/ack`);
    // A dashboard button may send no body: the note is optional, so this acknowledges.
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'acknowledged' });
  });
});

describe('paging', () => {
  const LISTS = [
    ['households', (_h: number) => `/api/households`],
    ['household events', (h: number) => `/api/households/${h}/events`],
    ['alerts', (_h: number) => `/api/alerts`],
    ['audit log', (_h: number) => `/api/audit`],
    // The community's short lists answer in one page, but they are lists all the same (docs/design.md §4).
    ['compounds', (_h: number) => `/api/compounds`],
    ['people', (_h: number) => `/api/people`],
    ['users', (_h: number) => `/api/users`],
  ] as const;

  it.each(LISTS)(
    'when the %s list gets a limit outside 1–1000 or a cursor the server did not give out, then 400 names the parameter',
    async (_name, urlOf) => {
      const { system, cast } = await staffWorld();
      const admin = client(system.app, await loginAdmin(system.app));
      const url = urlOf(cast.householdA);
      expect((await admin('GET', `${url}?limit=1000`)).statusCode).toBe(200);
      expect((await admin('GET', `${url}?limit=1`)).statusCode).toBe(200);
      const problems: string[] = [];
      for (const limit of ['0', '1001', 'abc', '-1', '1.5', '', '99999']) {
        const res = await admin('GET', `${url}?limit=${limit}`);
        if (res.statusCode !== 400) problems.push(`limit=${limit} → ${res.statusCode}`);
        else expect(fieldPaths(res)).toContain('querystring.limit');
      }
      const forged = [
        'not-a-cursor!',
        b64('{"id":"1 OR 1=1"}'),
        b64('{"id":1.5}'),
        b64('[]'),
        b64('{"receivedAt":"x","openedAt":"x","id":"x"}'),
        b64('{"id":9007199254740993}'),
        b64("'; DROP TABLE households; --"),
        'A'.repeat(201),
      ];
      for (const cursor of forged) {
        const res = await admin('GET', `${url}?cursor=${encodeURIComponent(cursor)}`);
        if (res.statusCode !== 400) problems.push(`cursor=${cursor.slice(0, 30)} → ${res.statusCode}`);
        else expect(fieldPaths(res)).toContain('querystring.cursor');
      }
      expect(problems).toEqual([]);
    },
  );

  it('when lists are walked with limit=2, then every item comes exactly once and next is null at the end (ties in time included)', async () => {
    const clock = new ManualClock(T0);
    const { system, cast, staff } = await staffWorld({ clock });
    for (let i = 0; i < 4; i++) system.provision({ compound: cast.compoundA.name });
    for (let i = 0; i < 5; i++)
      expect(
        (await staff('POST', `/api/households/${cast.householdA}/reports`, { state: i % 2 ? 'blue' : 'yellow' }))
          .statusCode,
      ).toBe(201);
    for (const h of system.stores.places.listHouseholds())
      system.recordPersonReport({ householdId: h.id, state: 'red', note: null, by: 'test', idempotencyKey: null });

    const walk = async (url: string) => {
      const seen: number[] = [];
      let next: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const res = await staff(
          'GET',
          `${url}${url.includes('?') ? '&' : '?'}limit=2${next === null ? '' : `&cursor=${encodeURIComponent(next)}`}`,
        );
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json() as { items: Array<{ id: number }>; next: string | null };
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((i) => i.id));
        next = page.next;
        if (next === null) return seen;
      }
      throw new Error(`${url}: no end after 20 pages`);
    };
    const households = await walk('/api/households');
    expect(households).toEqual(
      system.stores.places
        .listHouseholds()
        .filter((h) => h.compoundId === cast.compoundA.id)
        .map((h) => h.id),
    );
    const events = await walk(`/api/households/${cast.householdA}/events`);
    expect(events).toEqual(system.stores.events.listForHousehold(cast.householdA).map((e) => e.id));
    expect(events).toHaveLength(6);
    const alerts = await walk('/api/alerts');
    expect(new Set(alerts).size).toBe(alerts.length);
    const inA = new Set(
      system.stores.places
        .listHouseholds()
        .filter((h) => h.compoundId === cast.compoundA.id)
        .map((h) => h.id),
    );
    expect(alerts.sort()).toEqual(
      system.stores.alerts
        .list()
        .filter((a) => inA.has(a.householdId))
        .map((a) => a.id)
        .sort(),
    );
    expect(alerts).toHaveLength(5 /* red, one a household of A */ + 1 /* the yellow service request */);
  });
});

describe('server errors', () => {
  it('when the database fails under a request, then 500 RIBBON_ERR_INTERNAL without the error, a stack or a path, and the log has it', async () => {
    const { system, staff, cast } = await staffWorld();
    const db = new Database(path.join(system.dataDir, DB_FILE_NAME));
    try {
      db.exec(
        "CREATE TRIGGER explode BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'secret-internal-detail'); END;",
      );
    } finally {
      db.close();
    }
    const res = await staff('POST', `/api/households/${cast.householdA}/reports`, { state: 'red', note: '测试' });
    const error = expectError(res, 500, 'RIBBON_ERR_INTERNAL');
    expect(error.fields).toBeUndefined();
    expect(res.body).not.toMatch(
      /secret-internal-detail|Sqlite|sqlite|stack|\bat \S+:\d+|\/work\/|node_modules|\.ts\b/,
    );
    expect(system.stores.alerts.list({ householdId: cast.householdA })).toEqual([]);
    expect(
      system.logs.find((l) => l.msg === 'request failed' && JSON.stringify(l).includes('secret-internal-detail')),
    ).toBeDefined();
  });

  it('when a route does not exist, then 404 in the same shape', async () => {
    const { staff } = await staffWorld();
    expectError(await staff('GET', '/api/nothing-here'), 404, 'RIBBON_ERR_NOT_FOUND');
    expectError(await staff('POST', '/api/households/1/nothing', {}), 404, 'RIBBON_ERR_NOT_FOUND');
  });
});

describe('browser caches', () => {
  it('when anything under /api answers (every GET route, the login with its CSRF token, 400, 401, 404), then cache-control is no-store', async () => {
    const { system, cast } = await staffWorld();
    const login = await system.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { username: cast.users.staffA.username, password: 'test-user-password' },
    });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json()).toMatchObject({ csrfToken: expect.any(String) });
    const admin = client(system.app, await loginAdmin(system.app));
    const answers: Array<[string, InjectResponse]> = [['POST /api/session', login]];
    // Every GET route the app has, with the ids of real records, as an admin (contacts' phones included).
    for (const route of listRoutes(system.app).filter((r) => r.startsWith('GET /api/'))) {
      const url = route.slice('GET '.length).replace(':id', String(cast.householdA));
      answers.push([route, await admin('GET', url)]);
    }
    answers.push(['400', await admin('GET', '/api/households?limit=0')]);
    answers.push(['401', await system.app.inject({ method: 'GET', url: '/api/households' })]);
    answers.push(['404', await admin('GET', '/api/nothing-here')]);
    expect(answers.length).toBeGreaterThan(15);
    expect(answers.filter(([, res]) => res.statusCode === 200).length).toBeGreaterThan(10);
    for (const [what, res] of answers)
      expect(res.headers['cache-control'], `${what} → ${res.statusCode}`).toBe('no-store');
    // Not the API: the health check and the docs keep their own caching.
    expect((await system.app.inject({ method: 'GET', url: '/healthz' })).headers['cache-control']).toBeUndefined();
  });
});

describe('the API documentation', () => {
  it('when /docs/json is fetched, then it is an OpenAPI 3 document with every /api route the app has', async () => {
    const system = await startTestSystem({ scheduler: false });
    const res = await system.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, unknown>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'session']);
    const apiRoutes = listRoutes(system.app).filter((r) => r.includes(' /api/'));
    expect(apiRoutes.length).toBeGreaterThan(20);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(
      apiRoutes.filter((r) => !documented.includes(r)),
      'routes missing from the OpenAPI document',
    ).toEqual([]);
  });

  it('when /docs is opened, then the page and every script and style it loads come from this server (no CDN)', async () => {
    const system = await startTestSystem({ scheduler: false });
    for (const url of ['/docs', '/docs/']) {
      const page = await system.app.inject({ method: 'GET', url });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const refs = [...page.body.matchAll(/<(script|link)\b[^>]*?\b(src|href)\s*=\s*["']([^"']+)["']/gi)].map(
        (m) => m[3] as string,
      );
      expect(refs.length).toBeGreaterThanOrEqual(4);
      for (const ref of refs) {
        expect(ref, `${url} loads ${ref}`).not.toMatch(/^(?:[a-z][a-z0-9+.-]*:)?\/\//i);
        const resolved = new URL(ref, `http://127.0.0.1${url}`);
        expect(resolved.host).toBe('127.0.0.1');
        const asset = await system.app.inject({ method: 'GET', url: resolved.pathname });
        expect(asset.statusCode, resolved.pathname).toBe(200);
      }
      expect(page.body).not.toMatch(/(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    }
    // Swagger UI would otherwise fetch a validity badge from validator.swagger.io.
    const init = await system.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toMatch(/validatorUrl:\s*null/);
    expect(init.body).toMatch(/url:\s*resolveUrl\('\.\/json'\)/);
  });
});
