import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { createBoundedLog } from '../../broker/admission.js';

/** A job failing every second (the sweep on a full disk) is logged a few times, then once a minute with the count. */
const JOB_FAILURE_LOG = { burst: 3, perSec: 1 / 60 } as const;

export type Job = {
  name: string;
  /** node-cron expression; six fields (with seconds) for the every-second jobs. */
  cron: string;
  run: () => unknown;
  /** Cron times are read in this zone (daily jobs); default the process's. */
  timezone?: string;
};

/**
 * node-cron runs the jobs; jobs only call use cases. A job that throws is logged (at a bounded
 * rate per job) and runs again at its next time; noOverlap keeps a slow run from piling up behind itself.
 */
export function startScheduler(
  jobs: readonly Job[],
  log: Logger,
  now: () => number = Date.now,
): { stop(): Promise<void> } {
  const failures = createBoundedLog<{ err: unknown; job: string }>(
    (fields, msg) => log.error(fields, msg),
    JOB_FAILURE_LOG,
  );
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.cron,
      async () => {
        try {
          await job.run();
        } catch (err) {
          failures.warn(job.name, { err, job: job.name }, 'scheduled job failed', now());
        }
      },
      { name: job.name, noOverlap: true, ...(job.timezone ? { timezone: job.timezone } : {}) },
    ),
  );
  return {
    async stop() {
      for (const task of tasks) await task.stop();
      for (const task of tasks) await task.destroy();
    },
  };
}
