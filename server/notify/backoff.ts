/**
 * When the outbox tries a transient failure again: exponential backoff with full jitter
 * (delay = random × min(max, base × 2^(attempt-1))), so many rows failing together — a robot
 * rate-limiting us, a receiver restarting — do not come back in lockstep. Pure: `random` is
 * passed in (Math.random in production, a constant in tests).
 *
 * With the defaults the ceilings are 2 s, 4 s, 8 s, … 256 s for attempts 1-8, so the 7 waits
 * between 8 attempts add up to at most 254 s (about 2 min on average). A robot that throttles
 * for longer (DingTalk: 10 min after 20 messages a minute) says so through `retryAfterMs`;
 * pass it as `atLeastMs`.
 */

/** Attempts per message, the first included; after the last transient failure the row is failed for good. */
export const MAX_ATTEMPTS = 8;

export type BackoffOptions = {
  /** Ceiling of the first delay. */
  baseMs?: number;
  /** No delay is longer than this, `atLeastMs` included. */
  maxMs?: number;
  /** The receiver's own hint (Retry-After, a throttle window): the delay is never shorter. */
  atLeastMs?: number;
};

/**
 * Milliseconds to wait after failed attempt number `attempt` (1 = the first try failed) before
 * the next one. `random` returns a number in [0, 1).
 */
export function retryDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  const { baseMs = 2000, maxMs = 600_000, atLeastMs = 0 } = options;
  if (!(baseMs > 0) || !(maxMs >= baseMs)) throw new RangeError(`need 0 < baseMs ≤ maxMs, got ${baseMs} and ${maxMs}`);
  // 2^(attempt-1) overflows to Infinity for huge attempts; Math.min keeps the ceiling finite.
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  const jittered = Math.floor(unit * ceiling);
  return Math.min(maxMs, Math.max(jittered, Math.ceil(atLeastMs)));
}

/** True when a transient failure on attempt number `attempt` still leaves a try. */
export function shouldRetry(attempt: number, maxAttempts = MAX_ATTEMPTS): boolean {
  return attempt < maxAttempts;
}
