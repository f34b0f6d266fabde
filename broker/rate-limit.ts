/**
 * Per-address token buckets for CONNECT attempts: `burst` at once, refilled at `ratePerSec`.
 * A reconnect storm after a power cut is expected and allowed at the configured rate; a client
 * hammering CONNECT from one address is refused before any credential is checked.
 */
export function createConnectRateLimiter(opts: { burst: number; ratePerSec: number; maxTracked?: number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxTracked = opts.maxTracked ?? 100_000;

  function refill(bucket: { tokens: number; at: number }, now: number): void {
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(opts.burst, bucket.tokens + elapsed * opts.ratePerSec);
    bucket.at = now;
  }

  function prune(now: number): void {
    // Only full buckets are forgotten: forgetting one is the same as keeping it.
    for (const [address, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= opts.burst) buckets.delete(address);
    }
  }

  return {
    /** Takes a token for `address`; false when its bucket is empty. */
    take(address: string, now: number): boolean {
      let bucket = buckets.get(address);
      if (bucket === undefined) {
        if (buckets.size >= maxTracked) prune(now);
        bucket = { tokens: opts.burst, at: now };
        buckets.set(address, bucket);
      } else {
        refill(bucket, now);
      }
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
    get tracked() {
      return buckets.size;
    },
  };
}
