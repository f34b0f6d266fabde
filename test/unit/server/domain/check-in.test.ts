import { describe, expect, it } from 'vitest';
import {
  checkSchedule,
  DEFAULT_CHECKIN,
  MAX_POLICY_SEC,
  nextDueAt,
  type CheckInPolicy,
  type CheckInSchedule,
  type QuietHours,
} from '../../../../server/domain/check-in.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const SEC = 1000;
const DAY = 86_400 * SEC;

const SHANGHAI = 'Asia/Shanghai';
const NEW_YORK = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const SANTIAGO = 'America/Santiago';

/** Shanghai, 2026-11-25 (a Wednesday) 08:00: "today" in the tables below. */
const NOW = at('2026-11-25T08:00:00+08:00');

const deadline = (time: string): CheckInPolicy => ({ kind: 'deadline', time });
const interval = (everySec: number, graceSec: number): CheckInPolicy => ({ kind: 'interval', everySec, graceSec });

function schedule(
  policy: CheckInPolicy,
  options: { timeZone?: string; quietHours?: QuietHours; awayUntil?: string | null } = {},
): CheckInSchedule {
  return {
    policy,
    timeZone: options.timeZone ?? SHANGHAI,
    quietHours: options.quietHours ?? null,
    awayUntil: options.awayUntil ?? null,
  };
}

/** Runs nextDueAt and shows the answer as UTC ISO, so a failure reads as two times. */
function due(s: CheckInSchedule, lastCheckIn: string | null, now: string | number = NOW): string {
  const nowMs = typeof now === 'number' ? now : at(now);
  return iso(nextDueAt(s, lastCheckIn === null ? null : at(lastCheckIn), nowMs));
}

describe('nextDueAt: interval', () => {
  it('when the default policy is read, then it is 24 h plus 2 h grace', () => {
    expect(DEFAULT_CHECKIN).toEqual({ kind: 'interval', everySec: 86_400, graceSec: 7_200 });
  });

  it.each<[string, CheckInPolicy, string, string | null, string, string]>([
    [
      'the default policy and a check-in this morning',
      DEFAULT_CHECKIN,
      SHANGHAI,
      '2026-11-25T08:00:00+08:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'the default policy and no check-in yet (registered now)',
      DEFAULT_CHECKIN,
      SHANGHAI,
      null,
      '2026-11-25T08:00:00+08:00',
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'the default policy and no check-in, registered just before midnight',
      DEFAULT_CHECKIN,
      SHANGHAI,
      null,
      '2026-11-25T23:59:59.999+08:00',
      '2026-11-27T01:59:59.999+08:00',
    ],
    [
      'a check-in five days ago (silent since)',
      DEFAULT_CHECKIN,
      SHANGHAI,
      '2026-11-20T08:00:00+08:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-21T10:00:00+08:00',
    ],
    [
      'hourly with no grace, milliseconds kept',
      interval(3_600, 0),
      SHANGHAI,
      '2026-11-25T09:15:30.250+08:00',
      '2026-11-25T09:15:30.250+08:00',
      '2026-11-25T10:15:30.250+08:00',
    ],
    [
      'the shortest interval (1 s)',
      interval(1, 0),
      SHANGHAI,
      '2026-11-25T08:00:00+08:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-25T08:00:01+08:00',
    ],
    [
      'the longest interval and grace (30 days each)',
      interval(MAX_POLICY_SEC, MAX_POLICY_SEC),
      SHANGHAI,
      '2026-11-25T08:00:00+08:00',
      '2026-11-25T08:00:00+08:00',
      '2027-01-24T08:00:00+08:00',
    ],
    // Elapsed time, not wall clock: 26 h across a DST change shows as 12:00 or 10:00 on the wall.
    [
      '26 h across New York spring-forward',
      DEFAULT_CHECKIN,
      NEW_YORK,
      '2026-03-07T09:00:00-05:00',
      '2026-03-07T09:00:00-05:00',
      '2026-03-08T12:00:00-04:00',
    ],
    [
      '26 h across New York fall-back',
      DEFAULT_CHECKIN,
      NEW_YORK,
      '2026-10-31T09:00:00-04:00',
      '2026-10-31T09:00:00-04:00',
      '2026-11-01T10:00:00-05:00',
    ],
  ])('when %s, then the due time is fixed', (_name, policy, timeZone, last, now, expected) => {
    expect(due(schedule(policy, { timeZone }), last, now)).toBe(iso(at(expected)));
  });

  it('when there was a check-in, then `now` does not move the due time', () => {
    const s = schedule(DEFAULT_CHECKIN);
    const last = at('2026-11-25T08:00:00+08:00');
    expect(nextDueAt(s, last, last)).toBe(nextDueAt(s, last, last + 30 * DAY));
  });
});

