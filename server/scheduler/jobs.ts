import type { BackupMaker } from '../app/backup.js';
import type { Clock } from '../app/clock.js';
import type { DailyReporter } from '../app/daily-report.js';
import type { Retention } from '../app/retention.js';
import type { Config } from '../config.js';
import { addDays, localDate, parseTimeOfDay } from '../domain/zoned-time.js';
import type { Job } from './index.js';

/** A node-cron expression for every day at local "HH:MM" (validated by loadConfig). */
function dailyAt(time: string): string {
  const minutes = parseTimeOfDay(time);
  if (minutes === null) throw new RangeError(`not a time of day: ${JSON.stringify(time)}`);
  return `${minutes % 60} ${Math.floor(minutes / 60)} * * *`;
}

/** Every second: the sweep (escalations, reminders, missed check-ins, silent devices) and the outbox. */
export function everySecondJobs(run: { sweep: () => unknown; outbox: () => unknown }): Job[] {
  return [
    { name: 'sweep', cron: '* * * * * *', run: run.sweep },
    { name: 'outbox', cron: '* * * * * *', run: run.outbox },
  ];
}

/**
 * The daily jobs, read in the report's time zone: at REPORT_TIME the report for the previous
 * local day, at BACKUP_TIME a backup, at RETENTION_TIME the deletion of what is older than its
 * retention (a quiet hour: its short transactions still share SQLite's one write lock with the
 * presses). Exported so a test can fire them on fake timers.
 */
export function dailyJobs(
  config: Config,
  deps: { report: DailyReporter; backup: BackupMaker; clock: Clock; retention?: Retention },
): Job[] {
  const { retention } = deps;
  const { timeZone } = config.report;
  return [
    {
      name: 'daily-report',
      cron: dailyAt(config.report.time),
      timezone: timeZone,
      run: () => {
        const now = deps.clock.now();
        return deps.report.run(addDays(localDate(now, timeZone), -1), timeZone, now);
      },
    },
    {
      name: 'backup',
      cron: dailyAt(config.backup.time),
      timezone: timeZone,
      run: () => deps.backup.run(deps.clock.now()),
    },
    ...(retention === undefined
      ? []
      : [
          {
            name: 'retention',
            cron: dailyAt(config.retention.time),
            timezone: timeZone,
            run: () => retention.run(deps.clock.now()),
          },
        ]),
  ];
}
