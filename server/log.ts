import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

/** A one-tap link's path with its token left out: the token opens an alert's page for a day. */
export function withoutLinkToken(url: string): string {
  return url.replace(/^\/a\/[^/?#]+/, '/a/…');
}

/**
 * Structured logs (JSON lines). Secrets never reach a log: nothing logs a password or secret
 * field, and a request's URL is logged without a one-tap link's token (`/a/…`).
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ribbon-pact' },
      redact: {
        paths: ['password', 'secret', '*.password', '*.secret', 'headers.authorization', 'headers.cookie', 'req.url'],
        censor: (value: unknown, path: string[]) =>
          path.at(-1) === 'url' && typeof value === 'string' ? withoutLinkToken(value) : '[redacted]',
      },
    },
    destination,
  );
}

/**
 * At most `perWindow` takes per `windowMs` (fixed windows from the first take; a clock stepped
 * back starts a new one). What is refused is counted and told with the next take that passes:
 * for logging refusals at a bounded rate (a flood must not become a flood of log lines), and
 * for anything else counted per window.
 */
export function createWindowBudget(perWindow: number, windowMs: number, now: () => number) {
  let windowStart = Number.NEGATIVE_INFINITY;
  let used = 0;
  let refused = 0;
  return {
    /** null: over budget (counted); otherwise how many were refused since the last one that passed. */
    take(): { refusedBefore: number } | null {
      const t = now();
      if (t - windowStart >= windowMs || t < windowStart) {
        windowStart = t;
        used = 0;
      }
      if (used >= perWindow) {
        refused += 1;
        return null;
      }
      used += 1;
      const refusedBefore = refused;
      refused = 0;
      return { refusedBefore };
    },
  };
}