describe('nextDueAt: deadline in Shanghai (no DST)', () => {
  it.each<[string, string, string | null, string, string]>([
    // "10:00": a check-in on day X, whenever in X, satisfies X; the due is 10:00 on X+1.
    [
      'by 10:00, a check-in at 09:00',
      '10:00',
      '2026-11-25T09:00:00+08:00',
      '2026-11-25T09:00:00+08:00',
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'by 10:00, a check-in exactly at 10:00',
      '10:00',
      '2026-11-25T10:00:00+08:00',
      '2026-11-25T10:00:00+08:00',
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'by 10:00, a late check-in at 11:00 (still satisfies today)',
      '10:00',
      '2026-11-25T11:00:00+08:00',
      '2026-11-25T11:00:00+08:00',
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'by 10:00, a check-in just after midnight',
      '10:00',
      '2026-11-25T00:00:00+08:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'by 10:00, a check-in just before midnight',
      '10:00',
      '2026-11-24T23:59:59.999+08:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-25T10:00:00+08:00',
    ],
    [
      'by 10:00, the last check-in five days ago (overdue: not skipped forward)',
      '10:00',
      '2026-11-20T09:00:00+08:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-21T10:00:00+08:00',
    ],
    [
      'by 10:00, no check-in yet, 1 ms before the deadline',
      '10:00',
      null,
      '2026-11-25T09:59:59.999+08:00',
      '2026-11-25T10:00:00+08:00',
    ],
    [
      'by 10:00, no check-in yet, exactly at the deadline (strictly after: tomorrow)',
      '10:00',
      null,
      '2026-11-25T10:00:00+08:00',
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'by 10:00, no check-in yet, 1 ms after the deadline',
      '10:00',
      null,
      '2026-11-25T10:00:00.001+08:00',
      '2026-11-26T10:00:00+08:00',
    ],
    // "23:59": the last minute of the day.
    [
      'by 23:59, a check-in at 23:58',
      '23:59',
      '2026-11-25T23:58:00+08:00',
      '2026-11-25T23:58:00+08:00',
      '2026-11-26T23:59:00+08:00',
    ],
    [
      'by 23:59, a check-in at 23:59:30',
      '23:59',
      '2026-11-25T23:59:30+08:00',
      '2026-11-25T23:59:30+08:00',
      '2026-11-26T23:59:00+08:00',
    ],
    [
      'by 23:59, a check-in just after midnight (satisfies the new day)',
      '23:59',
      '2026-11-26T00:00:00.001+08:00',
      '2026-11-26T00:00:00.001+08:00',
      '2026-11-27T23:59:00+08:00',
    ],
    ['by 23:59, no check-in yet at 23:58', '23:59', null, '2026-11-25T23:58:00+08:00', '2026-11-25T23:59:00+08:00'],
    ['by 23:59, no check-in yet at 23:59', '23:59', null, '2026-11-25T23:59:00+08:00', '2026-11-26T23:59:00+08:00'],
    // "00:00" is the END of its day (24:00): each calendar day needs a check-in, due at the
    // midnight that closes the day after the check-in's day.
    [
      'by 00:00, a check-in in the morning',
      '00:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-27T00:00:00+08:00',
    ],
    [
      'by 00:00, a check-in 1 ms before midnight',
      '00:00',
      '2026-11-25T23:59:59.999+08:00',
      '2026-11-25T23:59:59.999+08:00',
      '2026-11-27T00:00:00+08:00',
    ],
    [
      'by 00:00, a check-in exactly at midnight (the new day)',
      '00:00',
      '2026-11-26T00:00:00+08:00',
      '2026-11-26T00:00:00+08:00',
      '2026-11-28T00:00:00+08:00',
    ],
    [
      'by 00:00, no check-in yet in the morning (the end of today)',
      '00:00',
      null,
      '2026-11-25T08:00:00+08:00',
      '2026-11-26T00:00:00+08:00',
    ],
    [
      'by 00:00, no check-in yet, exactly at midnight (the end of the new day)',
      '00:00',
      null,
      '2026-11-26T00:00:00+08:00',
      '2026-11-27T00:00:00+08:00',
    ],
    // "00:30" is literal: the new day needs its own check-in within its first half hour.
    [
      'by 00:30, a check-in at 23:50 (does not cover the next day)',
      '00:30',
      '2026-11-25T23:50:00+08:00',
      '2026-11-25T23:50:00+08:00',
      '2026-11-26T00:30:00+08:00',
    ],
    [
      'by 00:30, a check-in at 00:10',
      '00:30',
      '2026-11-26T00:10:00+08:00',
      '2026-11-26T00:10:00+08:00',
      '2026-11-27T00:30:00+08:00',
    ],
    [
      'by 00:30, a check-in at 00:45 (late, still satisfies its day)',
      '00:30',
      '2026-11-26T00:45:00+08:00',
      '2026-11-26T00:45:00+08:00',
      '2026-11-27T00:30:00+08:00',
    ],
    ['by 00:30, no check-in yet at 23:50', '00:30', null, '2026-11-25T23:50:00+08:00', '2026-11-26T00:30:00+08:00'],
    ['by 00:30, no check-in yet at 00:15', '00:30', null, '2026-11-26T00:15:00+08:00', '2026-11-26T00:30:00+08:00'],
  ])('when %s, then the due time is fixed', (_name, time, last, now, expected) => {
    expect(due(schedule(deadline(time)), last, now)).toBe(iso(at(expected)));
  });
});

