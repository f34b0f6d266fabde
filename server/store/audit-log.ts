import type { Statement } from 'better-sqlite3';
import type { AuditEntry, AuditFilter } from '../app/ports.js';
import type { Db } from './db.js';

type AuditRow = {
  id: number;
  at: number;
  user_id: number | null;
  username: string | null;
  method: string;
  route: string;
  record: string | null;
  status: number;
  address: string | null;
};

/**
 * The bounds of the strings that start with `prefix`, in SQLite's BINARY order (UTF-8 bytes,
 * which is code point order): [prefix, the prefix with its last code point raised by one), so
 * that a prefix is a range an index can seek. `null`: no upper bound (a prefix of U+10FFFF only).
 */
export function prefixRange(prefix: string): { low: string; high: string | null } {
  const points = Array.from(prefix);
  for (let i = points.length - 1; i >= 0; i--) {
    const cp = points[i]?.codePointAt(0) ?? 0;
    if (cp >= 0x10ffff) continue;
    // Surrogates are no characters: the code point after U+D7FF is U+E000.
    const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
    return { low: prefix, high: points.slice(0, i).join('') + String.fromCodePoint(next) };
  }
  return { low: prefix, high: null };
}

/**
 * The audit log read newest first, narrowed by GET /api/audit's filters. Each filter is a
 * condition an index of migration 16 serves (username, record and route with the id, so "newest
 * first" of one person or one record is a seek and a walk; the time through `at`); the statement
 * for each combination of filters is prepared once.
 */
export function createAuditReader(db: Db) {
  const statements = new Map<string, Statement<unknown[], AuditRow>>();

  function statementFor(key: string, where: string[]): Statement<unknown[], AuditRow> {
    let statement = statements.get(key);
    if (statement === undefined) {
      statement = db.prepare<unknown[], AuditRow>(
        `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      );
      statements.set(key, statement);
    }
    return statement;
  }

  return function auditPage(before: number, limit: number, filter: AuditFilter = {}): AuditEntry[] {
    const where = ['id < ?'];
    const args: unknown[] = [before];
    if (filter.username !== undefined) {
      where.push('username = ? COLLATE NOCASE');
      args.push(filter.username);
    }
    if (filter.method !== undefined) {
      where.push('method = ?');
      args.push(filter.method);
    }
    for (const [column, prefix] of [
      ['route', filter.routePrefix],
      ['record', filter.recordPrefix],
    ] as const) {
      if (prefix === undefined || prefix === '') continue;
      const { low, high } = prefixRange(prefix);
      where.push(`${column} >= ?`);
      args.push(low);
      if (high !== null) {
        where.push(`${column} < ?`);
        args.push(high);
      }
    }
    if (filter.status !== undefined) {
      where.push('status BETWEEN ? AND ?');
      args.push(filter.status.min, filter.status.max);
    }
    if (filter.from !== undefined) {
      where.push('at >= ?');
      args.push(filter.from);
    }
    if (filter.to !== undefined) {
      where.push('at < ?');
      args.push(filter.to);
    }
    args.push(limit);
    return statementFor(where.join(' AND '), where)
      .all(...args)
      .map((r) => ({
        id: r.id,
        at: r.at,
        userId: r.user_id,
        username: r.username,
        method: r.method,
        route: r.route,
        record: r.record,
        status: r.status,
        address: r.address,
      }));
  };
}
