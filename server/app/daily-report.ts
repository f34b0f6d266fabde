import type { Logger } from 'pino';
import {
  ALERT_KINDS,
  REPORT_SOURCES,
  RIBBON_STATES,
  type AlertKind,
  type ReportSource,
  type RibbonState,
} from '../domain/ribbon.js';
import { addDays, isValidTimeZone, localDate, parseLocalDate, startOfLocalDay } from '../domain/zoned-time.js';
import { formatMessage, type DailyReportFigures } from '../notify/format.js';
import type { NotificationMessage } from '../notify/types.js';
import type { OpenedAlert, Stores } from './ports.js';

/**
 * The response thresholds the report audits (docs/design.md §3): the telecare industry's
 * 97.5 % of calls answered within 60 s and 99 % within 180 s, and the door reached within 45 min
 * (no industry target: reported as a share only). A time exactly on the limit is within it.
 */
export const RESPONSE_TARGETS = {
  ackWithin60s: { withinMs: 60_000, targetPct: 97.5 },
  ackWithin180s: { withinMs: 180_000, targetPct: 99 },
  arrivedWithin45min: { withinMs: 45 * 60_000, targetPct: null },
} as const;

/** `count` of `of` emergencies within a limit; pct to one decimal; null when there were none. */
export type Share = { count: number; of: number; pct: number | null; targetPct: number | null; met: boolean | null };

/** Nearest-rank percentiles of the durations that happened (`n` of them), in ms; null when n = 0. */
export type Durations = { n: number; medianMs: number | null; p90Ms: number | null };

/**
 * What `reports.data` holds for one compound and local day, and what the `report.daily`
 * notification carries as `data`. The DailyReportFigures keys are the ones formatMessage shows.
 */
export type DailyReport = DailyReportFigures & {
  compoundId: number;
  /** The compound's name. */
  scope: string;
  /** The local day 'YYYY-MM-DD' in `timeZone`, and its instants [from, to) as ISO times. */
  date: string;
  timeZone: string;
  from: string;
  to: string;
  computedAt: string;
  /** Households registered before the day ended, and those with any report (press or person) in it. */
  households: number;
  checkedIn: number;
  /** Reports in the day by source; `red`, `yellow`, `blue` are device and person together. */
  presses: Record<ReportSource, Record<RibbonState, number>>;
  red: number;
  yellow: number;
  blue: number;
  /** Alerts opened in the day, by kind (whatever their status now). */
  alertsOpened: Record<AlertKind, number>;
  /** Missed check-in alerts opened in the day. */
  missedCheckins: number;
  /** Alerts of the compound not resolved when the report ran (a snapshot, not a day figure). */
  openAlerts: number;
  /** Emergencies opened in the day and how they were answered. */
  emergency: {
    opened: number;
    acknowledged: number;
    arrived: number;
    timeToAcknowledge: Durations;
    timeToArrive: Durations;
    ackWithin60s: Share;
    ackWithin180s: Share;
    arrivedWithin45min: Share;
  };
  /** Service requests opened in the day and how soon they were claimed. */
  service: { opened: number; claimed: number; timeToClaim: Durations };
};

export type DailyReportResult = {
  day: string;
  reports: Array<{ compoundId: number; scope: string; created: boolean; outboxIds: number[] }>;
  failed: Array<{ compoundId: number; error: string }>;
};

/**
 * The nearest-rank percentile of ascending `sorted`: the value at rank ⌈p·n/100⌉ (1-based), so
 * always one of the values; the median of an even count is the lower middle. Null when empty.
 */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  // p·n before dividing: 0.9 * 30 is 27.000000000000004 in floating point, 90 * 30 / 100 is 27.
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

export function durations(values: readonly number[]): Durations {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, medianMs: nearestRank(sorted, 50), p90Ms: nearestRank(sorted, 90) };
}

export function share(count: number, of: number, targetPct: number | null): Share {
  if (of === 0) return { count, of, pct: null, targetPct, met: null };
  return {
    count,
    of,
    pct: Math.round((count * 1000) / of) / 10,
    targetPct,
    // In integers, so 39 of 40 meets 97.5 % exactly.
    met: targetPct === null ? null : count * 1000 >= Math.round(targetPct * 10) * of,
  };
}

