import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../device-sim/random.js';
import {
  backoffCeilingMs,
  createBackoff,
  reconnectDelayMs,
  type Backoff,
} from '../../../device-sim/reconnect-backoff.js';
import { busiestWindow } from '../../fault/net/tally.js';

const B: Backoff = { baseMs: 1000, maxMs: 32_000 };

/**
 * A fleet that lost the broker at the same instant (a broker restart, a partition): each device
 * waits, tries, fails at once while the outage lasts (refused), waits its next backoff, and so on;
 * the first attempt at or after `outageMs` gets in. Returns when each device got back and how
 * many attempts the fleet made during the outage.
 */
function simulateOutage(devices: number, outageMs: number, b: Backoff, seed: number) {
  const random = createRandom(seed);
  const back: number[] = [];
  let failedAttempts = 0;
  for (let d = 0; d < devices; d++) {
    const backoff = createBackoff(b, random.next);
    let t = backoff.next();
    // Bounded: a device whose waits never grew would try outageMs / (base / 2) times at most.
    for (let i = 0; t < outageMs && i < 10_000; i++) {
      failedAttempts += 1;
      t += backoff.next();
    }
    back.push(t);
  }
  return { back, failedAttempts };
}

/** The largest share of `times` within one sliding window of `windowMs`. */
const busiestWindowShare = (times: number[], windowMs: number): number =>
  busiestWindow(times, windowMs).count / times.length;

describe('device-sim reconnect backoff', () => {
  it.each([
    [0, 1000],
    [1, 2000],
    [2, 4000],
    [4, 16_000],
    [5, 32_000],
    [6, 32_000],
    [60, 32_000],
  ])('when %i attempts have failed, then the ceiling of the next wait is %i ms', (failures, ceiling) => {
    expect(backoffCeilingMs(failures, B)).toBe(ceiling);
  });

  it.each([
    [0, 0, 500],
    [0, 0.999, 1499],
    [3, 0, 4000],
    [3, 0.5, 8000],
    [9, 0.999, 47_968],
  ])(
    'when %i attempts have failed and the draw is %d, then the wait is %i ms (±50 % around the ceiling)',
    (failures, unit, ms) => {
      expect(reconnectDelayMs(failures, B, unit)).toBe(ms);
    },
  );

  it('when a device reconnects, then its next wait starts from the base again', () => {
    const backoff = createBackoff(B, () => 0.5);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([1000, 2000, 4000]);
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(1000);
  });

  it('when 1,000 devices lose the broker at once and it is back after 60 s, then no 100 ms window holds more than 2 % of their returns, and they knock fewer than 8 times each meanwhile', () => {
    const { back, failedAttempts } = simulateOutage(1000, 60_000, B, 17);
    // A fixed period with the same ±50 % jitter (the simulator before issue 17) gives ~12 % in the
    // busiest 100 ms and 60 attempts per device: the herd this backoff exists to prevent.
    const share = busiestWindowShare(back, 100);
    expect(share).toBeLessThanOrEqual(0.02);
    expect(failedAttempts / 1000).toBeLessThan(8);
    // Everyone is back within one and a half ceilings of the end.
    expect(Math.max(...back)).toBeLessThan(60_000 + 1.5 * B.maxMs);
  });

  it('when the waits do not grow (a fixed jittered period), then the same outage gives a herd the check above catches', () => {
    const fixed: Backoff = { baseMs: 1000, maxMs: 1000 };
    const { back, failedAttempts } = simulateOutage(1000, 60_000, fixed, 17);
    expect(busiestWindowShare(back, 100)).toBeGreaterThan(0.02);
    expect(failedAttempts / 1000).toBeGreaterThan(40);
  });
});
