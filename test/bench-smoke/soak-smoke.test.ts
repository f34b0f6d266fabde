import { describe, expect, it } from 'vitest';
import { benchSoak } from '../../bench/soak.js';
import { SERIES } from '../../bench/lib/soak-series.js';

// The soak benchmark runs an hour (npm run bench:soak); its smoke mode runs here so it cannot rot:
// 100 devices for 9 s, their day at 3600× (9 simulated hours from 06:00, so the morning presses
// come), sampled every second.
describe('bench:soak smoke', () => {
  it('when the soak runs briefly, then the server is sampled, every series judged, and every PUBACKed press is on disk once', async () => {
    const lines: string[] = [];
    const result = await benchSoak({
      minutes: 0.15,
      devices: 100,
      speed: 3600,
      sampleSec: 1,
      seed: 17,
      startHour: 6,
      log: (l) => lines.push(l),
    });
    expect(result.samples.length).toBeGreaterThanOrEqual(5);
    for (const s of result.samples) {
      for (const series of SERIES)
        expect({ series, value: Number.isFinite(s[series]) }).toEqual({ series, value: true });
    }
    expect(result.samples.at(-1)?.connectedDevices).toBe(100);
    expect(result.trends.map((t) => t.series)).toEqual(SERIES);
    expect(result.presses.acked).toBeGreaterThan(20);
    expect(result.presses).toMatchObject({ lost: 0, twice: 0 });
    expect(result.presses.stored).toBe(result.presses.acked);
    expect(result.actions.failed).toBe(0);
    expect(result.server.exit.code).toBe(0);
    expect(lines.some((l) => l.startsWith('| series'))).toBe(true);
  }, 60_000);
});
