// The dashboard benchmark in its smoke mode (300 households, a second per phase), so it cannot
// rot: it must load the wall, measure frames, and see its marker report on the wall. Frame
// figures are printed, never asserted (bench/dashboard.ts measures them, not a test).
import { describe, expect, it } from 'vitest';
import { benchDashboard } from '../../bench/dashboard.js';
import { browserAvailable, ensureDashboardBuilt } from '../helpers/browser.js';

describe.skipIf(!browserAvailable())('bench/dashboard.ts --smoke', () => {
  it('loads the wall, measures a floor and a phase under reports, and sees each phase through to the screen', async () => {
    await ensureDashboardBuilt();
    const lines: string[] = [];
    const { plan, phases, section, stats } = await benchDashboard({ smoke: true, resultsFile: null, log: (l) => lines.push(l) });
    expect(phases.map((p) => p.rate)).toEqual([0, ...plan.rates]);
    for (const p of phases) {
      expect(p.frames.frames).toBeGreaterThan(0);
      expect(p.shown).toBe(true);
    }
    expect(phases[1]?.sent).toBeGreaterThan(0);
    // Every report reached the page as a change; the wall was built once per snapshot only.
    expect(stats.changes).toBeGreaterThanOrEqual(phases.reduce((n, p) => n + p.sent, 0));
    expect(section.rows).toHaveLength(phases.length);
    expect(lines.join('\n')).toContain('floor');
  }, 120_000);
});
