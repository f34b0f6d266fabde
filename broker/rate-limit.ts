/**
 * Per-key token buckets (the key is a source address, or a kind of log line): `burst` at once,
 * refilled at `ratePerSec`. For CONNECTs, a reconnect storm after a power cut is expected and
 * allowed at the configured rate; an address hammering CONNECT is refused (admission.ts keeps
 * good and failed logins in separate buckets).
 */
export function createConnectRateLimiter(opts: { burst: number; ratePerSec: number; maxTracked?: number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxTracked = opts.maxTracked ?? 100_000;
  let lastPrune = -Infinity;

  function refill(bucket: { tokens: number; at: number }, now: number): void {
    // Time only moves the bucket forward: after a clock step back, the same stretch of time
    // must not refill it twice.
    if (now <= bucket.at) return;
    bucket.tokens = Math.min(opts.burst, bucket.tokens + ((now - bucket.at) / 1000) * opts.ratePerSec);
    bucket.at = now;
  }

  function prune(now: number): void {
    // Only full buckets are forgotten: forgetting one is the same as keeping it.
    lastPrune = now;
    for (const [address, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= opts.burst) buckets.delete(address);
    }
  }

  function evictOne(now: number): void {
    let victim: string | undefined;
    let looked = 0;
    for (const [address, bucket] of buckets) {
      victim ??= address;
      refill(bucket, now);
      if (bucket.tokens >= 1) {
        victim = address;
        break;
      }
      if (++looked >= 16) break;
    }
    if (victim !== undefined) buckets.delete(victim);
  }

  return {
    /** Takes a token for `address`; false when its bucket is empty. */
    take(address: string, now: number): boolean {
      let bucket = buckets.get(address);
      if (bucket === undefined) {
        // At most one full scan a second, however many new addresses arrive.
        if (buckets.size >= maxTracked && now - lastPrune >= 1000) prune(now);
        // Still full: the table is a cap, not a hint. Make room among the oldest few entries
        // (Map keeps insertion order), sparing empty buckets: those are the addresses being
        // held back. At worst an evicted address gets a fresh burst during an address flood.
        if (buckets.size >= maxTracked) evictOne(now);
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