describe('nextDueAt: deadline across DST changes', () => {
  it.each<[string, string, string, string | null, string, string]>([
    // New York springs forward 2026-03-08 02:00 EST → 03:00 EDT.
    [
      'by 02:30 (in the gap), a check-in the day before → 03:30 EDT',
      NEW_YORK,
      '02:30',
      '2026-03-07T09:00:00-05:00',
      '2026-03-07T09:00:00-05:00',
      '2026-03-08T03:30:00-04:00',
    ],
    [
      'by 02:30, a check-in on the gap day → the next day at 02:30 EDT',
      NEW_YORK,
      '02:30',
      '2026-03-08T09:00:00-04:00',
      '2026-03-08T09:00:00-04:00',
      '2026-03-09T02:30:00-04:00',
    ],
    [
      'by 02:30, no check-in, at 01:59 EST on the gap day',
      NEW_YORK,
      '02:30',
      null,
      '2026-03-08T01:59:00-05:00',
      '2026-03-08T03:30:00-04:00',
    ],
    [
      'by 02:30, no check-in, at 03:15 EDT on the gap day (the shifted deadline is still ahead)',
      NEW_YORK,
      '02:30',
      null,
      '2026-03-08T03:15:00-04:00',
      '2026-03-08T03:30:00-04:00',
    ],
    [
      'by 10:00, a check-in the day before spring-forward',
      NEW_YORK,
      '10:00',
      '2026-03-07T09:00:00-05:00',
      '2026-03-07T09:00:00-05:00',
      '2026-03-08T10:00:00-04:00',
    ],
    // New York falls back 2026-11-01 02:00 EDT → 01:00 EST: 01:00–01:59 happen twice.
    [
      'by 01:30 (happens twice), a check-in the day before → the earlier, EDT',
      NEW_YORK,
      '01:30',
      '2026-10-31T12:00:00-04:00',
      '2026-10-31T12:00:00-04:00',
      '2026-11-01T01:30:00-04:00',
    ],
    [
      "by 01:30, no check-in, between the two 01:30s (today's has passed)",
      NEW_YORK,
      '01:30',
      null,
      '2026-11-01T01:45:00-04:00',
      '2026-11-02T01:30:00-05:00',
    ],
    [
      'by 10:00, a check-in in the second 01:30 (still the fall-back day)',
      NEW_YORK,
      '10:00',
      '2026-11-01T01:30:00-05:00',
      '2026-11-01T01:30:00-05:00',
      '2026-11-02T10:00:00-05:00',
    ],
    [
      'by 10:00, a check-in the day before fall-back',
      NEW_YORK,
      '10:00',
      '2026-10-31T09:00:00-04:00',
      '2026-10-31T09:00:00-04:00',
      '2026-11-01T10:00:00-05:00',
    ],
    // Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
    [
      'Berlin, by 02:30 (in the gap)',
      BERLIN,
      '02:30',
      '2026-03-28T20:00:00+01:00',
      '2026-03-28T20:00:00+01:00',
      '2026-03-29T03:30:00+02:00',
    ],
    [
      'Berlin, by 02:30 (happens twice) → the earlier, CEST',
      BERLIN,
      '02:30',
      '2026-10-24T20:00:00+02:00',
      '2026-10-24T20:00:00+02:00',
      '2026-10-25T02:30:00+02:00',
    ],
    [
      'Berlin, by 00:00 over spring-forward (a 23-hour day)',
      BERLIN,
      '00:00',
      '2026-03-28T12:00:00+01:00',
      '2026-03-28T12:00:00+01:00',
      '2026-03-30T00:00:00+02:00',
    ],
    // Santiago moves its clocks at midnight: 2026-09-06 begins at 01:00.
    [
      'Santiago, by 00:00 where the closing midnight does not exist',
      SANTIAGO,
      '00:00',
      '2026-09-04T12:00:00-04:00',
      '2026-09-04T12:00:00-04:00',
      '2026-09-06T01:00:00-03:00',
    ],
  ])('when %s (%s), then the due time is fixed', (_name, timeZone, time, last, now, expected) => {
    expect(due(schedule(deadline(time), { timeZone }), last, now)).toBe(iso(at(expected)));
  });
});

