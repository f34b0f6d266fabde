import type { CallReport, CallResultWord } from '../notify/call-report.js';
import type { Stores } from './ports.js';

export type { CallResultWord } from '../notify/call-report.js';

/** A call's result as stored (call_results): `at` by the provider's clock, `receivedAt` by ours. */
export type StoredCallResult = {
  outboxId: number;
  result: CallResultWord;
  detail: string;
  at: number;
  receivedAt: number;
};

/**
 * Records what a voice provider reported about the calls of ONE channel (issue 13): each report
 * is matched by its call id to the outbox row of that channel the provider accepted it as
 * (`outbox.provider_ref`) — a call id of another channel, or of nobody, matches nothing, so a
 * channel's callback key can write only about its own calls. A report pushed again (providers
 * retry until answered) changes nothing.
 */
export function recordCallReports(
  stores: Pick<Stores, 'callResults' | 'transaction'>,
  channelId: number,
  reports: readonly CallReport[],
  now: number,
): { recorded: number; repeated: number; unknown: string[]; alertIds: number[] } {
  let recorded = 0;
  let repeated = 0;
  const unknown: string[] = [];
  const alertIds = new Set<number>();
  stores.transaction(() => {
    for (const r of reports) {
      const row = stores.callResults.rowByRef(channelId, r.callId);
      if (row === null) {
        unknown.push(r.callId);
        continue;
      }
      const fresh = stores.callResults.record({
        outboxId: row.id,
        result: r.result,
        detail: r.detail,
        at: r.at ?? now,
        receivedAt: now,
      });
      if (fresh) {
        recorded += 1;
        if (row.alertId !== null) alertIds.add(row.alertId);
      } else repeated += 1;
    }
  });
  return { recorded, repeated, unknown, alertIds: [...alertIds] };
}

/**
 * The result to show for a call: the latest by the provider's clock, except that an answer
 * outranks what came after it (Alibaba reports "answered" while the call runs, then how it ended).
 */
export function latestResult(results: readonly StoredCallResult[]): StoredCallResult | null {
  let best: StoredCallResult | null = null;
  for (const r of results) {
    if (best === null) best = r;
    else if (best.result === 'answered' && r.result !== 'answered') continue;
    else if (r.result === 'answered' || r.at >= best.at) best = r;
  }
  return best;
}
