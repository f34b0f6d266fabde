import { describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from '../../../server/app/ports.js';
import {
  ANONYMOUS_ROWS_PER_MINUTE,
  AUDIT_FIELD_MAX,
  UNAUDITED_LOG_LINES_PER_MINUTE,
} from '../../../server/api/audit.js';
import { ANONYMOUS, client, loginAdmin, loginRequest, type Caller } from '../../helpers/api.js';
import { ManualClock } from '../../helpers/clock.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// The guards of the HTTP side against traffic nobody asked for: what the audit log keeps, how
// long a request may take to arrive, how many connections are held, and the security headers.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');

function auditRows(s: TestSystem): AuditEntry[] {
  return s.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 10_000).reverse();
}

/**
 * Rows are written after the answer is sent: a last audited request by the admin, once its row is
 * there, says every earlier request's hook has run too.
 */
async function settleAudit(s: TestSystem, admin: Caller): Promise<AuditEntry[]> {
  const marker = `/api/settle-${Math.random().toString(36).slice(2)}`;
  expect((await client(s.app, admin)('POST', marker, {})).statusCode).toBe(404);
  await vi.waitFor(() => expect(auditRows(s).at(-1)?.route).toBe(marker), { timeout: 2000 });
  return auditRows(s).filter((r) => !r.route.startsWith('/api/settle-'));
}

const unauditedLines = (s: TestSystem) =>
  s.logs.lines.filter((l) => l.msg === 'request by nobody signed in: not audited');

describe('the audit log records what people did', () => {
  it('when nobody signed in sends state-changing requests to routes that do not exist, then no row is written and the log says so at a bounded rate, with a count', async () => {
    const clock = new ManualClock(T0);
    const s = await startTestSystem({ scheduler: false, clock });
    const admin = await loginAdmin(s.app);
    const before = await settleAudit(s, admin);
    const anonymous = client(s.app, ANONYMOUS);
    const long = `/api/${'x'.repeat(15_000)}`;
    const tries = UNAUDITED_LOG_LINES_PER_MINUTE + 15;
    for (let i = 0; i < tries; i++) {
      const method = (['POST', 'PATCH', 'DELETE'] as const)[i % 3] ?? 'POST';
      expect((await anonymous(method, i % 2 === 0 ? long : `/api/nothing-here/${i}`, {})).statusCode).toBe(401);
    }
    expect(await settleAudit(s, admin)).toEqual(before);
    const lines = unauditedLines(s);
    expect(lines).toHaveLength(UNAUDITED_LOG_LINES_PER_MINUTE);
    expect(lines[0]).toMatchObject({ method: 'POST', status: 401, address: '127.0.0.1' });
    expect(String(lines[0]?.path).length).toBeLessThanOrEqual(AUDIT_FIELD_MAX);
    // The per-request lines of fastify are left out for them too (none carries the long path).
    expect(s.logs.lines.some((l) => JSON.stringify(l).includes('x'.repeat(AUDIT_FIELD_MAX + 1)))).toBe(false);

    // A minute later the first line tells how many were left out.
    clock.ms += 60_000;
    expect((await anonymous('POST', '/api/nothing-here', {})).statusCode).toBe(401);
    await settleAudit(s, admin);
    expect(unauditedLines(s).at(-1)).toMatchObject({ alsoNotLogged: tries - UNAUDITED_LOG_LINES_PER_MINUTE });
  });

  it('when nobody signed in floods a real route with 401s, then at most a minute’s budget of rows is kept, and the next minute keeps rows again', async () => {
    const clock = new ManualClock(T0);
    const s = await startTestSystem({ scheduler: false, clock });
    const admin = await loginAdmin(s.app);
    const anonymous = client(s.app, ANONYMOUS);
    const flood = ANONYMOUS_ROWS_PER_MINUTE + 20;
    for (let i = 0; i < flood; i++) {
      expect((await anonymous('POST', `/api/alerts/${i}/resolve`, { note: 'x' })).statusCode).toBe(401);
    }
    let rows = (await settleAudit(s, admin)).filter((r) => r.route === '/api/alerts/:id/resolve');
    expect(rows).toHaveLength(ANONYMOUS_ROWS_PER_MINUTE);
    expect(rows[0]).toMatchObject({ userId: null, username: null, record: '0', status: 401 });

    clock.ms += 60_000;
    expect((await anonymous('POST', '/api/alerts/1/resolve', { note: 'x' })).statusCode).toBe(401);
    rows = (await settleAudit(s, admin)).filter((r) => r.route === '/api/alerts/:id/resolve');
    expect(rows).toHaveLength(ANONYMOUS_ROWS_PER_MINUTE + 1);
  });

  it('when a login is refused by the throttle before any check (429), then it leaves no row; the failed tries before it do', async () => {
    const s = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(s.app);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await loginRequest(s.app, 'admin', 'wrong')).statusCode);
    expect(statuses).toContain(429);
    const rows = (await settleAudit(s, admin)).filter((r) => r.route === '/api/session' && r.username === 'admin');
    expect(rows.map((r) => r.status)).toEqual([200, ...statuses.filter((c) => c !== 429)]);
  });

  it('when someone signed in sends a request to a 15,000-character path, then the row is kept with the path cut short', async () => {
    const s = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(s.app);
    const api = client(s.app, admin);
    expect((await api('POST', `/api/${'y'.repeat(15_000)}`, {})).statusCode).toBe(404);
    const rows = await settleAudit(s, admin);
    const unknown = rows.find((r) => r.route.startsWith('/api/yyy'));
    expect(unknown).toMatchObject({ method: 'POST', status: 404, username: 'admin' });
    expect(unknown?.route.length).toBe(AUDIT_FIELD_MAX);
    expect(unknown?.route.endsWith('…')).toBe(true);
  });
});