describe('nextDueAt: quiet hours', () => {
  // Every day 24 h after the check-in with no grace, so the check-in places the due exactly.
  const DAILY = interval(86_400, 0);
  const dueAt = (s: CheckInSchedule, naturalDue: string): string => iso(nextDueAt(s, at(naturalDue) - DAY, 0));

  it.each<[string, QuietHours, string, string]>([
    // Spanning midnight, 22:00–07:00.
    [
      'spanning midnight, due 1 ms before the start',
      { start: '22:00', end: '07:00' },
      '2026-11-25T21:59:59.999+08:00',
      '2026-11-25T21:59:59.999+08:00',
    ],
    [
      'spanning midnight, due exactly at the start',
      { start: '22:00', end: '07:00' },
      '2026-11-25T22:00:00+08:00',
      '2026-11-26T07:00:00+08:00',
    ],
    [
      'spanning midnight, due before midnight',
      { start: '22:00', end: '07:00' },
      '2026-11-25T23:30:00+08:00',
      '2026-11-26T07:00:00+08:00',
    ],
    [
      'spanning midnight, due exactly at midnight',
      { start: '22:00', end: '07:00' },
      '2026-11-26T00:00:00+08:00',
      '2026-11-26T07:00:00+08:00',
    ],
    [
      'spanning midnight, due at 3 a.m.',
      { start: '22:00', end: '07:00' },
      '2026-11-26T03:00:00+08:00',
      '2026-11-26T07:00:00+08:00',
    ],
    [
      'spanning midnight, due 1 ms before the end',
      { start: '22:00', end: '07:00' },
      '2026-11-26T06:59:59.999+08:00',
      '2026-11-26T07:00:00+08:00',
    ],
    [
      'spanning midnight, due exactly at the end',
      { start: '22:00', end: '07:00' },
      '2026-11-26T07:00:00+08:00',
      '2026-11-26T07:00:00+08:00',
    ],
    [
      'spanning midnight, due at noon',
      { start: '22:00', end: '07:00' },
      '2026-11-26T12:00:00+08:00',
      '2026-11-26T12:00:00+08:00',
    ],
    [
      "spanning midnight, due on new year's eve",
      { start: '22:00', end: '07:00' },
      '2026-12-31T23:00:00+08:00',
      '2027-01-01T07:00:00+08:00',
    ],
    // Not spanning midnight, 12:00–14:00.
    [
      'a midday window, due 1 min before the start',
      { start: '12:00', end: '14:00' },
      '2026-11-25T11:59:00+08:00',
      '2026-11-25T11:59:00+08:00',
    ],
    [
      'a midday window, due exactly at the start',
      { start: '12:00', end: '14:00' },
      '2026-11-25T12:00:00+08:00',
      '2026-11-25T14:00:00+08:00',
    ],
    [
      'a midday window, due 1 s before the end',
      { start: '12:00', end: '14:00' },
      '2026-11-25T13:59:59+08:00',
      '2026-11-25T14:00:00+08:00',
    ],
    [
      'a midday window, due exactly at the end',
      { start: '12:00', end: '14:00' },
      '2026-11-25T14:00:00+08:00',
      '2026-11-25T14:00:00+08:00',
    ],
    [
      'a midday window, due late at night',
      { start: '12:00', end: '14:00' },
      '2026-11-25T23:00:00+08:00',
      '2026-11-25T23:00:00+08:00',
    ],
    // Windows that touch midnight.
    [
      'a window from midnight, due at midnight',
      { start: '00:00', end: '06:00' },
      '2026-11-26T00:00:00+08:00',
      '2026-11-26T06:00:00+08:00',
    ],
    [
      'a window from midnight, due at 23:59',
      { start: '00:00', end: '06:00' },
      '2026-11-25T23:59:00+08:00',
      '2026-11-25T23:59:00+08:00',
    ],
    [
      'a window to midnight, due at 23:00',
      { start: '22:00', end: '00:00' },
      '2026-11-25T23:00:00+08:00',
      '2026-11-26T00:00:00+08:00',
    ],
    [
      'a window to midnight, due at midnight',
      { start: '22:00', end: '00:00' },
      '2026-11-26T00:00:00+08:00',
      '2026-11-26T00:00:00+08:00',
    ],
    // No window.
    [
      'start equal to end (none), due at 07:00',
      { start: '07:00', end: '07:00' },
      '2026-11-26T07:00:00+08:00',
      '2026-11-26T07:00:00+08:00',
    ],
    [
      'start equal to end (none), due at 03:00',
      { start: '07:00', end: '07:00' },
      '2026-11-26T03:00:00+08:00',
      '2026-11-26T03:00:00+08:00',
    ],
    ['no quiet hours, due at 03:00', null, '2026-11-26T03:00:00+08:00', '2026-11-26T03:00:00+08:00'],
  ])('when %s, then the alarm is due at the fixed time', (_name, quietHours, naturalDue, expected) => {
    expect(dueAt(schedule(DAILY, { quietHours }), naturalDue)).toBe(iso(at(expected)));
  });

  it.each<[string, QuietHours, string, string]>([
    [
      'a window ending after the gap, due at 01:30 EST',
      { start: '01:00', end: '03:00' },
      '2026-03-08T01:30:00-05:00',
      '2026-03-08T03:00:00-04:00',
    ],
    [
      'a window ending inside the gap (02:30), due at 01:30 EST → 03:30 EDT',
      { start: '01:00', end: '02:30' },
      '2026-03-08T01:30:00-05:00',
      '2026-03-08T03:30:00-04:00',
    ],
    [
      'a window inside the repeated hour, due in the first pass',
      { start: '01:00', end: '01:45' },
      '2026-11-01T01:30:00-04:00',
      '2026-11-01T01:45:00-04:00',
    ],
    [
      'a window inside the repeated hour, due in the second pass (never backwards)',
      { start: '01:00', end: '01:45' },
      '2026-11-01T01:30:00-05:00',
      '2026-11-01T01:45:00-05:00',
    ],
    [
      'a window inside the repeated hour, due after it in the first pass',
      { start: '01:00', end: '01:45' },
      '2026-11-01T01:50:00-04:00',
      '2026-11-01T01:50:00-04:00',
    ],
    [
      'an overnight window over fall-back',
      { start: '22:00', end: '07:00' },
      '2026-10-31T23:00:00-04:00',
      '2026-11-01T07:00:00-05:00',
    ],
    [
      'an overnight window over spring-forward',
      { start: '22:00', end: '07:00' },
      '2026-03-07T23:00:00-05:00',
      '2026-03-08T07:00:00-04:00',
    ],
  ])('when New York has %s, then the alarm is due at the fixed time', (_name, quietHours, naturalDue, expected) => {
    expect(dueAt(schedule(DAILY, { timeZone: NEW_YORK, quietHours }), naturalDue)).toBe(iso(at(expected)));
  });

  it.each<[string, string, string, string]>([
    [
      'by 00:00 (closing midnight) inside 22:00–07:00',
      '00:00',
      '2026-11-25T08:00:00+08:00',
      '2026-11-27T07:00:00+08:00',
    ],
    ['by 06:00 inside 22:00–07:00', '06:00', '2026-11-25T08:00:00+08:00', '2026-11-26T07:00:00+08:00'],
    ['by 10:00 outside 22:00–07:00', '10:00', '2026-11-25T08:00:00+08:00', '2026-11-26T10:00:00+08:00'],
    [
      "by 06:00 overdue for days, still moved to the window's end",
      '06:00',
      '2026-11-20T08:00:00+08:00',
      '2026-11-21T07:00:00+08:00',
    ],
  ])('when a deadline is %s, then quiet hours apply to it too', (_name, time, last, expected) => {
    const s = schedule(deadline(time), { quietHours: { start: '22:00', end: '07:00' } });
    expect(due(s, last)).toBe(iso(at(expected)));
  });
});

