import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export type Job = {
  name: string;
  /** node-cron expression; six fields (with seconds) for the every-second jobs. */
  cron: string;
  run: () => unknown;
  /** Cron times are read in this zone (daily jobs); default the process's. */
  timezone?: string;
};

/**
 * node-cron runs the jobs; jobs only call use cases. A job that throws is logged and runs again
 * at its next time; noOverlap keeps a slow run from piling up behind itself.
 */
export function startScheduler(jobs: readonly Job[], log: Logger): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.cron,
      async () => {
        try {
          await job.run();
        } catch (err) {
          log.error({ err, job: job.name }, 'scheduled job failed');
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
