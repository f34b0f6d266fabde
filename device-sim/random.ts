// A small seeded PRNG (mulberry32): a simulation run can be replayed from its seed.
// Not for secrets.

export type Random = {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A key chosen with probability proportional to its weight. */
  pick<K extends string>(weights: Readonly<Record<K, number>>): K;
  /** An exponentially distributed value with the given mean (gaps of a Poisson process). */
  exponential(mean: number): number;
};

export function createRandom(seed: number): Random {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  let state = seed >>> 0;

  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  return {
    next,
    int(n) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs an integer n >= 1, got ${n}`);
      return Math.floor(next() * n);
    },
    pick<K extends string>(weights: Readonly<Record<K, number>>): K {
      // Object key order is insertion order, so the same seed picks the same keys.
      const entries = Object.entries(weights) as Array<[K, number]>;
      let total = 0;
      for (const [key, w] of entries) {
        if (!Number.isFinite(w) || w < 0) throw new RangeError(`weight of "${key}" must be >= 0, got ${w}`);
        total += w;
      }
      if (total <= 0) throw new RangeError('pick() needs at least one positive weight');
      let r = next() * total;
      for (const [key, w] of entries) {
        if (r < w) return key;
        r -= w;
      }
      // Rounding can leave r a hair above the last weight: the last positive key is right then.
      return entries.filter(([, w]) => w > 0).at(-1)![0];
    },
    exponential(mean) {
      if (!(mean > 0)) throw new RangeError(`exponential(mean) needs mean > 0, got ${mean}`);
      // 1 - next() is in (0, 1], so the log is finite.
      return -Math.log(1 - next()) * mean;
    },
  };
}

/** Derives independent, reproducible seeds (one per device) from one run seed. */
export function deriveSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
