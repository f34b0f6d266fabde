import { describe, expect, it } from 'vitest';
import { checkObservedAt, OBSERVED_MAX_AGE_MS, OBSERVED_SKEW_MS } from '../../../../server/api/observed-at.js';

// The `observedAt` of a patrol report or visit: a real instant with a zone, not far ahead, not old.

const NOW = Date.parse('2028-03-01T12:00:00Z');

describe('checkObservedAt', () => {
  it.each([
    ['Z with milliseconds', '2028-03-01T11:00:00.000Z', Date.parse('2028-03-01T11:00:00Z')],
    ['an offset', '2028-03-01T19:00:00+08:00', Date.parse('2028-03-01T11:00:00Z')],
    ['a negative half-hour offset', '2028-03-01T08:00:00-03:30', Date.parse('2028-03-01T11:30:00Z')],
    ['no seconds', '2028-03-01T11:00Z', Date.parse('2028-03-01T11:00:00Z')],
    ['nanoseconds (kept to the millisecond)', '2028-03-01T11:00:00.123456789Z', Date.parse('2028-03-01T11:00:00.123Z')],
    ['one fraction digit', '2028-03-01T11:00:00.5Z', Date.parse('2028-03-01T11:00:00.500Z')],
    ['a leap day', '2028-02-29T12:00:00Z', Date.parse('2028-02-29T12:00:00Z')],
    ['exactly the skew ahead', new Date(NOW + OBSERVED_SKEW_MS).toISOString(), NOW + OBSERVED_SKEW_MS],
    ['exactly the oldest', new Date(NOW - OBSERVED_MAX_AGE_MS).toISOString(), NOW - OBSERVED_MAX_AGE_MS],
  ])('when it is %s, then it is taken', (_name, text, value) => {
    expect(checkObservedAt(text, NOW)).toEqual({ ok: true, value });
  });

  it.each([
    ['no zone', '2028-03-01T11:00:00', /ISO 8601/],
    ['a space instead of T', '2028-03-01 11:00:00Z', /ISO 8601/],
    ['a compact offset', '2028-03-01T11:00:00+0800', /ISO 8601/],
    ['not a leap year', '2027-02-29T12:00:00Z', /real date/],
    ['month 13', '2028-13-01T12:00:00Z', /real date/],
    ['day 0', '2028-03-00T12:00:00Z', /real date/],
    ['24:00', '2028-03-01T24:00:00Z', /real date/],
    ['a leap second', '2028-02-29T23:59:60Z', /real date/],
    ['offset minutes 60', '2028-03-01T11:00:00+05:60', /real date/],
    ['a millisecond past the skew', new Date(NOW + OBSERVED_SKEW_MS + 1).toISOString(), /ahead/],
    ['a millisecond too old', new Date(NOW - OBSERVED_MAX_AGE_MS - 1).toISOString(), /days ago/],
  ])('when it is %s, then it is refused with a reason', (_name, text, reason) => {
    const checked = checkObservedAt(text, NOW);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
  });
});
