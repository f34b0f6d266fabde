import type { Logger } from 'pino';

/** What the retention job deletes, table by table (docs/privacy.md). */
export const RETAINED = ['events', 'visits', 'rejected', 'audit', 'householdChanges'] as const;
export type Retained = (typeof RETAINED)[number];

/**
 * The store's side of the retention job. Each call is ONE short transaction on at most `limit`
 * rows (SQLite has one write lock, and the safety core's presses wait for it): the use case calls
 * again, after yielding to the event loop, until a call says it is done.
 */
export type RetentionStore = {
  /**
   * Deletes the next rows older than `cutoff` (ms) of `table` after row `after` (in row order,
   * which follows the server's clock). Events an unresolved alert points to are kept.
   * `done`: no row at or after `after` is older than the cutoff any more.
   */
  deleteChunk(
    table: Exclude<Retained, 'householdChanges'>,
    cutoff: number,
    after: number,
    limit: number,
  ): { deleted: number; last: number; done: boolean };
  /** Deletes the oldest journal rows beyond the last `keep` seqs, at most `limit`. */
  pruneHouseholdChanges(keep: number, limit: number): { deleted: number; done: boolean };
};

export type RetentionMonths = Readonly<{ eventsMonths: number; rejectedMonths: number; auditMonths: number }>;

/** household_changes keeps this many of its last seqs (a /ws reader far behind reloads anyway). */
export const HOUSEHOLD_CHANGES_KEPT = 10_000;
/** Rows per transaction: ~4 ms each with its fsync (measured: 200 events, median 4 ms on a loaded 2-core machine, 500 took 9), so a press never waits long for the lock. */
export const RETENTION_CHUNK = 200;

/** `months` calendar months before `now` (UTC; the day clamped to the month's end). */
export function monthsBefore(now: number, months: number): number {
  const d = new Date(now);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return Date.UTC(
    target.getUTCFullYear(),
    target.getUTCMonth(),
    Math.min(d.getUTCDate(), lastDay),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

export type RetentionResult = Record<Retained, number> & { cutoffs: Record<'events' | 'rejected' | 'audit', string> };

/**
 * The daily retention job (scheduler/jobs.ts, on the safety core's lane): deletes events and
 * visits older than RETAIN_EVENTS_MONTHS, rejected messages older than RETAIN_REJECTED_MONTHS,
 * audit rows older than RETAIN_AUDIT_MONTHS, and the household journal beyond its last 10,000
 * seqs; in short transactions with a turn of the event loop between them; logs what went.
 * Alerts, their transitions and notifications are kept (docs/privacy.md says why).
 */
export function createRetention(deps: {
  store: RetentionStore;
  months: RetentionMonths;
  log: Logger;
  chunk?: number;
  /** Between two transactions (default: the next turn of the event loop). */
  pause?: () => Promise<void>;
}) {
  const { store, months, log } = deps;
  const limit = deps.chunk ?? RETENTION_CHUNK;
  const pause = deps.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));

  async function drain(table: Exclude<Retained, 'householdChanges'>, cutoff: number): Promise<number> {
    let after = 0;
    let total = 0;
    for (;;) {
      const step = store.deleteChunk(table, cutoff, after, limit);
      total += step.deleted;
      after = step.last;
      if (step.done) return total;
      await pause();
    }
  }

  return {
    async run(now: number): Promise<RetentionResult> {
      const started = performance.now();
      const events = monthsBefore(now, months.eventsMonths);
      const rejected = monthsBefore(now, months.rejectedMonths);
      const audit = monthsBefore(now, months.auditMonths);
      const result: RetentionResult = {
        events: await drain('events', events),
        visits: await drain('visits', events),
        rejected: await drain('rejected', rejected),
        audit: await drain('audit', audit),
        householdChanges: 0,
        cutoffs: {
          events: new Date(events).toISOString(),
          rejected: new Date(rejected).toISOString(),
          audit: new Date(audit).toISOString(),
        },
      };
      for (;;) {
        const step = store.pruneHouseholdChanges(HOUSEHOLD_CHANGES_KEPT, limit);
        result.householdChanges += step.deleted;
        if (step.done) break;
        await pause();
      }
      log.info({ ...result, ms: Math.round(performance.now() - started) }, 'retention: older records deleted');
      return result;
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