/** The response figures of a day's alerts of one compound (pure). */
export function responseFigures(
  alerts: readonly OpenedAlert[],
): Pick<DailyReport, 'alertsOpened' | 'emergency' | 'service'> {
  const alertsOpened = Object.fromEntries(ALERT_KINDS.map((k) => [k, 0])) as Record<AlertKind, number>;
  for (const a of alerts) alertsOpened[a.kind] += 1;

  const emergencies = alerts.filter((a) => a.kind === 'emergency');
  const ackTimes = emergencies.flatMap((a) => (a.acknowledgedAt === null ? [] : [a.acknowledgedAt - a.openedAt]));
  const arriveTimes = emergencies.flatMap((a) => (a.arrivedAt === null ? [] : [a.arrivedAt - a.openedAt]));
  // Never acknowledged (or never reached) is not within: it is in `of`, never in `count`.
  const within = (times: readonly number[], ms: number) => times.filter((t) => t <= ms).length;
  const n = emergencies.length;
  const t = RESPONSE_TARGETS;

  const claimTimes = alerts.flatMap((a) =>
    a.kind === 'service' && a.acknowledgedAt !== null ? [a.acknowledgedAt - a.openedAt] : [],
  );
  return {
    alertsOpened,
    emergency: {
      opened: n,
      acknowledged: ackTimes.length,
      arrived: arriveTimes.length,
      timeToAcknowledge: durations(ackTimes),
      timeToArrive: durations(arriveTimes),
      ackWithin60s: share(within(ackTimes, t.ackWithin60s.withinMs), n, t.ackWithin60s.targetPct),
      ackWithin180s: share(within(ackTimes, t.ackWithin180s.withinMs), n, t.ackWithin180s.targetPct),
      arrivedWithin45min: share(within(arriveTimes, t.arrivedWithin45min.withinMs), n, t.arrivedWithin45min.targetPct),
    },
    service: { opened: alertsOpened.service, claimed: claimTimes.length, timeToClaim: durations(claimTimes) },
  };
}

/**
 * The fixed buckets of the time-to-acknowledge histogram, in order. A time exactly on a limit is
 * in that bucket (as for the shares: 60 000 ms is "within 60 s"); `never` holds emergencies not
 * acknowledged (yet), so the counts add up to every emergency opened.
 */
export const ACK_BUCKETS = [
  { bucket: 'le30s', minMs: null, maxMs: 30_000 },
  { bucket: 'le60s', minMs: 30_000, maxMs: 60_000 },
  { bucket: 'le2min', minMs: 60_000, maxMs: 2 * 60_000 },
  { bucket: 'le3min', minMs: 2 * 60_000, maxMs: 3 * 60_000 },
  { bucket: 'le5min', minMs: 3 * 60_000, maxMs: 5 * 60_000 },
  { bucket: 'le15min', minMs: 5 * 60_000, maxMs: 15 * 60_000 },
  { bucket: 'gt15min', minMs: 15 * 60_000, maxMs: null },
  { bucket: 'never', minMs: null, maxMs: null },
] as const;

export type AckBucket = (typeof ACK_BUCKETS)[number]['bucket'];

/** One bar: times t with minMs < t ≤ maxMs (null: unbounded on that side; `never`: no time). */
export type AckHistogramBar = { bucket: AckBucket; minMs: number | null; maxMs: number | null; count: number };

/** The bucket of a time to acknowledge in ms; null: never acknowledged. */
export function ackBucketOf(ms: number | null): AckBucket {
  if (ms === null) return 'never';
  for (const b of ACK_BUCKETS) if (b.maxMs !== null && ms <= b.maxMs) return b.bucket;
  return 'gt15min';
}

