import { describe, expect, it, onTestFinished } from 'vitest';
import { startScheduler } from '../../../../server/scheduler/index.js';
import { captureLogs } from '../../../helpers/system.js';
import { waitUntil } from '../../../helpers/tools.js';

// A job that fails every second (the sweep on a full disk) must not write a line a second.

describe('the scheduler', () => {
  it('when an every-second job keeps failing, then its failure is logged a few times, then held back and counted', async () => {
    const logs = captureLogs();
    let runs = 0;
    const scheduler = startScheduler(
      [
        {
          name: 'sweep',
          cron: '* * * * * *',
          run: () => {
            runs += 1;
            throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
          },
        },
      ],
      logs.log,
      // Time stands still: the budget of a few lines is never refilled.
      () => 1_000_000,
    );
    onTestFinished(() => scheduler.stop());
    await waitUntil(() => runs >= 5, 'five failed runs', 15_000);
    const failed = logs.lines.filter((l) => l.msg === 'scheduled job failed');
    expect(failed).toHaveLength(3);
    expect(failed[0]).toMatchObject({ level: 50, job: 'sweep' });
  });
});
