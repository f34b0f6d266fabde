// How long a button waits before its next connection attempt (docs/protocol.md §6): exponential
// backoff with jitter. After a broker restart, a power cut or a network partition every button of
// a district lost its link at the same instant; if they all retried on a fixed period they would
// knock together, every period, for as long as the outage lasts, and come back in one wave when
// it ends. Doubling the wait after each failed attempt thins the knocking out (a few attempts per
// device in a minute-long outage, not sixty), and drawing each wait at random around its ceiling
// spreads the devices' attempts in time, so the ones that come back do not arrive together.
//
// Wait n (n = failed attempts since the last successful CONNACK, from 0):
//   ceiling(n) = min(maxMs, baseMs × 2^n),  wait(n) drawn uniformly from [0.5, 1.5) × ceiling(n).
// The first wait is the old fixed-period jitter ([0.5, 1.5) × base); the jitter stays ±50 % at the
// ceiling, so a long outage never settles every device on the same period.

export type Backoff = {
  /** Ceiling of the first wait, ms (`reconnectPeriodMs`). */
  baseMs: number;
  /** The ceiling stops doubling here, ms; a wait is at most 1.5 × this. */
  maxMs: number;
};

/** How many times the ceiling doubles by default before it stops: 32 × base (1 s → 32 s). */
export const DEFAULT_BACKOFF_DOUBLINGS = 5;

/** The ceiling of wait n: base × 2^n, at most maxMs (and never below base). */
export function backoffCeilingMs(failures: number, b: Backoff): number {
  // 2^n overflows nothing here: n is capped where the ceiling would pass maxMs anyway.
  const doublings = Math.min(Math.max(0, Math.floor(failures)), 52);
  return Math.max(b.baseMs, Math.min(b.maxMs, b.baseMs * 2 ** doublings));
}

/** Wait n in ms, from a uniform draw `unit` in [0, 1) (Math.random or a seeded generator). */
export function reconnectDelayMs(failures: number, b: Backoff, unit: number): number {
  return Math.round(backoffCeilingMs(failures, b) * (0.5 + unit));
}

/**
 * The waits of one client: next() after each lost or failed connection, reset() on a successful
 * CONNACK (a device that got back in starts again from the short wait).
 */
export function createBackoff(b: Backoff, random: () => number = Math.random) {
  let failures = 0;
  return {
    next(): number {
      const ms = reconnectDelayMs(failures, b, random());
      failures += 1;
      return ms;
    },
    reset(): void {
      failures = 0;
    },
    get failures(): number {
      return failures;
    },
  };
}
