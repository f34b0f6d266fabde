// Sweep benchmark (docs/design.md §5: "under 5 ms over 1,000,000 households when nothing is due —
// flat, not linear"). For 10k, 100k and 1M households in real SQLite files (opened as production
// opens them: WAL, synchronous=FULL), it measures the production sweep (server/app/sweep.ts)
// when nothing is due, explains the three due queries the stores actually prepared, then makes a
// burst of emergencies due at once (raised through the real alerting) and times the sweeps that
// escalate them all. `node --import tsx bench/sweep.ts [--smoke]`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { createAlerting } from '../server/app/alerting.js';
import { createSweep, type SweepResult } from '../server/app/sweep.js';
import { DB_FILE_NAME, openDatabase, type Db } from '../server/store/db.js';
import { createStores, type SqliteStores } from '../server/store/index.js';
import { appendResults, formatCell, type Cell } from './lib/results.js';
import { summarize, type Summary } from './lib/stats.js';
import {
  BUILDINGS_PER_COMPOUND,
  buildCommunity,
  HOUSEHOLDS_PER_BUILDING,
  type Community,
} from './lib/sweep-community.js';

/** Due emergencies are opened this long before `now`: tier 2 (60 s) is due, tier 3 (180 s) is not. */
const DUE_OPENED_BEFORE_MS = 61_000;

export type SweepPlan = { sizes: number[]; warmup: number; reps: number; dueBatch: number; sweepLimit?: number };

export function plan(smoke: boolean): SweepPlan {
  if (smoke) return { sizes: [1_000], warmup: 10, reps: 50, dueBatch: 500, sweepLimit: 200 };
  return { sizes: [10_000, 100_000, 1_000_000], warmup: 200, reps: 1_000, dueBatch: 10_000 };
}

export type QueryPlan = {
  table: 'alerts' | 'households' | 'devices';
  index: string;
  sql: string;
  plan: string[];
  usesIndex: boolean;
};

export type SizeResult = Community & {
  fileMiB: number;
  idle: {
    sweep: Summary;
    /** Sum of alerts + check-ins + devices + failed + changes over every idle sweep (must be 0). */
    work: number;
    /** Each due query alone (the store methods the sweep calls), in ms. */
    queries: { alerts: Summary; checkIns: Summary; devices: Summary };
  };
  plans: QueryPlan[];
  due: {
    batch: number;
    sweeps: number;
    totalMs: number;
    perAlertUs: number;
    processed: number;
    failed: number;
    atLevel2: number;
    escalatedOutbox: number;
    remainingDue: number;
  };
};

/** Quiet unless something fails: a failed sweep step is logged at error and counted. */
const log = pino({ level: 'error' });

/** The stores, recording the SQL they prepare (so the plans explained are the ones production runs). */
function storesRecordingSql(db: Db): { stores: SqliteStores; prepared: string[] } {
  const prepared: string[] = [];
  const prepare = db.prepare.bind(db);
  Object.defineProperty(db, 'prepare', {
    configurable: true,
    writable: true,
    value: (source: string) => {
      prepared.push(source);
      return prepare(source);
    },
  });
  try {
    return { stores: createStores(db), prepared };
  } finally {
    Reflect.deleteProperty(db, 'prepare');
  }
}

const DUE_QUERIES: ReadonlyArray<{ table: QueryPlan['table']; index: string; also?: string; match: RegExp }> = [
  {
    table: 'alerts',
    // Due steps and due rounds of calls: one indexed search each (a union of the two).
    index: 'alerts_due',
    also: 'alerts_call_due',
    match: /^\s*SELECT\b[^;]*\bFROM alerts WHERE due_at IS NOT NULL AND due_at <= @now/,
  },
  {
    table: 'households',
    index: 'households_checkin_due',
    match: /^\s*SELECT\b[^;]*\bFROM households WHERE checkin_due_at IS NOT NULL AND checkin_due_at <= \?/,
  },
  {
    table: 'devices',
    index: 'devices_heartbeat_due',
    match: /^\s*SELECT\b[^;]*\bFROM devices WHERE heartbeat_due_at IS NOT NULL AND heartbeat_due_at <= \?/,
  },
];