/** The time-to-acknowledge histogram of the emergencies among `alerts`, every bucket present. */
export function ackHistogram(alerts: readonly OpenedAlert[]): AckHistogramBar[] {
  const counts = new Map<AckBucket, number>();
  for (const a of alerts) {
    if (a.kind !== 'emergency') continue;
    const bucket = ackBucketOf(a.acknowledgedAt === null ? null : a.acknowledgedAt - a.openedAt);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return ACK_BUCKETS.map((b) => ({
    bucket: b.bucket,
    minMs: b.minMs,
    maxMs: b.maxMs,
    count: counts.get(b.bucket) ?? 0,
  }));
}

/** What happened on one local day of a period. */
export type DayCounts = { day: string; emergencies: number; missedCheckins: number };

/**
 * Emergencies and missed check-ins opened on each local day `from`..`to` (inclusive, in
 * `timeZone`), every day present (0 when none), oldest first. Alerts outside the days are ignored.
 */
export function countsPerLocalDay(
  alerts: readonly OpenedAlert[],
  from: string,
  to: string,
  timeZone: string,
): DayCounts[] {
  const days = new Map<string, DayCounts>();
  for (let day = from; day <= to; day = addDays(day, 1)) days.set(day, { day, emergencies: 0, missedCheckins: 0 });
  for (const a of alerts) {
    const row = days.get(localDate(a.openedAt, timeZone));
    if (row === undefined) continue;
    if (a.kind === 'emergency') row.emergencies += 1;
    else if (a.kind === 'missed_checkin') row.missedCheckins += 1;
  }
  return [...days.values()];
}

/**
 * The daily report: for every compound, the figures of one local day — reports by colour and
 * source, alerts opened by kind, how fast emergencies were acknowledged and reached and service
 * requests claimed, missed check-ins — stored in `reports` and announced through the outbox.
 *
 * Each compound is one transaction: the report row and its outbox rows are committed together.
 * Running a day again replaces its figures (upsert on compound and day) but does not announce
 * it again: the notification is written only when the row is first created, so a repeated or
 * overlapping run never sends the report twice.
 */
export function createDailyReport(deps: { stores: Stores; log: Logger }) {
  const { stores, log } = deps;

  function figuresFor(
    compound: { id: number; name: string },
    day: string,
    timeZone: string,
    range: { from: number; to: number },
    rows: DayRows,
    now: number,
  ): DailyReport {
    const presses = Object.fromEntries(
      REPORT_SOURCES.map((s) => [s, Object.fromEntries(RIBBON_STATES.map((c) => [c, 0]))]),
    ) as Record<ReportSource, Record<RibbonState, number>>;
    for (const p of rows.presses) if (p.compoundId === compound.id) presses[p.source][p.state] += p.n;
    const total = (state: RibbonState) => presses.device[state] + presses.person[state];
    const households = rows.households.find((h) => h.compoundId === compound.id);
    const response = responseFigures(rows.alerts.filter((a) => a.compoundId === compound.id));
    const report: DailyReport = {
      compoundId: compound.id,
      scope: compound.name,
      date: day,
      timeZone,
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      computedAt: new Date(now).toISOString(),
      households: households?.households ?? 0,
      checkedIn: households?.checkedIn ?? 0,
      presses,
      red: total('red'),
      yellow: total('yellow'),
      blue: total('blue'),
      ...response,
      missedCheckins: response.alertsOpened.missed_checkin,
      openAlerts: rows.unresolved.get(compound.id) ?? 0,
    };
    // The two figures the notification text shows; left out (not 0 %) on a day without emergencies.
    if (response.emergency.ackWithin60s.pct !== null) report.redAckWithin60sPct = response.emergency.ackWithin60s.pct;
    if (response.emergency.ackWithin180s.pct !== null)
      report.redAckWithin180sPct = response.emergency.ackWithin180s.pct;
    return report;
  }

  /** Writes the report and, the first time, its notification rows (one per channel, or one 'failed'). */
  function save(report: DailyReport, now: number): { created: boolean; outboxIds: number[] } {
    return stores.transaction(() => {
      const { created } = stores.reports.upsert(report.compoundId, report.date, report, now);
      if (!created) return { created, outboxIds: [] };
      const base = { event: 'report.daily' as const, recipients: [], at: new Date(now).toISOString(), data: report };
      const payload: Omit<NotificationMessage, 'id'> = {
        ...base,
        ...formatMessage({ id: '', ...base }, { timeZone: report.timeZone }),
      };
      const channelIds = stores.channels.idsFor(report.compoundId);
      const outboxIds = stores.outbox.insertForChannels(
        channelIds,
        { alertId: null, event: 'report.daily', recipients: [], payload },
        now,
      );
      if (channelIds.length === 0) {
        log.warn(
          { compoundId: report.compoundId, day: report.date },
          'no notification channel configured for this compound; the daily report is recorded as not sent',
        );
      }
      return { created, outboxIds };
    });
  }

  return {
    /**
     * Reports local day `day` ('YYYY-MM-DD') in `timeZone` for every compound. The day runs from
     * its first instant to the next day's (23 or 25 hours on a daylight-saving change).
     */
    run(day: string, timeZone: string, now: number): DailyReportResult {
      if (parseLocalDate(day) === null) throw new RangeError(`not a calendar date: ${JSON.stringify(day)}`);
      if (!isValidTimeZone(timeZone)) throw new RangeError(`not a time zone: ${JSON.stringify(timeZone)}`);
      const range = { from: startOfLocalDay(day, timeZone), to: startOfLocalDay(addDays(day, 1), timeZone) };
      const started = performance.now();
      // Read once for all compounds: each read is one indexed pass over the day.
      const rows: DayRows = {
        presses: stores.reports.presses(range.from, range.to),
        households: stores.reports.households(range.from, range.to),
        alerts: stores.reports.openedBetween(range.from, range.to),
        unresolved: stores.reports.unresolvedByCompound(),
      };
      const result: DailyReportResult = { day, reports: [], failed: [] };
      for (const compound of stores.places.listCompounds()) {
        try {
          const report = figuresFor(compound, day, timeZone, range, rows, now);
          result.reports.push({ compoundId: compound.id, scope: compound.name, ...save(report, now) });
        } catch (err) {
          // One compound's failure does not keep the others' reports from going out.
          log.error({ err, compoundId: compound.id, day }, 'daily report failed for this compound');
          result.failed.push({ compoundId: compound.id, error: err instanceof Error ? err.message : String(err) });
        }
      }
      log.info(
        {
          day,
          timeZone,
          compounds: result.reports.length,
          created: result.reports.filter((r) => r.created).length,
          failed: result.failed.length,
          ms: Math.round(performance.now() - started),
        },
        'daily report written',
      );
      return result;
    },
  };
}

type DayRows = {
  presses: ReturnType<Stores['reports']['presses']>;
  households: ReturnType<Stores['reports']['households']>;
  alerts: OpenedAlert[];
  unresolved: Map<number, number>;
};

export type DailyReporter = ReturnType<typeof createDailyReport>;
