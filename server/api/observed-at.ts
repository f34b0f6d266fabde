import { Type } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.js';

/** How far ahead of the server's clock a phone's time may be (it then counts as now). */
export const OBSERVED_SKEW_MS = 60_000;
/** The oldest observation taken: an outbox older than a week is not a check-in worth counting. */
export const OBSERVED_MAX_AGE_MS = 7 * 86_400_000;

// ISO 8601 (RFC 3339) date and time with a zone (Z or ±HH:MM); seconds optional, fractions up
// to nanoseconds (only milliseconds are kept).
export const INSTANT =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))$/;

/** An ISO 8601 time with a zone read as epoch ms: a real calendar instant (Date.parse would take 02-30 as 03-02). */
export function parseInstant(text: string): { ok: true; value: number } | { ok: false; reason: string } {
  const m = INSTANT.exec(text);
  if (m === null)
    return {
      ok: false,
      reason: 'must be an ISO 8601 time with a zone, such as 2026-11-25T09:00:00+08:00 or 2026-11-25T01:00:00.000Z',
    };
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = Number(m[6] ?? 0);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetMin = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    Number(m[10] ?? 0) > 23 ||
    Number(m[11] ?? 0) > 59
  ) {
    return { ok: false, reason: 'is not a real date and time' };
  }
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  return { ok: true, value: Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000 };
}

/**
 * The `observedAt` of a report or visit (the moment the volunteer tapped, sent later from the
 * patrol page's offline queue): a real calendar instant (parseInstant),
 * at most OBSERVED_SKEW_MS ahead of `now` and at most OBSERVED_MAX_AGE_MS old. The value is
 * epoch ms, not clamped (the use case counts a future one as now).
 */
export function checkObservedAt(
  text: string,
  now: number,
): { ok: true; value: number } | { ok: false; reason: string } {
  const parsed = parseInstant(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (value > now + OBSERVED_SKEW_MS)
    return { ok: false, reason: `is more than ${OBSERVED_SKEW_MS / 1000} s ahead of the server's clock` };
  if (value < now - OBSERVED_MAX_AGE_MS)
    return { ok: false, reason: `is more than ${OBSERVED_MAX_AGE_MS / 86_400_000} days ago` };
  return { ok: true, value };
}

export const ObservedAt = Type.String({
  pattern: INSTANT.source,
  maxLength: 40,
  description:
    'When the volunteer saw it (ISO 8601 with a zone), if sent later from an offline queue; at most 60 s ahead and 7 days old. Absent: now.',
});

/** The checked observedAt of a body, or undefined when absent; 400 with the field path otherwise. */
export function observedAtOf(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const checked = checkObservedAt(text, now);
  if (!checked.ok) throw new AppError('validation', undefined, [{ path: 'body.observedAt', message: checked.reason }]);
  return checked.value;
}
