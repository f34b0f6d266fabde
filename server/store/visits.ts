import type { VisitSeen } from '../domain/community.js';
import type { NewVisit, StoredVisit, VisitsStore } from '../app/ports.js';
import type { Db } from './db.js';

type VisitRow = {
  id: number;
  household_id: number;
  seen: VisitSeen;
  by: string;
  note: string | null;
  at: number;
  /** NULL only in a row written by hand: then it was received when seen. */
  received_at: number | null;
  idempotency_key: string | null;
};

const toVisit = (r: VisitRow): StoredVisit => ({
  id: r.id,
  householdId: r.household_id,
  seen: r.seen,
  by: r.by,
  note: r.note,
  at: r.at,
  receivedAt: r.received_at ?? r.at,
  idempotencyKey: r.idempotency_key,
});

export function createVisitsStore(db: Db): VisitsStore {
  // ON CONFLICT DO NOTHING: two resends racing on separate connections cannot both insert;
  // the loser finds the winner's row by its key.
  const insert = db.prepare<[number, VisitSeen, string, string | null, number, number, string | null]>(
    `INSERT INTO visits (household_id, seen, by, note, at, received_at, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (household_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
  );
  const byKey = db.prepare<[number, string], VisitRow>(
    'SELECT * FROM visits WHERE household_id = ? AND idempotency_key = ?',
  );
  // Keyset pagination over visits_household (household_id, at DESC, id DESC).
  const page = db.prepare<[number, number, number, number, number], VisitRow>(
    `SELECT * FROM visits WHERE household_id = ? AND (at < ? OR (at = ? AND id < ?))
     ORDER BY at DESC, id DESC LIMIT ?`,
  );

  return {
    /**
     * Records a visit once: with a key already used for this household, the earlier visit is
     * returned with `duplicate: true` and nothing is written. Run it in a transaction.
     */
    record(visit: NewVisit): { visitId: number; duplicate: boolean } {
      if (visit.idempotencyKey !== null) {
        const earlier = byKey.get(visit.householdId, visit.idempotencyKey);
        if (earlier) return { visitId: earlier.id, duplicate: true };
      }
      const result = insert.run(
        visit.householdId,
        visit.seen,
        visit.by,
        visit.note,
        visit.at,
        visit.receivedAt,
        visit.idempotencyKey,
      );
      if (result.changes === 0 && visit.idempotencyKey !== null) {
        const winner = byKey.get(visit.householdId, visit.idempotencyKey);
        if (winner) return { visitId: winner.id, duplicate: true };
      }
      return { visitId: Number(result.lastInsertRowid), duplicate: false };
    },
    /** Newest first, after the (at, id) position `before` (exclusive), at most `limit`. */
    pageForHousehold(householdId: number, before: { at: number; id: number } | null, limit: number): StoredVisit[] {
      const from = before ?? { at: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
      return page.all(householdId, from.at, from.at, from.id, limit).map(toVisit);
    },
  };
}