describe('nextDueAt: away', () => {
  const YESTERDAY = '2026-11-24';
  const TODAY = '2026-11-25';
  const TOMORROW = '2026-11-26';
  const THIS_MORNING = '2026-11-25T08:00:00+08:00';

  it.each<[string, CheckInPolicy, string | null, string | null, string]>([
    // The default interval, checked in this morning: naturally due tomorrow 10:00.
    ['interval, not away', DEFAULT_CHECKIN, null, THIS_MORNING, '2026-11-26T10:00:00+08:00'],
    [
      'interval, away until yesterday (no effect)',
      DEFAULT_CHECKIN,
      YESTERDAY,
      THIS_MORNING,
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'interval, away until today, due tomorrow (no effect)',
      DEFAULT_CHECKIN,
      TODAY,
      THIS_MORNING,
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'interval, away until tomorrow → the day after at 00:00 + grace',
      DEFAULT_CHECKIN,
      TOMORROW,
      THIS_MORNING,
      '2026-11-27T02:00:00+08:00',
    ],
    ['interval, away until next month', DEFAULT_CHECKIN, '2026-12-31', THIS_MORNING, '2027-01-01T02:00:00+08:00'],
    ['interval, away until tomorrow, no check-in yet', DEFAULT_CHECKIN, TOMORROW, null, '2026-11-27T02:00:00+08:00'],
    // Hourly + 10 min grace, checked in this morning: naturally due today 09:10.
    [
      'hourly, away until yesterday (no effect)',
      interval(3_600, 600),
      YESTERDAY,
      THIS_MORNING,
      '2026-11-25T09:10:00+08:00',
    ],
    [
      'hourly, away until today → tomorrow 00:10',
      interval(3_600, 600),
      TODAY,
      THIS_MORNING,
      '2026-11-26T00:10:00+08:00',
    ],
    [
      'hourly, away until tomorrow → the day after 00:10',
      interval(3_600, 600),
      TOMORROW,
      THIS_MORNING,
      '2026-11-27T00:10:00+08:00',
    ],
    // 16 h, no grace: naturally due exactly at midnight, which is already the next day.
    [
      'due exactly at midnight after the away day (no effect)',
      interval(57_600, 0),
      TODAY,
      THIS_MORNING,
      '2026-11-26T00:00:00+08:00',
    ],
    [
      'due exactly at midnight on the away day → the day after',
      interval(57_600, 0),
      TOMORROW,
      THIS_MORNING,
      '2026-11-27T00:00:00+08:00',
    ],
    [
      'due 1 ms before the end of the away day → the next midnight',
      interval(57_599, 0),
      TODAY,
      '2026-11-25T08:00:00.999+08:00',
      '2026-11-26T00:00:00+08:00',
    ],
    // Deadline by 10:00, checked in this morning: naturally due tomorrow 10:00.
    ['deadline, not away', deadline('10:00'), null, THIS_MORNING, '2026-11-26T10:00:00+08:00'],
    [
      'deadline, away until yesterday (no effect)',
      deadline('10:00'),
      YESTERDAY,
      THIS_MORNING,
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'deadline, away until today, due tomorrow (no effect)',
      deadline('10:00'),
      TODAY,
      THIS_MORNING,
      '2026-11-26T10:00:00+08:00',
    ],
    [
      'deadline, away until tomorrow → the day after',
      deadline('10:00'),
      TOMORROW,
      THIS_MORNING,
      '2026-11-27T10:00:00+08:00',
    ],
    // Deadline by 10:00 with no check-in yet at 08:00: naturally due today 10:00.
    [
      'deadline, no check-in, away until yesterday (no effect)',
      deadline('10:00'),
      YESTERDAY,
      null,
      '2026-11-25T10:00:00+08:00',
    ],
    ['deadline, no check-in, away until today → tomorrow', deadline('10:00'), TODAY, null, '2026-11-26T10:00:00+08:00'],
    [
      'deadline, no check-in, away until tomorrow → the day after',
      deadline('10:00'),
      TOMORROW,
      null,
      '2026-11-27T10:00:00+08:00',
    ],
    // "00:00" belongs to the day it closes: away until D covers the midnight after D.
    [
      'by 00:00, checked in yesterday, not away (end of today)',
      deadline('00:00'),
      null,
      '2026-11-24T12:00:00+08:00',
      '2026-11-26T00:00:00+08:00',
    ],
    [
      'by 00:00, checked in yesterday, away until yesterday (no effect)',
      deadline('00:00'),
      YESTERDAY,
      '2026-11-24T12:00:00+08:00',
      '2026-11-26T00:00:00+08:00',
    ],
    [
      'by 00:00, checked in yesterday, away until today → end of tomorrow',
      deadline('00:00'),
      TODAY,
      '2026-11-24T12:00:00+08:00',
      '2026-11-27T00:00:00+08:00',
    ],
  ])('when %s, then the due time is fixed', (_name, policy, awayUntil, last, expected) => {
    expect(due(schedule(policy, { awayUntil }), last, NOW)).toBe(iso(at(expected)));
  });

  it.each<[string, CheckInSchedule, string, string]>([
    [
      'interval, away until tomorrow, then quiet hours 22:00–07:00',
      schedule(DEFAULT_CHECKIN, { awayUntil: TOMORROW, quietHours: { start: '22:00', end: '07:00' } }),
      THIS_MORNING,
      '2026-11-27T07:00:00+08:00',
    ],
    [
      'deadline 06:00, away until tomorrow, then quiet hours 22:00–07:00',
      schedule(deadline('06:00'), { awayUntil: TOMORROW, quietHours: { start: '22:00', end: '07:00' } }),
      THIS_MORNING,
      '2026-11-27T07:00:00+08:00',
    ],
    // New York: the day after "away" starts at 00:00 EST; 2 h of grace later it is 03:00 EDT.
    [
      'New York interval, away until the eve of spring-forward',
      schedule(DEFAULT_CHECKIN, { timeZone: NEW_YORK, awayUntil: '2026-03-07' }),
      '2026-03-05T12:00:00-05:00',
      '2026-03-08T03:00:00-04:00',
    ],
    [
      'New York deadline 02:30, away until the eve of spring-forward',
      schedule(deadline('02:30'), { timeZone: NEW_YORK, awayUntil: '2026-03-07' }),
      '2026-03-05T12:00:00-05:00',
      '2026-03-08T03:30:00-04:00',
    ],
    // Silent for days, then marked away until yesterday: the clock restarts at today's start.
    [
      'interval, silent for days, away until yesterday',
      schedule(DEFAULT_CHECKIN, { awayUntil: YESTERDAY }),
      '2026-11-20T08:00:00+08:00',
      '2026-11-25T02:00:00+08:00',
    ],
  ])('when %s, then the due time is fixed', (_name, s, last, expected) => {
    expect(due(s, last, NOW)).toBe(iso(at(expected)));
  });
});

