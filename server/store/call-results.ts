import type { StoredCallResult } from '../app/call-results.js';
import type { CallResultsStore } from '../app/ports.js';
import type { Db } from './db.js';

type Row = { outbox_id: number; result: StoredCallResult['result']; detail: string; at: number; received_at: number };

/** Call results from the voice providers' callbacks (migration 7: call_results). */
export function createCallResultsStore(db: Db): CallResultsStore {
  // Through the partial index on provider_ref; the channel keeps one provider's ids from another's.
  const byRef = db.prepare<[string, number], { id: number; alert_id: number | null }>(
    "SELECT id, alert_id FROM outbox WHERE provider_ref = ? AND channel_id = ? AND target = 'channel' ORDER BY id LIMIT 1",
  );
  const insert = db.prepare<[number, string, string, number, number]>(
    'INSERT INTO call_results (outbox_id, result, detail, at, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (outbox_id, result) DO NOTHING',
  );
  const forAlert = db.prepare<[number], Row>(
    `SELECT c.outbox_id, c.result, c.detail, c.at, c.received_at FROM call_results c
     JOIN outbox o ON o.id = c.outbox_id WHERE o.alert_id = ? ORDER BY c.at, c.id`,
  );
  return {
    rowByRef(channelId: number, providerRef: string) {
      const r = byRef.get(providerRef, channelId);
      return r === undefined ? null : { id: r.id, alertId: r.alert_id };
    },
    record(r: StoredCallResult): boolean {
      return insert.run(r.outboxId, r.result, r.detail, r.at, r.receivedAt).changes === 1;
    },
    forAlert(alertId: number): StoredCallResult[] {
      return forAlert.all(alertId).map((r) => ({
        outboxId: r.outbox_id,
        result: r.result,
        detail: r.detail,
        at: r.at,
        receivedAt: r.received_at,
      }));
    },
  };
}
