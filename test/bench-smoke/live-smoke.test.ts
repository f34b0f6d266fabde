import { describe, expect, it } from 'vitest';
import { benchLive } from '../../bench/live.js';
import { requireProgram } from '../helpers/tools.js';
import { MOSQUITTO_PATH } from '../helpers/mosquitto.js';

const mosquitto = requireProgram(MOSQUITTO_PATH, 'mosquitto');

// The benchmark is not a test, but its smoke mode runs here so it cannot rot.
describe.skipIf(!mosquitto.available)('bench:live smoke', () => {
  it('when the live benchmark runs in smoke mode, then dashboards receive deltas and red-to-screen, fan-out and floor latencies are measured', async () => {
    const lines: string[] = [];
    const result = await benchLive({ smoke: true, log: (l) => lines.push(l) });
    expect(result.floor.receiveLatency.n).toBeGreaterThan(0);
    expect(result.floor.receiveLatency.p99).toBeGreaterThan(0);
    if (result.fanOut === null) throw new Error('fan-out was not measured');
    for (const part of [result.redToScreen, result.fanOut]) {
      // Every probe press is seen (its receipt, before the commit) and on record (its report,
      // after the commit) on every dashboard.
      expect(part.probesSeen).toBe(part.probesSent);
      expect(part.probesOnRecord).toBe(part.probesSent);
      expect(part.seen.n).toBe(part.probesSent * part.dashboards);
      expect(part.onRecord.n).toBe(part.probesSent * part.dashboards);
      expect(part.seen.p50).toBeGreaterThan(0);
      // A receipt never comes after its report: not in a later frame (time), nor later in the same frame (order).
      const late = Array.from(part.seenMs.keys()).filter(
        (k) => !((part.seenMs[k] as number) <= (part.onRecordMs[k] as number)),
      );
      expect(late).toEqual([]);
      expect(part.reportBeforeReceipt).toBe(0);
      expect(part.deltasPerSec).toBeGreaterThan(0);
      // A delta frame holds one or more changes.
      expect(part.framesPerSec).toBeGreaterThan(0);
      expect(part.deltasPerSec).toBeGreaterThanOrEqual(part.framesPerSec);
      expect(part.load.acked).toBeGreaterThan(0);
      expect(part.gaps).toBe(0);
    }
    expect(result.redToScreen.dashboards).toBe(1);
    expect(result.fanOut.dashboards).toBe(5);
    // The Node-RED peer and the other rates are left out of smoke mode (the peer needs the npm registry).
    expect(result.redToScreenAt).toEqual([]);
    expect(result.peer).toEqual({ runs: [], error: null });
    expect(lines.some((l) => l.startsWith('fan-out at ') && l.includes('deltas/s'))).toBe(true);
    expect(
      lines.some(
        (l) =>
          l.startsWith('red to screen at ') &&
          l.includes('seen (receipt, before the commit) p50') &&
          l.includes('on record (report, after the commit) p50'),
      ),
    ).toBe(true);
  }, 90_000);
});
