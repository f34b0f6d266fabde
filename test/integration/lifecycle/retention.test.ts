import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { BackupMaker } from '../../../server/app/backup.js';
import type { DailyReporter } from '../../../server/app/daily-report.js';
import { addHousehold } from '../../../server/app/provision.js';
import { createRetention, monthsBefore, type Retention } from '../../../server/app/retention.js';
import { loadConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/log.js';
import { startScheduler } from '../../../server/scheduler/index.js';
import { dailyJobs } from '../../../server/scheduler/jobs.js';
import { openDatabase, type Db } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { createRetentionStore } from '../../../server/store/retention.js';
import { ManualClock } from '../../helpers/clock.js';
import { captureLogs, tempDir } from '../../helpers/system.js';

// The daily retention job on a real SQLite file, with the clock passed in (test/helpers/clock.ts).

const DAY = 24 * 3600 * 1000;
const NOW = Date.parse('2026-12-02T20:15:00Z');
const MONTHS = { eventsMonths: 24, rejectedMonths: 3, auditMonths: 60 };

function world() {
  const db = openDatabase(tempDir());
  onTestFinished(() => {
    db.close();
  });
  const stores = createStores(db);
  const householdId = addHousehold(
    stores,
    { compound: '阳光小区', building: '1号楼', room: '101', name: '张桂兰' },
    NOW - 2000 * DAY,
  );
  return { db, stores, householdId };
}

function event(db: Db, householdId: number, receivedAt: number): number {
  return Number(
    db
      .prepare(
        "INSERT INTO events (household_id, source, state, received_at, observed_at) VALUES (?, 'person', 'blue', ?, ?)",
      )
      .run(householdId, receivedAt, receivedAt).lastInsertRowid,
  );
}

function seed(db: Db, householdId: number, ages: { days: number }[]) {
  for (const { days } of ages) {
    const t = NOW - days * DAY;
    event(db, householdId, t);
    db.prepare("INSERT INTO visits (household_id, seen, by, at, received_at) VALUES (?, 'none', '李志愿', ?, ?)").run(
      householdId,
      t,
      t,
    );
    db.prepare(
      "INSERT INTO rejected_messages (device_id, topic, payload, reason, received_at) VALUES ('d1', 'ribbon/d1/state', x'00', 'bad', ?)",
    ).run(t);
    db.prepare(
      "INSERT INTO audit_log (at, username, method, route, status) VALUES (?, 'admin', 'POST', '/api/x', 200)",
    ).run(t);
  }
}

const count = (db: Db, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const times = (db: Db, table: string, column: string) =>
  (db.prepare(`SELECT ${column} AS t FROM ${table} ORDER BY id`).all() as Array<{ t: number }>).map((r) =>
    Math.round((NOW - r.t) / DAY),
  );

function retention(db: Db, opts: { chunk?: number; pause?: () => Promise<void> } = {}): Retention {
  return createRetention({ store: createRetentionStore(db), months: MONTHS, log: createLogger('silent'), ...opts });
}

describe('the retention job', () => {
  it('when it runs, then events, visits and rejected messages past their months go, recent ones stay, and the audit log is kept longer', async () => {
    const { db, householdId } = world();
    // Days before now: 5 years and more, 3 years, 2 years and a bit, 2 years less a bit, 4 months, 1 month, today.
    const ages = [1900, 1100, 740, 720, 120, 30, 0].map((days) => ({ days }));
    seed(db, householdId, ages);
    const result = await retention(db).run(NOW);
    // 24 months back is 2024-12-02: 740 days ago is older, 720 is not.
    expect(times(db, 'events', 'received_at')).toEqual([720, 120, 30, 0]);
    expect(times(db, 'visits', 'received_at')).toEqual([720, 120, 30, 0]);
    expect(times(db, 'rejected_messages', 'received_at')).toEqual([30, 0]);
    // 60 months: only the row of more than five years goes.
    expect(times(db, 'audit_log', 'at')).toEqual([1100, 740, 720, 120, 30, 0]);
    expect(result).toMatchObject({ events: 3, visits: 3, rejected: 5, audit: 1, householdChanges: 0 });
    expect(result.cutoffs).toEqual({
      events: '2024-12-02T20:15:00.000Z',
      rejected: '2026-09-02T20:15:00.000Z',
      audit: '2021-12-02T20:15:00.000Z',
    });
    // A second run finds nothing more.
    expect(await retention(db).run(NOW)).toMatchObject({ events: 0, visits: 0, rejected: 0, audit: 0 });
  });

  it('when an old event belongs to an alert still open, then it is kept; a resolved alert keeps its row but not its old events', async () => {
    const { db, householdId } = world();
    const old = NOW - 800 * DAY;
    const openFirst = event(db, householdId, old);
    const resolvedFirst = event(db, householdId, old + 1000);
    const recent = event(db, householdId, NOW - DAY);
    const alert = db.prepare(
      `INSERT INTO alerts (household_id, kind, status, first_event_id, last_event_id, opened_at, updated_at, resolved_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    alert.run(householdId, 'service', 'acknowledged', openFirst, recent, old, NOW, null);
    alert.run(householdId, 'emergency', 'resolved', resolvedFirst, resolvedFirst, old, old, old + 5000);
    await retention(db).run(NOW);
    expect((db.prepare('SELECT id FROM events ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id)).toEqual([
      openFirst,
      recent,
    ]);
    expect(count(db, 'alerts')).toBe(2);
  });

  it('when there is much to delete, then it goes in short transactions with a turn of the event loop between them', async () => {
    const { db, householdId } = world();
    seed(
      db,
      householdId,
      Array.from({ length: 25 }, () => ({ days: 900 })),
    );
    seed(db, householdId, [{ days: 1 }]);
    let pauses = 0;
    const result = await retention(db, {
      chunk: 10,
      pause: async () => {
        pauses += 1;
        // Between two chunks no transaction is open: another writer gets the lock.
        expect(db.inTransaction).toBe(false);
      },
    }).run(NOW);
    expect(result).toMatchObject({ events: 25, visits: 25, rejected: 25, audit: 0 });
    // events, visits and rejected: 25 old rows in chunks of 10 → 2 pauses each at least.
    expect(pauses).toBeGreaterThanOrEqual(6);
    expect(count(db, 'events')).toBe(1);
  });

  it('when anything but the job deletes or changes an audit row, then the database refuses', async () => {
    const { db, householdId } = world();
    seed(db, householdId, [{ days: 2000 }, { days: 10 }]);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE audit_log SET username = 'x'").run()).toThrow(/append-only/);
    await retention(db).run(NOW);
    expect(count(db, 'audit_log')).toBe(1);
    // The cutoff the job set does not open recent rows, and it cannot be moved back or removed.
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() => db.prepare('UPDATE audit_retention SET cutoff = 0').run()).toThrow(/only moves forward/);
    expect(() => db.prepare('DELETE FROM audit_retention').run()).toThrow(/cannot be removed/);
  });

  it('when the household journal holds more than 10,000 changes, then the oldest beyond the last 10,000 go', async () => {
    const { db } = world();
    db.prepare(
      'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12345) INSERT INTO household_changes (household_id) SELECT 1 FROM n',
    ).run();
    const last = (db.prepare('SELECT max(seq) AS s FROM household_changes').get() as { s: number }).s;
    const result = await retention(db).run(NOW);
    expect(result.householdChanges).toBe(last - 10_000);
    expect(count(db, 'household_changes')).toBe(10_000);
    expect((db.prepare('SELECT min(seq) AS s FROM household_changes').get() as { s: number }).s).toBe(last - 9_999);
  });

  it('when it has run, then it logs what it removed', async () => {
    const { db, householdId } = world();
    seed(db, householdId, [{ days: 900 }]);
    const logs = captureLogs();
    await createRetention({ store: createRetentionStore(db), months: MONTHS, log: logs.log }).run(NOW);
    expect(logs.find((l) => l.msg === 'retention: older records deleted')).toMatchObject({ events: 1, visits: 1 });
  });

  it.each([
    ['2026-03-31T10:00:00Z', 1, '2026-02-28T10:00:00.000Z'],
    ['2024-02-29T00:00:00Z', 12, '2023-02-28T00:00:00.000Z'],
    ['2026-12-02T20:15:00Z', 24, '2024-12-02T20:15:00.000Z'],
  ])('when now is %s and %i months are kept, then the cutoff is %s', (now, months, cutoff) => {
    expect(new Date(monthsBefore(Date.parse(now), months)).toISOString()).toBe(cutoff);
  });
});

describe('the retention job on the scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('when the clock passes RETENTION_TIME in the report zone, then the job runs there once a day', async () => {
    const { db, householdId } = world();
    // 04:14:58 on 2 December 2026 in Shanghai.
    const start = Date.parse('2026-12-02T04:14:58+08:00');
    vi.useFakeTimers({ now: start });
    const config = loadConfig({ DATA_DIR: tempDir() });
    const clock = new ManualClock(start);
    const real = retention(db);
    const runs: number[] = [];
    const wrapped: Retention = {
      run(now) {
        runs.push(now);
        return real.run(now);
      },
    };
    const idle = { run: () => Promise.resolve() } as unknown as DailyReporter & BackupMaker;
    seed(db, householdId, [{ days: 3000 }]);
    const scheduler = startScheduler(
      dailyJobs(config, { report: idle, backup: idle, clock, retention: wrapped }),
      createLogger('silent'),
    );
    onTestFinished(() => scheduler.stop());
    clock.ms = Date.now();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toEqual([]);
    clock.ms = start + 3000;
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toEqual([start + 3000]);
    await vi.waitFor(() => expect(count(db, 'events')).toBe(0));
    await vi.advanceTimersByTimeAsync(DAY);
    expect(runs).toHaveLength(2);
  });
});
