// The sweep benchmark in its smoke mode (1,000 households, few repetitions), in-process: it must
// run to the end, find no work when nothing is due, explain the due queries as partial-index
// searches, and carry a burst of due emergencies all the way to tier 2 with their outbox rows.
// Timings are printed, never asserted (budgets are measured by `bench/sweep.ts`, not by tests).
import { describe, expect, it } from 'vitest';
import { benchSweep } from '../../bench/sweep.js';

describe('bench/sweep.ts --smoke', () => {
  it('when run in smoke mode, then nothing due means no work and the due burst is fully processed', () => {
    const lines: string[] = [];
    const { plan, results, section } = benchSweep({ smoke: true, log: (line) => lines.push(line) });

    expect(results).toHaveLength(plan.sizes.length);
    for (const r of results) {
      // Nothing due: every idle sweep and every due query alone found nothing.
      expect(r.idle.work).toBe(0);
      expect(r.devices).toBe(r.households);
      expect(r.alerts.openWithDue).toBeGreaterThan(0); // open alerts with a future due time exist…
      // …and the three due queries are searches of their partial indexes, never scans.
      expect(r.plans.map((p) => [p.table, p.usesIndex])).toEqual([
        ['alerts', true],
        ['households', true],
        ['devices', true],
      ]);

      // The burst: every alert escalated once, in as many sweeps as the limit requires.
      expect(r.due.failed).toBe(0);
      expect(r.due.processed).toBe(r.due.batch);
      expect(r.due.sweeps).toBe(Math.ceil(r.due.batch / (plan.sweepLimit ?? 1000)));
      expect(r.due.atLevel2).toBe(r.due.batch);
      expect(r.due.escalatedOutbox).toBe(r.due.batch);
      expect(r.due.remainingDue).toBe(0);
    }
    expect(section.rows).toHaveLength(results.length);
    expect(lines.join('\n')).toContain('emergencies due at once');
  });
});