function explainDueQueries(db: Db, prepared: readonly string[], now: number, limit: number): QueryPlan[] {
  return DUE_QUERIES.map(({ table, index, match, also }) => {
    const found = prepared.filter((sql) => match.test(sql));
    if (found.length !== 1)
      throw new Error(
        `expected one due query on ${table} among the prepared statements, found ${found.length}: the bench needs updating`,
      );
    const sql = (found[0] as string).replace(/\s+/g, ' ').trim();
    const explain = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const rows = (sql.includes('@now') ? explain.all({ now, limit }) : explain.all(now, limit)) as Array<{
      detail: string;
    }>;
    const plan = rows.map((r) => r.detail);
    const searches = (i: string) =>
      plan.some((d) => new RegExp(`^SEARCH ${table} USING (COVERING )?INDEX ${i} \\(`).test(d));
    // A scan of a table is what must not be; the union's own rows (only due ones) may be read in full.
    const usesIndex =
      searches(index) && (also === undefined || searches(also)) && !plan.some((d) => /^SCAN (?!\(subquery)/.test(d));
    return { table, index, sql, plan, usesIndex };
  });
}

function time<T>(fn: () => T): [ms: number, value: T] {
  const t0 = performance.now();
  const value = fn();
  return [performance.now() - t0, value];
}

function workOf(r: SweepResult): number {
  return r.alerts + r.checkIns + r.devices + r.failed + r.changes.length;
}

function measureSize(n: number, p: SweepPlan, say: (line: string) => void): SizeResult {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-sweep-'));
  try {
    const now = Date.now();
    const built = buildCommunity(dataDir, n, now);
    const fileMiB = fs.statSync(path.join(dataDir, DB_FILE_NAME)).size / 2 ** 20;
    say(
      `${n.toLocaleString('en-US')} households: built in ${(built.buildMs / 1000).toFixed(1)} s (${fileMiB.toFixed(0)} MiB; ` +
        `${built.alerts.resolved} resolved + ${built.alerts.open} open alerts, ${built.alerts.openWithDue} with a due time)`,
    );

    // Opened again as production opens it (openDatabase: WAL, synchronous=FULL, default cache).
    const db = openDatabase(dataDir);
    try {
      const { stores, prepared } = storesRecordingSql(db);
      const alerting = createAlerting({ stores, log });
      const sweep = createSweep({
        stores,
        alerting,
        log,
        ...(p.sweepLimit !== undefined ? { limit: p.sweepLimit } : {}),
      });
      const limit = p.sweepLimit ?? 1000;

      // 1. Nothing due.
      let work = 0;
      for (let i = 0; i < p.warmup; i++) work += workOf(sweep(now));
      const sweepMs: number[] = [];
      for (let i = 0; i < p.reps; i++) {
        const [ms, r] = time(() => sweep(now));
        sweepMs.push(ms);
        work += workOf(r);
      }
      const q = { alerts: [] as number[], checkIns: [] as number[], devices: [] as number[] };
      for (let i = 0; i < p.reps; i++) {
        const [a, ra] = time(() => stores.alerts.due(now, limit));
        const [c, rc] = time(() => stores.places.dueCheckIns(now, limit));
        const [d, rd] = time(() => stores.devices.dueHeartbeats(now, limit));
        q.alerts.push(a);
        q.checkIns.push(c);
        q.devices.push(d);
        work += ra.length + rc.length + rd.length;
      }
      const idle = {
        sweep: summarize(sweepMs),
        work,
        queries: { alerts: summarize(q.alerts), checkIns: summarize(q.checkIns), devices: summarize(q.devices) },
      };
      const plans = explainDueQueries(db, prepared, now, limit);
      say(
        `  nothing due: sweep p50 ${formatCell(idle.sweep.p50)} ms, p99 ${formatCell(idle.sweep.p99)} ms, max ${formatCell(idle.sweep.max)} ms ` +
          `over ${p.reps} sweeps (work done: ${work}); queries alone p50 ${formatCell(idle.queries.alerts.p50 * 1000)} / ` +
          `${formatCell(idle.queries.checkIns.p50 * 1000)} / ${formatCell(idle.queries.devices.p50 * 1000)} µs`,
      );
      for (const qp of plans)
        say(`  plan ${qp.table}: ${qp.plan.join(' | ')}${qp.usesIndex ? '' : '  ← NOT the partial index'}`);

      // 2. A burst: `dueBatch` emergencies, opened (through the real alerting, in one transaction)
      // 61 s before now, so each one's tier 2 escalation is due.
      const batch = Math.min(p.dueBatch, n);
      const step = Math.floor(n / batch);
      const openedAt = now - DUE_OPENED_BEFORE_MS;
      stores.transaction(() => {
        for (let k = 0; k < batch; k++) {
          const change = alerting.raise(1 + k * step, 'emergency', { reason: 'bench' }, openedAt);
          if (!change.opened) throw new Error(`household ${1 + k * step} already had an open emergency`);
        }
      });
      let sweeps = 0;
      let processed = 0;
      let failed = 0;
      const started = performance.now();
      for (;;) {
        const r = sweep(now);
        if (workOf(r) === 0) break;
        sweeps += 1;
        processed += r.alerts;
        failed += r.failed;
        if (r.checkIns + r.devices > 0)
          throw new Error(`the burst sweep also found ${r.checkIns} check-ins and ${r.devices} devices due`);
        if (sweeps > Math.ceil(batch / limit) + 5) throw new Error(`still due after ${sweeps} sweeps`);
      }
      const totalMs = performance.now() - started;
      const count = (sql: string, ...params: unknown[]): number => (db.prepare(sql).get(...params) as { n: number }).n;
      const due = {
        batch,
        sweeps,
        totalMs,
        perAlertUs: (totalMs * 1000) / Math.max(1, processed),
        processed,
        failed,
        atLevel2: count(
          "SELECT count(*) AS n FROM alerts WHERE kind = 'emergency' AND status = 'open' AND opened_at = ? AND level = 2",
          openedAt,
        ),
        escalatedOutbox: count(
          `SELECT count(*) AS n FROM outbox o JOIN alerts a ON a.id = o.alert_id JOIN channels c ON c.id = o.channel_id
           WHERE o.event = 'alert.escalated' AND c.kind = 'webhook' AND o.status = 'pending' AND a.opened_at = ?`,
          openedAt,
        ),
        remainingDue:
          stores.alerts.due(now, 1).length +
          stores.places.dueCheckIns(now, 1).length +
          stores.devices.dueHeartbeats(now, 1).length,
      };
      say(
        `  ${batch.toLocaleString('en-US')} emergencies due at once: ${sweeps} sweeps (limit ${limit}), ${formatCell(totalMs)} ms, ` +
          `${formatCell(due.perAlertUs)} µs/alert; at level 2: ${due.atLevel2}, escalation outbox rows: ${due.escalatedOutbox}, failed: ${failed}, still due: ${due.remainingDue}`,
      );
      return { ...built, fileMiB, idle, plans, due };
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function benchSweep(opts: { smoke: boolean; log?: (line: string) => void }) {
  const say = opts.log ?? ((line: string) => console.log(line));
  const p = plan(opts.smoke);
  const results = p.sizes.map((n) => measureSize(n, p, say));
  const first = results[0] as SizeResult;
  const last = results[results.length - 1] as SizeResult;
  const ratio = { p50: last.idle.sweep.p50 / first.idle.sweep.p50, p99: last.idle.sweep.p99 / first.idle.sweep.p99 };
  const under5ms = last.idle.sweep.p99 < 5;
  if (results.length > 1) {
    say(
      `flatness ${last.households.toLocaleString('en-US')} / ${first.households.toLocaleString('en-US')} households: ` +
        `p50 ×${ratio.p50.toFixed(2)}, p99 ×${ratio.p99.toFixed(2)}; p99 at ${last.households.toLocaleString('en-US')}: ` +
        `${formatCell(last.idle.sweep.p99)} ms (${under5ms ? 'under' : 'OVER'} 5 ms)`,
    );
  }
  const us = (ms: number): number => ms * 1000;
  const rows: Array<Record<string, Cell>> = results.map((r) => ({
    households: r.households,
    'build s': Number((r.buildMs / 1000).toFixed(1)),
    'file MiB': Math.round(r.fileMiB),
    'idle sweep p50 ms': r.idle.sweep.p50,
    'p99 ms': r.idle.sweep.p99,
    'max ms': r.idle.sweep.max,
    'due queries alone p50 µs (alerts / check-ins / devices)': [
      r.idle.queries.alerts,
      r.idle.queries.checkIns,
      r.idle.queries.devices,
    ]
      .map((s) => formatCell(us(s.p50)))
      .join(' / '),
    'idle work': r.idle.work,
    'burst: alerts': r.due.batch,
    sweeps: r.due.sweeps,
    'total ms': r.due.totalMs,
    'µs / alert': r.due.perAlertUs,
    'level 2 / outbox rows': `${r.due.atLevel2} / ${r.due.escalatedOutbox}`,
  }));
  const planNotes = (first.plans ?? []).map((qp) => {
    const same = results.every(
      (r) => r.plans.find((x) => x.table === qp.table)?.plan.join(' | ') === qp.plan.join(' | '),
    );
    return `EXPLAIN QUERY PLAN \`${qp.sql}\` → \`${qp.plan.join(' | ')}\`${same ? ' (same at every size)' : ' (differs by size: see the log)'}`;
  });
  const section = {
    title: `Sweep: nothing due, and a burst of due alerts${opts.smoke ? ' (smoke)' : ''}`,
    method:
      `In-process, the production sweep (server/app/sweep.ts, limit ${p.sweepLimit ?? 1000} a call) over a real SQLite file opened by ` +
      `openDatabase (WAL, synchronous=FULL, default page cache), built in one transaction by INSERT … SELECT: compounds of ` +
      `${BUILDINGS_PER_COMPOUND} buildings × ${HOUSEHOLDS_PER_BUILDING} households, a device each, a volunteer per building, a grid ` +
      `worker per compound, 3 duty officers, one webhook, one SMS and one voice channel; each household's check-in due within the next 26 h, each device's ` +
      `heartbeat due within the next 3 h; 1 in 20 households with a resolved alert, 1 in 200 with an open one (half of them service ` +
      `requests with a reminder due within 4 h); WAL checkpointed before measuring. Nothing due: ${p.warmup} warm-up sweeps, then ` +
      `${p.reps} timed sweeps at the same \`now\` (each must do no work), then each due query alone ${p.reps} times. Burst: ` +
      `${p.dueBatch.toLocaleString('en-US')} emergencies (spread over the households) raised through alerting.raise in one ` +
      `transaction 61 s before \`now\`, so each one's tier 2 escalation is due; then sweeps at \`now\` until one does nothing ` +
      `(timed in total, the last empty one included); checked: every one at level 2 with one pending 'alert.escalated' outbox row.`,
    rows,
    notes: [
      ...(results.length > 1
        ? [
            `Flatness ${last.households.toLocaleString('en-US')} / ${first.households.toLocaleString('en-US')} households: idle sweep ` +
              `p50 **×${ratio.p50.toFixed(2)}**, p99 **×${ratio.p99.toFixed(2)}**; p99 at ${last.households.toLocaleString('en-US')} ` +
              `**${formatCell(last.idle.sweep.p99)} ms** (target: under 5 ms, flat).`,
          ]
        : []),
      ...planNotes,
    ],
  };
  if (!opts.smoke) appendResults(section);
  return { plan: p, results, ratio, under5ms, section };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    benchSweep({ smoke: process.argv.includes('--smoke') });
    process.exit(0);
  } catch (err: unknown) {
    console.error(err);
    process.exit(1);
  }
}