describe('nextDueAt: check-in time is the server receive time', () => {
  it('when two presses arrive out of order by their device clocks, then the due follows the later receive time', () => {
    // The first to arrive claims a later device time (its clock runs fast); the second, an
    // earlier one. Only receive times count, and the caller passes the latest of them.
    const presses = [
      { deviceAt: at('2026-11-25T08:10:00+08:00'), receivedAt: at('2026-11-25T08:00:05+08:00') },
      { deviceAt: at('2026-11-25T07:50:00+08:00'), receivedAt: at('2026-11-25T08:00:09+08:00') },
    ];
    const s = schedule(DEFAULT_CHECKIN);
    const lastCheckInAt = Math.max(...presses.map((p) => p.receivedAt));
    const dueAfterBoth = nextDueAt(s, lastCheckInAt, lastCheckInAt);
    expect(iso(dueAfterBoth)).toBe(iso(at('2026-11-26T10:00:09+08:00')));
    // After the first press the due was …10:00:05; the second press cannot move it backwards.
    const afterFirst = presses[0]?.receivedAt ?? 0;
    expect(dueAfterBoth).toBeGreaterThan(nextDueAt(s, afterFirst, afterFirst));
  });

  it.each<[string, CheckInSchedule]>([
    ['Shanghai interval', schedule(DEFAULT_CHECKIN)],
    [
      'Shanghai by 00:30 with quiet hours',
      schedule(deadline('00:30'), { quietHours: { start: '22:00', end: '07:00' } }),
    ],
    ['New York by 02:30 with away', schedule(deadline('02:30'), { timeZone: NEW_YORK, awayUntil: '2026-03-09' })],
    [
      'New York interval with quiet hours over both DST changes',
      schedule(interval(3_600, 1_800), { timeZone: NEW_YORK, quietHours: { start: '01:00', end: '01:45' } }),
    ],
    [
      'Berlin by 00:00 with quiet hours and away',
      schedule(deadline('00:00'), {
        timeZone: BERLIN,
        quietHours: { start: '23:00', end: '06:00' },
        awayUntil: '2026-10-24',
      }),
    ],
  ])('when later check-ins are passed (%s), then the due time never moves backwards', (_name, s) => {
    const backwards: string[] = [];
    for (const [from, to] of [
      ['2026-03-05T00:00:00Z', '2026-03-12T00:00:00Z'],
      ['2026-10-22T00:00:00Z', '2026-11-04T00:00:00Z'],
    ] as const) {
      let previous = -Infinity;
      for (let t = at(from); t < at(to); t += 7 * 60 * SEC) {
        const next = nextDueAt(s, t, t);
        if (next < previous) backwards.push(iso(t));
        previous = next;
      }
    }
    expect(backwards).toEqual([]);
  });
});

