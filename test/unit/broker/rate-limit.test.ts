import { describe, expect, it } from 'vitest';
import { createConnectRateLimiter } from '../../../broker/rate-limit.js';

const T0 = 1_764_028_800_000; // a fake `now`; only differences matter

function takeMany(
  limiter: ReturnType<typeof createConnectRateLimiter>,
  address: string,
  n: number,
  now: number,
): boolean[] {
  return Array.from({ length: n }, () => limiter.take(address, now));
}

describe('createConnectRateLimiter: burst', () => {
  it.each([1, 3, 10])(
    'when an address sends %i CONNECTs at once with that burst, then all pass and the next is refused',
    (burst) => {
      const limiter = createConnectRateLimiter({ burst, ratePerSec: 1 });
      expect(takeMany(limiter, '10.0.0.1', burst, T0)).toEqual(Array(burst).fill(true));
      expect(limiter.take('10.0.0.1', T0)).toBe(false);
      expect(limiter.take('10.0.0.1', T0)).toBe(false);
    },
  );
});

describe('createConnectRateLimiter: refill over time', () => {
  it.each([
    // [elapsed ms after emptying, ratePerSec, CONNECTs then allowed]
    [0, 2, 0],
    [499, 2, 0],
    [500, 2, 1],
    [999, 2, 1],
    [1000, 2, 2],
    [1500, 2, 3],
    [10_000, 2, 5], // capped at the burst
    [20, 50, 1],
    [19, 50, 0],
  ])('when %i ms pass at %i/s after the bucket emptied, then %i more CONNECTs pass', (elapsed, ratePerSec, allowed) => {
    const limiter = createConnectRateLimiter({ burst: 5, ratePerSec });
    takeMany(limiter, 'a', 5, T0);
    const results = takeMany(limiter, 'a', 6, T0 + elapsed);
    expect(results.filter(Boolean)).toHaveLength(allowed);
    expect(results).toEqual([...Array(allowed).fill(true), ...Array(6 - allowed).fill(false)]);
  });

  it('when refused attempts keep coming, then they do not push the refill back', () => {
    const limiter = createConnectRateLimiter({ burst: 1, ratePerSec: 1 });
    expect(limiter.take('a', T0)).toBe(true);
    expect(limiter.take('a', T0 + 300)).toBe(false);
    expect(limiter.take('a', T0 + 600)).toBe(false);
    expect(limiter.take('a', T0 + 999)).toBe(false);
    expect(limiter.take('a', T0 + 1000)).toBe(true);
  });

  it('when CONNECTs come steadily at the sustained rate, then each passes', () => {
    const limiter = createConnectRateLimiter({ burst: 1, ratePerSec: 10 });
    const results = Array.from({ length: 50 }, (_, i) => limiter.take('a', T0 + i * 100));
    expect(results).toEqual(Array(50).fill(true));
  });

  it('when the clock steps backwards, then no tokens are made up and none are lost', () => {
    const limiter = createConnectRateLimiter({ burst: 2, ratePerSec: 1 });
    expect(limiter.take('a', T0)).toBe(true);
    expect(limiter.take('a', T0 - 60_000)).toBe(true);
    expect(limiter.take('a', T0 - 60_000)).toBe(false);
  });
});

describe('createConnectRateLimiter: addresses are separate', () => {
  it('when one address has used its burst, then another address still gets its own', () => {
    const limiter = createConnectRateLimiter({ burst: 2, ratePerSec: 1 });
    expect(takeMany(limiter, '10.0.0.1', 3, T0)).toEqual([true, true, false]);
    expect(takeMany(limiter, '10.0.0.2', 3, T0)).toEqual([true, true, false]);
    expect(takeMany(limiter, '::1', 3, T0)).toEqual([true, true, false]);
    expect(limiter.tracked).toBe(3);
  });
});

describe('createConnectRateLimiter: pruning', () => {
  it('when the table is full, then full buckets are forgotten and empty ones kept', () => {
    const limiter = createConnectRateLimiter({ burst: 2, ratePerSec: 1, maxTracked: 3 });
    takeMany(limiter, 'hammer', 2, T0); // empty
    limiter.take('calm-1', T0); // 1 of 2 left, full again after 1 s
    limiter.take('calm-2', T0);
    expect(limiter.tracked).toBe(3);
    limiter.take('newcomer', T0 + 1000); // table full: prune first
    // calm-1 and calm-2 refilled to full and were forgotten; hammer had only 1 token back.
    expect(limiter.tracked).toBe(2);
  });

  it('when pruning happens, then an address that was refused is still refused', () => {
    const limiter = createConnectRateLimiter({ burst: 2, ratePerSec: 1, maxTracked: 2 });
    expect(takeMany(limiter, 'hammer', 3, T0)).toEqual([true, true, false]);
    limiter.take('b', T0);
    limiter.take('c', T0); // prunes; hammer's bucket is empty, so it is kept
    expect(limiter.take('hammer', T0)).toBe(false);
  });

  it('when a pruned address comes back, then it gets exactly the burst a kept one would', () => {
    const pruned = createConnectRateLimiter({ burst: 3, ratePerSec: 1, maxTracked: 1 });
    const kept = createConnectRateLimiter({ burst: 3, ratePerSec: 1, maxTracked: 1000 });
    for (const limiter of [pruned, kept]) {
      limiter.take('a', T0); // 2 left, full again at T0 + 1000
      limiter.take('b', T0 + 5000); // with maxTracked 1 this prunes 'a'
    }
    expect(pruned.tracked).toBe(1);
    expect(kept.tracked).toBe(2);
    expect(takeMany(pruned, 'a', 4, T0 + 5000)).toEqual([true, true, true, false]);
    expect(takeMany(kept, 'a', 4, T0 + 5000)).toEqual([true, true, true, false]);
  });
});
