import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { BackupMaker } from '../../../server/app/backup.js';
import {
  createDailyReport,
  nearestRank,
  share,
  type DailyReport,
  type DailyReporter,
} from '../../../server/app/daily-report.js';
import { addHousehold } from '../../../server/app/provision.js';
import { loadConfig } from '../../../server/config.js';
import type { AlertKind, ReportSource, RibbonState } from '../../../server/domain/ribbon.js';
import { startScheduler } from '../../../server/scheduler/index.js';
import { openDatabase, type Db } from '../../../server/store/db.js';
import { createStores, type SqliteStores } from '../../../server/store/index.js';
import { dailyJobs, systemClock } from '../../../server/system.js';
import { captureLogs, tempDir } from '../../helpers/system.js';

// The daily report against a real SQLite file: events and alerts seeded at chosen instants
// (Asia/Shanghai is UTC+8 all year, so local times are written with their +08:00 offset).

const ZONE = 'Asia/Shanghai';
const DAY = '2026-03-01';
const SEC = 1000;
const MIN = 60 * SEC;

/** An instant written as local Shanghai time: at('2026-03-01T09:00:00'). */
const at = (local: string): number => Date.parse(`${local}+08:00`);

function openStores(): { dir: string; db: Db; stores: SqliteStores } {
  const dir = tempDir();
  const db = openDatabase(dir);
  onTestFinished(() => {
    db.close();
  });
  return { dir, db, stores: createStores(db) };
}

function household(
  stores: SqliteStores,
  compound: string,
  building: string,
  room: string,
  createdAt = at('2026-02-01T00:00:00'),
): number {
  return addHousehold(stores, { compound, building, room, name: `住户${room}` }, createdAt);
}

function press(
  stores: SqliteStores,
  householdId: number,
  state: RibbonState,
  receivedAt: number,
  source: ReportSource = 'device',
): void {
  stores.events.insert({
    householdId,
    source,
    deviceId: null,
    state,
    seq: null,
    boot: null,
    deviceAt: null,
    battery: null,
    reportedBy: source === 'person' ? '李明' : null,
    note: null,
    receivedAt,
  });
}