describe('checkSchedule', () => {
  const VALID = { policy: DEFAULT_CHECKIN, timeZone: SHANGHAI, quietHours: null, awayUntil: null };

  it.each<[string, unknown]>([
    ['the default interval in Shanghai', VALID],
    [
      'a deadline with quiet hours and away',
      {
        policy: { kind: 'deadline', time: '10:00' },
        timeZone: NEW_YORK,
        quietHours: { start: '22:00', end: '07:00' },
        awayUntil: '2026-12-01',
      },
    ],
    ['the smallest numbers (1 s, no grace)', { ...VALID, policy: { kind: 'interval', everySec: 1, graceSec: 0 } }],
    ['an interval under a minute (59 s)', { ...VALID, policy: { kind: 'interval', everySec: 59, graceSec: 0 } }],
    ['away until the last day allowed', { ...VALID, awayUntil: '2999-12-31' }],
    [
      'the largest numbers (30 days each)',
      { ...VALID, policy: { kind: 'interval', everySec: 2_592_000, graceSec: 2_592_000 } },
    ],
    ['a deadline at 00:00', { ...VALID, policy: { kind: 'deadline', time: '00:00' } }],
    ['quiet hours with start equal to end', { ...VALID, quietHours: { start: '07:00', end: '07:00' } }],
    ['away until a leap day', { ...VALID, awayUntil: '2028-02-29' }],
    ['UTC', { ...VALID, timeZone: 'UTC' }],
  ])('when the input is %s, then it is accepted as a fresh equal value', (_name, input) => {
    const result = checkSchedule(input);
    expect(result).toEqual({ ok: true, value: input });
    expect(result.ok && result.value).not.toBe(input);
  });

  it('when the input has a prototype-polluting key from JSON, then it is refused as unknown', () => {
    const input: unknown = JSON.parse(
      '{"policy":{"kind":"interval","everySec":86400,"graceSec":7200},"timeZone":"Asia/Shanghai","quietHours":null,"awayUntil":null,"__proto__":{"x":1}}',
    );
    expect(checkSchedule(input)).toEqual({ ok: false, reason: 'unknown field: __proto__' });
  });

  const NOT_OBJECT = 'schedule must be an object';
  const POLICY = 'policy must be an object';
  const KIND = 'policy.kind must be "interval" or "deadline"';
  const EVERY = 'policy.everySec must be whole seconds from 1 to 2592000';
  const GRACE = 'policy.graceSec must be whole seconds from 0 to 2592000';
  const TIME = 'policy.time must be "HH:MM" from 00:00 to 23:59';
  const ZONE = 'timeZone must be an IANA time zone such as "Asia/Shanghai"';
  const QUIET = 'quietHours must be {start, end} or null';
  const QUIET_START = 'quietHours.start must be "HH:MM" from 00:00 to 23:59';
  const QUIET_END = 'quietHours.end must be "HH:MM" from 00:00 to 23:59';
  const AWAY = 'awayUntil must be a calendar date "YYYY-MM-DD" up to 2999-12-31, or null';
  const every = (everySec: unknown): unknown => ({ ...VALID, policy: { kind: 'interval', everySec, graceSec: 0 } });
  const grace = (graceSec: unknown): unknown => ({
    ...VALID,
    policy: { kind: 'interval', everySec: 86_400, graceSec },
  });
  const time = (t: unknown): unknown => ({ ...VALID, policy: { kind: 'deadline', time: t } });
  const { awayUntil: _away, ...withoutAway } = VALID;
  const { quietHours: _quiet, ...withoutQuiet } = VALID;
  const { timeZone: _zone, ...withoutZone } = VALID;
  const { policy: _policy, ...withoutPolicy } = VALID;

  it.each<[string, unknown, string]>([
    ['null', null, NOT_OBJECT],
    ['a string', 'interval', NOT_OBJECT],
    ['an array', [VALID], NOT_OBJECT],
    ['a number', 86_400, NOT_OBJECT],
    ['an unknown field', { ...VALID, timezone: SHANGHAI }, 'unknown field: timezone'],
    ['no policy', withoutPolicy, POLICY],
    ['a policy that is a string', { ...VALID, policy: 'interval' }, POLICY],
    ['an unknown policy kind', { ...VALID, policy: { kind: 'weekly' } }, KIND],
    ['a policy without kind (the API shape)', { ...VALID, policy: { everySec: 86_400, graceSec: 7_200 } }, KIND],
    ['everySec 0', every(0), EVERY],
    ['everySec negative', every(-60), EVERY],
    ['everySec fractional', every(60.5), EVERY],
    ['everySec as a string', every('86400'), EVERY],
    ['everySec NaN', every(Number.NaN), EVERY],
    ['everySec Infinity', every(Number.POSITIVE_INFINITY), EVERY],
    ['everySec above 30 days', every(2_592_001), EVERY],
    ['everySec null', every(null), EVERY],
    ['everySec missing', { ...VALID, policy: { kind: 'interval', graceSec: 0 } }, EVERY],
    ['graceSec negative', grace(-1), GRACE],
    ['graceSec fractional', grace(0.5), GRACE],
    ['graceSec above 30 days', grace(2_592_001), GRACE],
    ['graceSec as a string', grace('0'), GRACE],
    ['graceSec missing', { ...VALID, policy: { kind: 'interval', everySec: 86_400 } }, GRACE],
    [
      'an interval with a deadline time too',
      { ...VALID, policy: { ...DEFAULT_CHECKIN, time: '10:00' } },
      'unknown field: policy.time',
    ],
    ['deadline 24:00', time('24:00'), TIME],
    ['deadline 7:00', time('7:00'), TIME],
    ['deadline with seconds', time('10:00:00'), TIME],
    ['deadline as minutes', time(600), TIME],
    ['deadline missing', { ...VALID, policy: { kind: 'deadline' } }, TIME],
    [
      'a deadline with everySec too',
      { ...VALID, policy: { kind: 'deadline', time: '10:00', everySec: 60 } },
      'unknown field: policy.everySec',
    ],
    ['an unknown zone', { ...VALID, timeZone: 'Mars/Olympus_Mons' }, ZONE],
    ['an empty zone', { ...VALID, timeZone: '' }, ZONE],
    ['an offset instead of a zone', { ...VALID, timeZone: '+08:00' }, ZONE],
    ['a zone as a number', { ...VALID, timeZone: 8 }, ZONE],
    ['no zone', withoutZone, ZONE],
    ['no quietHours', withoutQuiet, QUIET],
    ['quietHours as a string', { ...VALID, quietHours: '22:00-07:00' }, QUIET],
    ['quietHours as an array', { ...VALID, quietHours: ['22:00', '07:00'] }, QUIET],
    ['quietHours without end', { ...VALID, quietHours: { start: '22:00' } }, QUIET_END],
    ['quietHours starting at 25:00', { ...VALID, quietHours: { start: '25:00', end: '07:00' } }, QUIET_START],
    ['quietHours ending at 7:00', { ...VALID, quietHours: { start: '22:00', end: '7:00' } }, QUIET_END],
    [
      'quietHours with an extra field',
      { ...VALID, quietHours: { start: '22:00', end: '07:00', days: 'all' } },
      'unknown field: quietHours.days',
    ],
    ['no awayUntil', withoutAway, AWAY],
    ['awayUntil February 29 of a common year', { ...VALID, awayUntil: '2026-02-29' }, AWAY],
    ['awayUntil in month 13', { ...VALID, awayUntil: '2026-13-01' }, AWAY],
    ['awayUntil after the last day allowed', { ...VALID, awayUntil: '3000-01-01' }, AWAY],
    ['awayUntil on the last day of the calendar', { ...VALID, awayUntil: '9999-12-31' }, AWAY],
    ['awayUntil without zero padding', { ...VALID, awayUntil: '2026-1-5' }, AWAY],
    ['awayUntil with a time', { ...VALID, awayUntil: '2026-11-25T00:00' }, AWAY],
    ['awayUntil as a number', { ...VALID, awayUntil: 20_261_125 }, AWAY],
  ])('when the input has %s, then it is refused with a reason', (_name, input, reason) => {
    expect(checkSchedule(input)).toEqual({ ok: false, reason });
  });
});
