// The roll-up benchmark in its smoke mode (a district of 12 compounds, 600 households, few
// repetitions), in-process: it must run to the end, time every level, add up, and read events
// and alerts only through their indexes. Timings are printed, never asserted (the target is
// measured by `bench/rollups.ts`, not by tests).
import { describe, expect, it } from 'vitest';
import { benchRollUps } from '../../bench/rollups.js';

describe('bench/rollups.ts --smoke', () => {
  it('when run in smoke mode, then every level is timed beside the floor, the district adds up, and no read scans events or alerts', () => {
    const lines: string[] = [];
    const { plan, district, results, floor, addsUp, plans, section } = benchRollUps({
      smoke: true,
      log: (line) => lines.push(line),
    });
    expect(results.map((r) => [r.level, r.ms.n])).toEqual([
      ['district', plan.reps],
      ['street', plan.reps],
      ['community', plan.reps],
      ['compound', plan.reps],
    ]);
    expect(floor.n).toBe(plan.reps);
    expect(results[0]).toMatchObject({ compounds: district.compounds, households: district.households });
    expect(results[3]?.compounds).toBe(1);
    expect(addsUp).toBe(true);
    expect(district.alertsToday).toBeGreaterThan(0);
    expect(plans.join('\n')).not.toMatch(/SCAN (events|alerts|e|a)\b/);
    expect(section.rows).toHaveLength(5);
    expect(lines.join('\n')).toContain('district p99');
  });
});
