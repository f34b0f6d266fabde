import { describe, expect, it } from 'vitest';
import { benchIngest } from '../../bench/ingest.js';
import { requireProgram } from '../helpers/tools.js';
import { MOSQUITTO_PATH } from '../helpers/mosquitto.js';

// The benchmark is not a test, but its smoke mode runs here so it cannot rot.
const mosquitto = requireProgram(MOSQUITTO_PATH, 'mosquitto');

describe.skipIf(!mosquitto.available)('bench:ingest smoke', () => {
  it('when the ingest benchmark runs in smoke mode, then presses are acknowledged, all on disk, beside a measured floor', async () => {
    const lines: string[] = [];
    const result = await benchIngest({ smoke: true, log: (l) => lines.push(l) });
    expect(result.floor.receivedPerSec).toBeGreaterThan(0);
    expect(result.best.load.acked).toBeGreaterThan(0);
    expect(result.best.stored).toBeGreaterThanOrEqual(result.best.load.acked);
    expect(lines.some((l) => l.includes('durable presses/s'))).toBe(true);
  }, 60_000);
});