/** An alert as the lifecycle leaves it: acknowledged / arrived after the given delays, resolved or not. */
function alert(
  db: Db,
  householdId: number,
  kind: AlertKind,
  openedAt: number,
  opts: { ackAfter?: number; arriveAfter?: number; resolved?: boolean } = {},
): void {
  const acknowledgedAt = opts.ackAfter === undefined ? null : openedAt + opts.ackAfter;
  const arrivedAt = opts.arriveAfter === undefined ? null : openedAt + opts.arriveAfter;
  const resolvedAt = opts.resolved ? openedAt + 2 * 3600 * SEC : null;
  const status = resolvedAt !== null ? 'resolved' : acknowledgedAt !== null ? 'acknowledged' : 'open';
  db.prepare(
    `INSERT INTO alerts (household_id, kind, status, opened_at, updated_at, acknowledged_at, arrived_at, resolved_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(householdId, kind, status, openedAt, openedAt, acknowledgedAt, arrivedAt, resolvedAt);
}

const silentLog = () => captureLogs().log;

describe('nearest-rank percentiles and shares', () => {
  it.each([
    [[], 50, null],
    [[7], 50, 7],
    [[7], 90, 7],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 90, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [Array.from({ length: 30 }, (_, i) => i + 1), 90, 27],
  ])('when the values are %j, then the p%i is %j', (values, p, expected) => {
    expect(nearestRank(values, p)).toBe(expected);
  });

  it.each([
    [39, 40, 97.5, { count: 39, of: 40, pct: 97.5, targetPct: 97.5, met: true }],
    [38, 40, 97.5, { count: 38, of: 40, pct: 95, targetPct: 97.5, met: false }],
    [99, 100, 99, { count: 99, of: 100, pct: 99, targetPct: 99, met: true }],
    [2, 3, 99, { count: 2, of: 3, pct: 66.7, targetPct: 99, met: false }],
    [0, 0, 97.5, { count: 0, of: 0, pct: null, targetPct: 97.5, met: null }],
    [1, 3, null, { count: 1, of: 3, pct: 33.3, targetPct: null, met: null }],
  ])('when %i of %i are within and the target is %j, then the share is %j', (count, of, target, expected) => {
    expect(share(count, of, target)).toEqual(expected);
  });
});

describe('daily report', () => {
  function seed() {
    const { db, stores } = openStores();
    const now = at('2026-03-02T07:00:00');
    const h1 = household(stores, '阳光小区', '1号楼', '101');
    const h2 = household(stores, '阳光小区', '1号楼', '102');
    const h3 = household(stores, '阳光小区', '2号楼', '201');
    // Registered after the day: not one of the day's households.
    household(stores, '阳光小区', '2号楼', '202', at('2026-03-02T06:00:00'));
    household(stores, '幸福小区', '5号楼', '501');
    const sunny = stores.places.listCompounds().find((c) => c.name === '阳光小区')!.id;
    const happy = stores.places.listCompounds().find((c) => c.name === '幸福小区')!.id;
    const channelId = stores.channels.add('webhook', '社区群', { url: 'http://127.0.0.1:9/hook' }, sunny, now);

    // Presses: device red ×3, yellow ×2, blue ×4; a volunteer's entries: red ×1, blue ×1.
    press(stores, h1, 'red', at('2026-03-01T09:00:00'));
    press(stores, h1, 'red', at('2026-03-01T09:00:10'));
    press(stores, h1, 'red', at('2026-03-01T09:05:00'));
    press(stores, h1, 'blue', at('2026-03-01T07:00:00'));
    press(stores, h1, 'blue', at('2026-03-01T20:00:00'));
    press(stores, h2, 'yellow', at('2026-03-01T10:00:00'));
    press(stores, h2, 'yellow', at('2026-03-01T15:00:00'));
    press(stores, h2, 'blue', at('2026-03-01T08:00:00'));
    press(stores, h2, 'blue', at('2026-03-01T21:00:00'));
    press(stores, h2, 'blue', at('2026-03-01T12:00:00'), 'person');
    press(stores, h2, 'red', at('2026-03-01T13:00:00'), 'person');
    // h3 pressed only just before and exactly at the end of the day: not checked in.
    press(stores, h3, 'blue', at('2026-02-28T23:59:00'));
    press(stores, h3, 'blue', at('2026-03-02T00:00:00'));

    // Ten emergencies, from the day's first instant on; acknowledged after 5 … 200 s, one never.
    const ackSec = [5, 10, 20, 30, 45, 60, 61, 120, 200, null];
    const arriveMin = [10, 30, 45, 46, 90, null, null, null, null, null];
    ackSec.forEach((ack, i) => {
      const arrive = arriveMin[i] ?? null;
      alert(db, h1, 'emergency', at(`2026-03-01T0${i}:00:00`), {
        ...(ack === null ? {} : { ackAfter: ack * SEC }),
        ...(arrive === null ? {} : { arriveAfter: arrive * MIN }),
        resolved: ack !== null,
      });
    });
    // Just outside the day on either side.
    alert(db, h2, 'emergency', at('2026-02-28T23:59:59'), { ackAfter: 5 * SEC, resolved: true });
    alert(db, h2, 'emergency', at('2026-03-02T00:00:00'), { ackAfter: 5 * SEC, resolved: true });
    // Service requests claimed after 30 min, 2 h, 10 min, and one not yet.
    alert(db, h2, 'service', at('2026-03-01T09:00:00'), { ackAfter: 30 * MIN, resolved: true });
    alert(db, h2, 'service', at('2026-03-01T10:00:00'), { ackAfter: 120 * MIN, resolved: true });
    alert(db, h2, 'service', at('2026-03-01T11:00:00'), { ackAfter: 10 * MIN, resolved: true });
    alert(db, h2, 'service', at('2026-03-01T16:00:00'));
    alert(db, h3, 'missed_checkin', at('2026-03-01T12:00:00'), { resolved: true });
    alert(db, h1, 'missed_checkin', at('2026-03-01T18:00:00'));
    alert(db, h3, 'device', at('2026-03-01T05:00:00'), { resolved: true });
    // Opened the day before and still open: in openAlerts, not in the day's figures.
    alert(db, h2, 'device', at('2026-02-27T10:00:00'));

    return { db, stores, now, sunny, happy, channelId, h1 };
  }

  const zeroPresses = { device: { red: 0, yellow: 0, blue: 0 }, person: { red: 0, yellow: 0, blue: 0 } };

  it('when a day has presses and alerts, then each compound gets its exact figures, stored and announced', () => {
    const { stores, now, sunny, happy, channelId } = seed();
    const logs = captureLogs();
    const result = createDailyReport({ stores, log: logs.log }).run(DAY, ZONE, now);

    expect(result.failed).toEqual([]);
    expect(result.reports.map((r) => [r.scope, r.created])).toEqual([
      ['幸福小区', true],
      ['阳光小区', true],
    ]);

    const expectedSunny: DailyReport = {
      compoundId: sunny,
      scope: '阳光小区',
      date: DAY,
      timeZone: ZONE,
      from: '2026-02-28T16:00:00.000Z',
      to: '2026-03-01T16:00:00.000Z',
      computedAt: '2026-03-01T23:00:00.000Z',
      households: 3,
      checkedIn: 2,
      presses: { device: { red: 3, yellow: 2, blue: 4 }, person: { red: 1, yellow: 0, blue: 1 } },
      red: 4,
      yellow: 2,
      blue: 5,
      alertsOpened: { emergency: 10, service: 4, missed_checkin: 2, device: 1 },
      emergency: {
        opened: 10,
        acknowledged: 9,
        arrived: 5,
        // 5 10 20 30 [45] 60 61 120 [200]: ranks ⌈4.5⌉ = 5 and ⌈8.1⌉ = 9 of 9.
        timeToAcknowledge: { n: 9, medianMs: 45 * SEC, p90Ms: 200 * SEC },
        // 10 30 [45] 46 [90] min: ranks ⌈2.5⌉ = 3 and ⌈4.5⌉ = 5 of 5.
        timeToArrive: { n: 5, medianMs: 45 * MIN, p90Ms: 90 * MIN },
        // 60 s exactly is within; the never-acknowledged one counts against.
        ackWithin60s: { count: 6, of: 10, pct: 60, targetPct: 97.5, met: false },
        ackWithin180s: { count: 8, of: 10, pct: 80, targetPct: 99, met: false },
        arrivedWithin45min: { count: 3, of: 10, pct: 30, targetPct: null, met: null },
      },
      service: { opened: 4, claimed: 3, timeToClaim: { n: 3, medianMs: 30 * MIN, p90Ms: 120 * MIN } },
      missedCheckins: 2,
      openAlerts: 4,
      redAckWithin60sPct: 60,
      redAckWithin180sPct: 80,
    };
    expect(stores.reports.get(sunny, DAY)?.data).toEqual(expectedSunny);

    const expectedHappy: DailyReport = {
      compoundId: happy,
      scope: '幸福小区',
      date: DAY,
      timeZone: ZONE,
      from: '2026-02-28T16:00:00.000Z',
      to: '2026-03-01T16:00:00.000Z',
      computedAt: '2026-03-01T23:00:00.000Z',
      households: 1,
      checkedIn: 0,
      presses: zeroPresses,
      red: 0,
      yellow: 0,
      blue: 0,
      alertsOpened: { emergency: 0, service: 0, missed_checkin: 0, device: 0 },
      emergency: {
        opened: 0,
        acknowledged: 0,
        arrived: 0,
        timeToAcknowledge: { n: 0, medianMs: null, p90Ms: null },
        timeToArrive: { n: 0, medianMs: null, p90Ms: null },
        ackWithin60s: { count: 0, of: 0, pct: null, targetPct: 97.5, met: null },
        ackWithin180s: { count: 0, of: 0, pct: null, targetPct: 99, met: null },
        arrivedWithin45min: { count: 0, of: 0, pct: null, targetPct: null, met: null },
      },
      service: { opened: 0, claimed: 0, timeToClaim: { n: 0, medianMs: null, p90Ms: null } },
      missedCheckins: 0,
      openAlerts: 0,
    };
    // No emergencies: no percentage at all (not 0 %), so the text leaves the line out.
    expect(stores.reports.get(happy, DAY)?.data).toEqual(expectedHappy);

    const rows = stores.outbox.all();
    expect(rows).toHaveLength(2);
    const sunnyRow = rows.find((r) => r.target === 'channel')!;
    expect(sunnyRow).toMatchObject({
      channelId,
      alertId: null,
      event: 'report.daily',
      status: 'pending',
      recipients: [],
      createdAt: now,
    });
    expect(sunnyRow.payload).toEqual({
      event: 'report.daily',
      recipients: [],
      at: '2026-03-01T23:00:00.000Z',
      data: expectedSunny,
      title: '📋【每日报告 DAILY REPORT】阳光小区 2026-03-01',
      text: [
        '🔵 报平安 2/3 户 / Checked in: 2 of 3',
        '⏰ 未报平安 2 户 / No check-in: 2',
        '🔴 红色紧急 4 次，🟡 黄色服务 2 次 / RED 4, YELLOW 2',
        '红色响应：60秒内 60%，180秒内 80% / RED acknowledged: 60% within 60 s, 80% within 180 s',
        '未结案 4 件 / Open alerts: 4',
      ].join('\n'),
    });

    // No channel for 幸福小区: one row, failed at once, so "nobody was told" shows.
    const happyRow = rows.find((r) => r.target === 'none')!;
    expect(happyRow).toMatchObject({
      channelId: null,
      alertId: null,
      event: 'report.daily',
      status: 'failed',
      lastError: 'no notification channel configured',
      nextAttemptAt: null,
    });
    expect((happyRow.payload as { data: unknown }).data).toEqual(expectedHappy);
    expect(logs.find((l) => l.msg.includes('no notification channel') && l['compoundId'] === happy)).toBeDefined();
  });

  it('when the same day is run again, then its figures are replaced in place and it is not announced twice', () => {
    const { stores, now, sunny, h1 } = seed();
    const report = createDailyReport({ stores, log: silentLog() });
    report.run(DAY, ZONE, now);
    const first = stores.reports.get(sunny, DAY)!;

    // A late-recorded press of that day, then a second run an hour later.
    press(stores, h1, 'blue', at('2026-03-01T22:00:00'));
    const again = report.run(DAY, ZONE, now + 3600 * SEC);

    expect(again.reports.every((r) => !r.created && r.outboxIds.length === 0)).toBe(true);
    expect(stores.reports.forDay(DAY)).toHaveLength(2);
    const second = stores.reports.get(sunny, DAY)!;
    expect(second.id).toBe(first.id);
    expect(second.createdAt).toBe(first.createdAt);
    expect(second.data).toMatchObject({ blue: 6, computedAt: '2026-03-02T00:00:00.000Z' });
    expect(stores.outbox.all()).toHaveLength(2);
    expect(stores.db.prepare('SELECT count(*) AS n FROM reports').get()).toEqual({ n: 2 });
  });

  it('when presses fall at 23:59 and 00:01 local, then each counts in its own local day', () => {
    const { stores } = openStores();
    const h = household(stores, '阳光小区', '1号楼', '101');
    press(stores, h, 'blue', at('2026-02-28T23:59:00'));
    press(stores, h, 'red', at('2026-03-01T00:01:00'));
    press(stores, h, 'yellow', at('2026-03-01T23:59:00'));
    press(stores, h, 'blue', at('2026-03-02T00:01:00'));
    const report = createDailyReport({ stores, log: silentLog() });
    const figures = (day: string) => {
      report.run(day, ZONE, at('2026-03-03T07:00:00'));
      const data = stores.reports.forDay(day)[0]?.data as DailyReport;
      return { red: data.red, yellow: data.yellow, blue: data.blue, from: data.from, to: data.to };
    };

    expect(figures('2026-02-28')).toEqual({
      red: 0,
      yellow: 0,
      blue: 1,
      from: '2026-02-27T16:00:00.000Z',
      to: '2026-02-28T16:00:00.000Z',
    });
    expect(figures('2026-03-01')).toEqual({
      red: 1,
      yellow: 1,
      blue: 0,
      from: '2026-02-28T16:00:00.000Z',
      to: '2026-03-01T16:00:00.000Z',
    });
    expect(figures('2026-03-02')).toEqual({
      red: 0,
      yellow: 0,
      blue: 1,
      from: '2026-03-01T16:00:00.000Z',
      to: '2026-03-02T16:00:00.000Z',
    });
  });

  it('when the zone changes to summer time that day, then the day is 23 hours long', () => {
    const { stores } = openStores();
    household(stores, 'Maple Court', 'A', '1');
    createDailyReport({ stores, log: silentLog() }).run(
      '2026-03-08',
      'America/New_York',
      Date.parse('2026-03-09T12:00:00Z'),
    );
    const data = stores.reports.forDay('2026-03-08')[0]?.data as DailyReport;
    expect([data.from, data.to]).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
  });

  it('when the day or the zone is not valid, then it throws before reading anything', () => {
    const { stores } = openStores();
    const report = createDailyReport({ stores, log: silentLog() });
    expect(() => report.run('2026-02-30', ZONE, Date.now())).toThrow(RangeError);
    expect(() => report.run(DAY, 'Mars/Olympus', Date.now())).toThrow(RangeError);
  });

  it('when the report reads a day, then events and alerts are reached only through their indexes', () => {
    const { stores } = openStores();
    const plans = stores.reports.explain();
    const onEventsOrAlerts = plans.filter((line) => /^(SCAN|SEARCH) (e|a)\b/.test(line));
    expect(onEventsOrAlerts.length).toBeGreaterThanOrEqual(4);
    for (const line of onEventsOrAlerts)
      expect(line).toMatch(/^SEARCH (e|a) USING (COVERING )?INDEX (events_household|alerts_status) /);
  });
});

describe('the daily jobs on the scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('when the clock passes BACKUP_TIME and REPORT_TIME in the zone, then each job fires once a day with the previous local day', async () => {
    const { stores } = openStores();
    household(stores, '阳光小区', '1号楼', '101');
    // 03:29:58 on 2 March in Shanghai.
    vi.useFakeTimers({ now: at('2026-03-02T03:29:58') });
    const config = loadConfig({ DATA_DIR: tempDir(), REPORT_TIME: '06:45' });
    const real = createDailyReport({ stores, log: silentLog() });
    const reportCalls: Array<[string, string, number]> = [];
    const report: DailyReporter = {
      run(day, timeZone, now) {
        reportCalls.push([day, timeZone, now]);
        return real.run(day, timeZone, now);
      },
    };
    const backupCalls: number[] = [];
    const backup: BackupMaker = {
      run(now) {
        backupCalls.push(now);
        return Promise.resolve({ file: '', bytes: 0, ms: 0, deleted: [] });
      },
    };
    const scheduler = startScheduler(dailyJobs(config, { report, backup, clock: systemClock }), silentLog());
    onTestFinished(() => scheduler.stop());

    await vi.advanceTimersByTimeAsync(1000);
    expect(backupCalls).toEqual([]);
    await vi.advanceTimersByTimeAsync(3000);
    expect(backupCalls).toEqual([at('2026-03-02T03:30:00')]);
    expect(reportCalls).toEqual([]);

    await vi.advanceTimersByTimeAsync(at('2026-03-02T06:45:01') - Date.now());
    expect(reportCalls).toEqual([['2026-03-01', ZONE, at('2026-03-02T06:45:00')]]);
    // The job ran the real use case: the report row is there.
    expect(stores.reports.forDay('2026-03-01')).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(24 * 3600 * SEC);
    expect(reportCalls.map((c) => c[0])).toEqual(['2026-03-01', '2026-03-02']);
    expect(backupCalls).toEqual([at('2026-03-02T03:30:00'), at('2026-03-03T03:30:00')]);
  });
});
