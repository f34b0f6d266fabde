import type { RetentionStore } from '../app/retention.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/**
 * The retention job's deletes (app/retention.ts). Rows are walked in rowid order from where the
 * last chunk ended: rowids follow the server's clock (each row is stamped when it is inserted),
 * so the oldest come first and the walk stops at the first chunk with nothing old in it — no
 * index on the time columns is needed (none would be worth its cost on the press's path).
 */
const TABLES = {
  events: { table: 'events', time: 'received_at' },
  visits: { table: 'visits', time: 'received_at' },
  rejected: { table: 'rejected_messages', time: 'received_at' },
  audit: { table: 'audit_log', time: 'at' },
} as const;

export function createRetentionStore(db: Db): RetentionStore {
  type Chunk = { read: Statement<[number, number], { id: number; t: number | null }>; remove: Statement<[string]> };
  const statements = {} as Record<keyof typeof TABLES, Chunk>;
  for (const [key, { table, time }] of Object.entries(TABLES) as Array<
    [keyof typeof TABLES, (typeof TABLES)[keyof typeof TABLES]]
  >) {
    statements[key] = {
      read: db.prepare(`SELECT id, ${time} AS t FROM ${table} WHERE id > ? ORDER BY id LIMIT ?`),
      remove: db.prepare(`DELETE FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`),
    };
  }
  // An unresolved alert's events stay whatever their age: the alert is still being handled.
  const unresolvedEvents = db.prepare<[], { first: number | null; last: number | null }>(
    "SELECT first_event_id AS first, last_event_id AS last FROM alerts WHERE status <> 'resolved'",
  );
  const setAuditCutoff = db.prepare<[number]>('UPDATE audit_retention SET cutoff = max(cutoff, ?) WHERE id = 1');
  const lastSeq = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM household_changes');
  const pruneChanges = db.prepare<[number, number]>(
    'DELETE FROM household_changes WHERE seq IN (SELECT seq FROM household_changes WHERE seq <= ? ORDER BY seq LIMIT ?)',
  );

  return {
    deleteChunk(key, cutoff, after, limit) {
      const { read, remove } = statements[key];
      return db
        .transaction(() => {
          const rows = read.all(after, limit);
          const kept = new Set<number>();
          if (key === 'events') {
            for (const a of unresolvedEvents.all()) {
              if (a.first !== null) kept.add(a.first);
              if (a.last !== null) kept.add(a.last);
            }
          }
          // The audit log refuses any delete at or above this cutoff (migration 15's trigger).
          if (key === 'audit') setAuditCutoff.run(cutoff);
          const old = rows.filter((r) => r.t !== null && r.t < cutoff);
          const ids = old.filter((r) => !kept.has(r.id)).map((r) => r.id);
          if (ids.length > 0) remove.run(JSON.stringify(ids));
          const end = rows[rows.length - 1];
          if (end === undefined) return { deleted: 0, last: after, done: true };
          // Past the cutoff at the chunk's end: what follows is newer still.
          const done = rows.length < limit || end.t === null || end.t >= cutoff;
          return { deleted: ids.length, last: end.id, done };
        })
        .immediate();
    },
    pruneHouseholdChanges(keep, limit) {
      return db
        .transaction(() => {
          const seq = lastSeq.get()?.seq ?? null;
          if (seq === null || seq <= keep) return { deleted: 0, done: true };
          const deleted = pruneChanges.run(seq - keep, limit).changes;
          return { deleted, done: deleted < limit };
        })
        .immediate();
    },
  };
}
