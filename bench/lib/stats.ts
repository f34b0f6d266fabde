// Latency statistics for benchmarks: exact percentiles over an array, and a fixed-bucket
// histogram (microsecond resolution below 1 ms, ~0.1 % relative error above) for runs too big to
// keep every sample, or whose samples live in another process and must cross IPC.

/** Summary of a sample in milliseconds. An empty sample gives n = 0 and NaN elsewhere. */
export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Nearest-rank percentile of an ascending array: the smallest value such that at least p % of
 * the values are ≤ it (p = 0 gives the minimum, p = 100 the maximum). NaN for an empty array.
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Percentiles of an unsorted array (it is copied, not sorted in place). */
export function percentiles(values: readonly number[], ps: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return ps.map((p) => percentileOfSorted(sorted, p));
}

export function summarize(ms: readonly number[]): Summary {
  if (ms.length === 0) return emptySummary();
  const sorted = [...ms].sort((a, b) => a - b);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
  };
}

function emptySummary(): Summary {
  return { n: 0, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
}

// ── Histogram ────────────────────────────────────────────────────────────────────────────────
// Buckets, in whole microseconds: 0..1023 µs one bucket per µs (exact); above, each power of two
// [2^e, 2^(e+1)) is cut into 512 equal buckets (width 2^(e-9) µs, so ≤ 0.1 % relative error).
// Values are capped at 2^40 µs (~12.7 days), which bounds the array at 1024 + 30·512 entries.

const LINEAR = 1024;
const SUB = 512;
const MIN_EXP = 10; // log2(LINEAR)
const MAX_EXP = 40;
const BUCKETS = LINEAR + (MAX_EXP - MIN_EXP) * SUB;
const MAX_US = 2 ** MAX_EXP - 1;

/** Serializable form of a histogram (sparse: only non-empty buckets). */
export interface HistogramData {
  buckets: Array<[index: number, count: number]>;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
}

export interface Histogram {
  /** Records one value in milliseconds (negative values count as 0). */
  record(ms: number): void;
  readonly count: number;
  /** Nearest-rank percentile in ms, exact to 1 µs below 1 ms and to ~0.1 % above. */
  percentile(p: number): number;
  summary(): Summary;
  merge(other: HistogramData): void;
  toData(): HistogramData;
}

export function bucketIndex(us: number): number {
  const v = Math.min(MAX_US, Math.max(0, Math.floor(us)));
  if (v < LINEAR) return v;
  const e = Math.floor(Math.log2(v));
  // Math.log2 can land one below the true exponent for values just under a power of two.
  const exp = 2 ** (e + 1) <= v ? e + 1 : e;
  const width = 2 ** (exp - 9);
  return LINEAR + (exp - MIN_EXP) * SUB + (Math.floor(v / width) - SUB);
}

/** Smallest and largest whole-µs values that fall into a bucket. */
export function bucketBounds(index: number): [low: number, high: number] {
  if (index < LINEAR) return [index, index];
  const k = index - LINEAR;
  const exp = MIN_EXP + Math.floor(k / SUB);
  const width = 2 ** (exp - 9);
  const low = (SUB + (k % SUB)) * width;
  return [low, low + width - 1];
}

export function createHistogram(data?: HistogramData): Histogram {
  const counts = new Float64Array(BUCKETS);
  let count = 0;
  let sumUs = 0;
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = Number.NEGATIVE_INFINITY;

  const merge = (other: HistogramData): void => {
    for (const [i, c] of other.buckets) {
      if (i < 0 || i >= BUCKETS) throw new RangeError(`histogram bucket ${i} out of range`);
      counts[i] = (counts[i] as number) + c;
    }
    count += other.count;
    sumUs += other.sumUs;
    if (other.count > 0) {
      minUs = Math.min(minUs, other.minUs);
      maxUs = Math.max(maxUs, other.maxUs);
    }
  };

  const percentileUs = (p: number): number => {
    if (count === 0) return Number.NaN;
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
    if (p === 100) return maxUs;
    const rank = Math.max(1, Math.ceil((p / 100) * count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += counts[i] as number;
      if (seen >= rank) {
        const [low, high] = bucketBounds(i);
        // Midpoint of the bucket, but never outside what was actually recorded.
        return Math.min(maxUs, Math.max(minUs, (low + high) / 2));
      }
    }
    return maxUs;
  };

  const histogram: Histogram = {
    record(ms: number): void {
      const us = ms > 0 ? ms * 1000 : 0;
      const i = bucketIndex(us);
      counts[i] = (counts[i] as number) + 1;
      count++;
      sumUs += us;
      if (us < minUs) minUs = us;
      if (us > maxUs) maxUs = us;
    },
    get count() {
      return count;
    },
    percentile(p: number): number {
      return percentileUs(p) / 1000;
    },
    summary(): Summary {
      if (count === 0) return emptySummary();
      return {
        n: count,
        p50: percentileUs(50) / 1000,
        p90: percentileUs(90) / 1000,
        p99: percentileUs(99) / 1000,
        max: maxUs / 1000,
        mean: sumUs / count / 1000,
      };
    },
    merge,
    toData(): HistogramData {
      const buckets: Array<[number, number]> = [];
      for (let i = 0; i < BUCKETS; i++) {
        const c = counts[i] as number;
        if (c > 0) buckets.push([i, c]);
      }
      return { buckets, count, sumUs, minUs: count > 0 ? minUs : 0, maxUs: count > 0 ? maxUs : 0 };
    },
  };
  if (data) merge(data);
  return histogram;
}
