// The district benchmark in its smoke mode (12 compounds, 600 households, 2 s phases), so it
// cannot rot: the snapshots of each level are built and an area view is smaller than the
// household-by-household one; the district wall loads its place tiles, measures frames, and
// sees its reds in the pinned strip. Frame and time figures are printed, never asserted
// (bench/district.ts measures them, not a test).
import { describe, expect, it } from 'vitest';
import { benchDistrict } from '../../bench/district.js';
import { browserAvailable, ensureDashboardBuilt } from '../helpers/browser.js';

describe.skipIf(!browserAvailable())('bench/district.ts --smoke', () => {
  it('builds each level’s snapshot, loads the district wall’s place tiles and sees its reds in the strip', async () => {
    await ensureDashboardBuilt();
    const lines: string[] = [];
    const { sizes, wall, sections } = await benchDistrict({
      smoke: true,
      resultsFile: null,
      log: (l) => lines.push(l),
    });
    expect(sizes.map((s) => s.level)).toEqual(['district', 'street', 'community', 'compound']);
    for (const s of sizes.slice(0, 3)) expect(s.view.bytes).toBeLessThan(s.whole.bytes);
    // A compound user's wall is its households, as household by household (and the way up: its areas).
    expect(Math.abs((sizes[3]?.view.bytes ?? 0) - (sizes[3]?.whole.bytes ?? 0))).toBeLessThan(1024);
    expect(wall.tiles).toBe(4);
    const [floor, load] = wall.phases;
    expect(floor?.frames.frames).toBeGreaterThan(0);
    expect(load?.sent).toBeGreaterThan(0);
    expect(load?.reds.n).toBeGreaterThan(0);
    expect(load?.missed).toBe(0);
    expect(sections).toHaveLength(2);
    expect(lines.join('\n')).toContain('floor');
  }, 180_000);
});
