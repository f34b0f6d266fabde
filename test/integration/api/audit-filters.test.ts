import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from '../../../server/app/ports.js';
import { DB_FILE_NAME } from '../../../server/store/db.js';
import { client, expectError, type InjectResponse, login, loginAdmin, makeCast } from '../../helpers/api.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// GET /api/audit's filters (issue 15): each narrows, the paging is kept, each is validated, and
// the ones a large log needs are served by an index. Rows are written through the store (the
// audit hook's own way in) with chosen times; read through app.inject() as the admin.

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

type Row = Omit<AuditEntry, 'id'>;

function rows(): Row[] {
  const out: Row[] = [];
  const people = ['zhang', 'Li', 'wang'];
  const routes = ['/api/households/:id', '/api/households/:id/close', '/api/people/:id', '/api/session'];
  const methods = ['POST', 'PATCH', 'DELETE', 'GET'];
  const statuses = [200, 201, 403, 404, 409];
  for (let i = 0; i < 60; i++) {
    out.push({
      at: T0 + i * DAY,
      userId: i % 3 === 2 ? null : i % 3,
      username: people[i % 3] ?? null,
      method: methods[i % 4] ?? 'POST',
      route: routes[i % 4] ?? '/api/session',
      record: i % 5 === 4 ? null : `household:${i % 13}`,
      status: statuses[i % 5] ?? 200,
      address: '10.0.0.1',
    });
  }
  return out;
}

type Item = {
  id: number;
  at: string;
  username: string | null;
  method: string;
  route: string;
  record: string | null;
  status: number;
};

async function seeded(): Promise<{
  s: TestSystem;
  get: (url: string) => Promise<InjectResponse>;
}> {
  const s = await startTestSystem({ scheduler: false });
  const admin = client(s.app, await loginAdmin(s.app));
  // The admin's login row is written after its answer: wait for it, so nothing is written while reading.
  await vi.waitFor(() => expect(s.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 10)).toHaveLength(1));
  for (const row of rows()) s.stores.users.audit(row);
  return { s, get: (url) => admin('GET', url) };
}

/** Every item of a filtered list, page by page (3 a page), checking the pages join up. */
async function all(get: (url: string) => Promise<InjectResponse>, query: string): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res = await get(`/api/audit?limit=3${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: Item[]; next: string | null };
    items.push(...body.items);
    cursor = body.next;
    if (cursor === null) return items;
  }
  throw new Error('more than 100 pages');
}

describe('GET /api/audit filters', () => {
  const FILTERS: Array<[string, string, (r: Item) => boolean]> = [
    ['username (any case)', 'username=ZHANG', (r) => r.username === 'zhang'],
    ['username with another case stored', 'username=li', (r) => r.username === 'Li'],
    ['method', 'method=PATCH', (r) => r.method === 'PATCH'],
    ['route prefix', `route=${encodeURIComponent('/api/households')}`, (r) => r.route.startsWith('/api/households')],
    [
      'route exact',
      `route=${encodeURIComponent('/api/households/:id/close')}`,
      (r) => r.route === '/api/households/:id/close',
    ],
    ['record prefix', 'record=household%3A1', (r) => r.record?.startsWith('household:1') === true],
    ['record exact', 'record=household%3A12', (r) => r.record === 'household:12'],
    ['status', 'status=409', (r) => r.status === 409],
    ['status class', 'status=4xx', (r) => r.status >= 400 && r.status < 500],
    [
      'from (inclusive)',
      `from=${encodeURIComponent('2026-12-01T08:00:00+08:00')}`,
      (r) => Date.parse(r.at) >= Date.parse('2026-12-01T00:00:00Z'),
    ],
    ['to (exclusive)', 'to=2026-11-11T00:00:00Z', (r) => Date.parse(r.at) < Date.parse('2026-11-11T00:00:00Z')],
    [
      'all at once',
      `username=zhang&method=POST&route=%2Fapi%2Fhouseholds&record=household&status=2xx&from=2026-11-01T00:00:00Z&to=2026-12-20T00:00:00Z`,
      (r) =>
        r.username === 'zhang' &&
        r.method === 'POST' &&
        r.route.startsWith('/api/households') &&
        r.record?.startsWith('household') === true &&
        r.status < 300 &&
        Date.parse(r.at) < Date.parse('2026-12-20T00:00:00Z'),
    ],
  ];

  it('when filtered by each filter (and all at once), then exactly the matching rows come, newest first, over pages', async () => {
    const { get } = await seeded();
    const everything = await all(get, '');
    expect(everything.length).toBe(61);
    for (const [what, query, keep] of FILTERS) {
      const expected = everything.filter(keep).map((r) => r.id);
      expect(expected.length, what).toBeGreaterThan(0);
      expect(expected.length, what).toBeLessThan(everything.length);
      expect(
        (await all(get, query)).map((r) => r.id),
        what,
      ).toEqual(expected);
    }
  });

  const BAD: Array<[string, string]> = [
    ['method=FETCH', 'querystring.method'],
    ['status=99', 'querystring.status'],
    ['status=4x', 'querystring.status'],
    ['from=yesterday', 'querystring.from'],
    ['from=2026-02-30T00:00:00Z', 'querystring.from'],
    ['to=2026-11-01T00:00:00', 'querystring.to'],
    ['from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'querystring.to'],
    ['username=', 'querystring.username'],
    [`record=${'x'.repeat(301)}`, 'querystring.record'],
    ['user=zhang', 'querystring'],
  ];

  it('when a filter is not valid, then 400 naming the field', async () => {
    const { get } = await seeded();
    for (const [query, field] of BAD) {
      const error = expectError(await get(`/api/audit?${query}`), 400, 'RIBBON_ERR_VALIDATION');
      expect(error.fields?.map((f) => f.path).join(' '), query).toContain(field);
    }
  });

  it('when a volunteer asks with filters, then 403', async () => {
    const s = await startTestSystem({ scheduler: false });
    const cast = await makeCast(s);
    const volunteer = client(s.app, await login(s.app, cast.users.volunteerA.username));
    expect((await volunteer('GET', '/api/audit?username=admin')).statusCode).toBe(403);
  });

  it('when filtered by username, record or route, then an index is searched, not the whole table', async () => {
    const { s } = await seeded();
    const db = new Database(path.join(s.dataDir, DB_FILE_NAME), { readonly: true });
    try {
      for (const [condition, index] of [
        ["username = 'li' COLLATE NOCASE", 'audit_log_username'],
        ["record >= 'household:1' AND record < 'household:2'", 'audit_log_record'],
        ["route >= '/api/people' AND route < '/api/peoplf'", 'audit_log_route'],
      ]) {
        const plan = db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT * FROM audit_log WHERE id < 1e15 AND ${condition} ORDER BY id DESC LIMIT 10`,
          )
          .all()
          .map((r) => (r as { detail: string }).detail)
          .join('; ');
        expect(plan, condition).toContain(`USING INDEX ${index}`);
      }
    } finally {
      db.close();
    }
  });
});
