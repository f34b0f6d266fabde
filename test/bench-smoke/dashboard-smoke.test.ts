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
    const { plan, phases, section, stats } = await benchDashboard({
      smoke: true,
      resultsFile: null,
      log: (l) => lines.push(l),
    });
    expect(phases.map((p) => p.rate)).toEqual([0, ...plan.rates]);
    for (const p of phases) expect(p.frames.frames).toBeGreaterThan(0);
    // Each phase under load reached the screen (its marker tile turned red)…
    for (const p of phases.slice(1)) {
      expect(p.sent).toBeGreaterThan(0);
      expect(p.shown).toBe(true);
    }
    // …without a resync: the wall was built when the view mounted and for the one snapshot, and
    // every delta after that was applied in place (a lost delta would resync and rebuild).
    expect(stats.wall.rebuilds).toBe(2);
    expect(section.rows).toHaveLength(phases.length);
    expect(lines.join('\n')).toContain('floor');
  }, 120_000);
});
