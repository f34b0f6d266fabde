import { isPlainObject, own } from './guards.js';
import { assertNever } from './ribbon.js';
import {
  addDays,
  isValidTimeZone,
  localDate,
  localParts,
  parseLocalDate,
  parseTimeOfDay,
  startOfLocalDay,
  wallTimeOn,
  zonedTimeToEpoch,
} from './zoned-time.js';

/**
 * When a household's silence becomes a `missed_checkin` alarm (docs/design.md §3). These are the
 * product's rules; `nextDueAt` is the only place that applies them, and the sweep stores its
 * answer as the indexed `next_due_at`.
 *
 * What counts as a check-in is the caller's business, but for the record: any press (red,
 * yellow or blue) or a volunteer's entry counts; a device heartbeat does not (it proves the
 * battery, not the person). The check-in time is the SERVER's receive time, never the device's
 * own clock, and the caller passes the latest receive time it has: presses that arrive out of
 * order (by their device time) therefore cannot move a due time backwards, and `nextDueAt` is
 * non-decreasing in `lastCheckInAt`.
 *
 * 1. interval {everySec, graceSec}: due = (lastCheckInAt ?? now) + everySec + graceSec, as
 *    elapsed time (a DST change does not stretch it: 26 h is 26 h, whatever the wall clock).
 *    No check-in yet: the clock starts `now`, which the caller sets to the moment the household
 *    was registered (app/set-check-in-schedule.ts: a schedule change never moves the start).
 * 2. deadline "HH:MM" (local): each local day must have a check-in by HH:MM of that day. A
 *    check-in on local day X, whenever in X, satisfies day X; the next due is the deadline of
 *    day X+1. No check-in yet: the first deadline strictly after `now`. A household silent for
 *    days gets a due time in the past (overdue now): nothing is skipped forward.
 *    - "00:00" is the END of its day (24:00, the midnight that closes it): read as the start
 *      of the day it would leave no time at all to check in, so the alarm would fire every
 *      night. "00:00" therefore means "some check-in every calendar day", due at the midnight
 *      after day X+1. Every other deadline is literal: with "00:30", day X+1 must have a
 *      check-in between 00:00 and 00:30, and a press at 23:50 on day X does not cover it.
 *    - A deadline that does not exist that day (the spring-forward gap) is the same wall time
 *      shifted by the gap (02:30 → 03:30 EDT); one that happens twice (fall-back) is the
 *      earlier instant.
 * 3. away until D (a local date, inclusive): no alarm on or before day D. If the due falls on a
 *    day ≤ D, it moves to: interval → the start of day D+1 + graceSec (elapsed); deadline →
 *    the deadline of day D+1. For a deadline, "the day" is the day the deadline belongs to (so
 *    "00:00" of day D, which is the midnight after D, is covered). A due after D is untouched:
 *    "away until yesterday" has no effect on a due today or later.
 * 4. quiet hours {start, end} (local, [start, end), may span midnight; start == end means
 *    none), applied last: a due inside them moves to the end of that window (no alarm at 3 a.m.
 *    for a missed check-in). A due exactly at `start` moves; one exactly at `end` stays.
 *    Emergencies are not affected: this is check-ins only.
 */

export type CheckInPolicy =
  | { kind: 'interval'; everySec: number; graceSec: number }
  | { kind: 'deadline'; time: string /* "HH:MM" local */ };

export const DEFAULT_CHECKIN: CheckInPolicy = { kind: 'interval', everySec: 86_400, graceSec: 7_200 };

/** Local "HH:MM"; may span midnight ("22:00"–"07:00"); start == end means none. */
export type QuietHours = { start: string; end: string } | null;

export type CheckInSchedule = {
  policy: CheckInPolicy;
  /** IANA zone the household lives in (default DEFAULT_TIME_ZONE of protocol/ribbon.ts). */
  timeZone: string;
  quietHours: QuietHours;
  /** 'YYYY-MM-DD' in the household's zone, inclusive; null when not away. */
  awayUntil: string | null;
};

/** Any positive whole number of seconds (docs/api.md): a one-minute floor was never promised. */
export const MIN_EVERY_SEC = 1;
export const MAX_POLICY_SEC = 30 * 86_400;
/**
 * The last day one may be away until. Dues are computed on the day after it and, with quiet hours
 * over midnight, the day after that: the calendar ends at 9999-12-31, so a date near it would
 * make nextDueAt throw (a 500) instead of being refused here. No absence lasts near a millennium.
 */
export const MAX_AWAY_UNTIL = '2999-12-31';

const SEC_MS = 1000;

/**
 * The instant the `missed_checkin` alarm is due for a household.
 * `lastCheckInAt` is the latest server receive time of a check-in, or null if there was none;
 * `now` matters only when there was none (see the rules above). May be in the past: overdue.
 * Expects a schedule that passed `checkSchedule`; throws on one that did not (a bug).
 */
export function nextDueAt(schedule: CheckInSchedule, lastCheckInAt: number | null, now: number): number {
  const { policy, timeZone, awayUntil } = schedule;
  let due: number;
  switch (policy.kind) {
    case 'interval': {
      due = (lastCheckInAt ?? now) + (policy.everySec + policy.graceSec) * SEC_MS;
      if (awayUntil !== null && localDate(due, timeZone) <= awayUntil) {
        due = startOfLocalDay(addDays(awayUntil, 1), timeZone) + policy.graceSec * SEC_MS;
      }
      break;
    }
    case 'deadline': {
      const minutes = requireTimeOfDay(policy.time);
      let day: string;
      if (lastCheckInAt !== null) {
        day = addDays(localDate(lastCheckInAt, timeZone), 1);
        due = deadlineOf(day, minutes, timeZone);
      } else {
        day = localDate(now, timeZone);
        due = deadlineOf(day, minutes, timeZone);
        if (due <= now) {
          day = addDays(day, 1);
          due = deadlineOf(day, minutes, timeZone);
        }
      }
      // 'YYYY-MM-DD' strings compare as dates.
      if (awayUntil !== null && day <= awayUntil) {
        due = deadlineOf(addDays(awayUntil, 1), minutes, timeZone);
      }
      break;
    }
    default:
      return assertNever(policy);
  }
  return afterQuietHours(due, schedule.quietHours, timeZone);
}

/** The deadline of local day `day`: HH:MM of that day, or its closing midnight for "00:00". */
function deadlineOf(day: string, minutes: number, timeZone: string): number {
  if (minutes === 0) return startOfLocalDay(addDays(day, 1), timeZone);
  return zonedTimeToEpoch(wallTimeOn(day, minutes), timeZone);
}

/** `due`, or the end of the quiet-hours window it falls in. */
function afterQuietHours(due: number, quietHours: QuietHours, timeZone: string): number {
  if (quietHours === null) return due;
  const start = requireTimeOfDay(quietHours.start);
  const end = requireTimeOfDay(quietHours.end);
  if (start === end) return due;
  const p = localParts(due, timeZone);
  // Whole minutes suffice: [start, end) holds t exactly when it holds t's minute.
  const minute = p.hour * 60 + p.minute;
  const spansMidnight = start > end;
  const inside = spansMidnight ? minute >= start || minute < end : minute >= start && minute < end;
  if (!inside) return due;
  const today = localDate(due, timeZone);
  // In a window spanning midnight, the evening part ends tomorrow.
  const endDay = spansMidnight && minute >= start ? addDays(today, 1) : today;
  const wall = wallTimeOn(endDay, end);
  const ends = zonedTimeToEpoch(wall, timeZone, 'earlier');
  // In the repeated fall-back hour the earlier reading of `end` may precede the due itself.
  return ends > due ? ends : Math.max(due, zonedTimeToEpoch(wall, timeZone, 'later'));
}

function requireTimeOfDay(text: string): number {
  const minutes = parseTimeOfDay(text);
  if (minutes === null) throw new Error(`unchecked schedule: time of day ${JSON.stringify(text)}`);
  return minutes;
}

export type CheckedSchedule = { ok: true; value: CheckInSchedule } | { ok: false; reason: string };

/**
 * Validates a schedule from outside (API, CSV import). Every field is required (`quietHours`
 * and `awayUntil` may be null), unknown fields are refused (a typo such as `grace` must not
 * silently become the default), and the value returned is a fresh object.
 */
export function checkSchedule(input: unknown): CheckedSchedule {
  if (!isPlainObject(input)) return fail('schedule must be an object');
  const unknownKey = firstUnknownKey(input, ['policy', 'timeZone', 'quietHours', 'awayUntil']);
  if (unknownKey !== null) return fail(`unknown field: ${unknownKey}`);

  const policy = checkPolicy(own(input, 'policy'));
  if (!policy.ok) return policy;

  const timeZone = own(input, 'timeZone');
  if (!isValidTimeZone(timeZone)) return fail('timeZone must be an IANA time zone such as "Asia/Shanghai"');

  const quiet = own(input, 'quietHours');
  let quietHours: QuietHours;
  if (quiet === null) {
    quietHours = null;
  } else {
    if (!isPlainObject(quiet)) return fail('quietHours must be {start, end} or null');
    const unknownQuietKey = firstUnknownKey(quiet, ['start', 'end']);
    if (unknownQuietKey !== null) return fail(`unknown field: quietHours.${unknownQuietKey}`);
    const start = own(quiet, 'start');
    const end = own(quiet, 'end');
    if (!isTimeOfDay(start)) return fail('quietHours.start must be "HH:MM" from 00:00 to 23:59');
    if (!isTimeOfDay(end)) return fail('quietHours.end must be "HH:MM" from 00:00 to 23:59');
    quietHours = { start, end };
  }

  const away = own(input, 'awayUntil');
  // The format is fixed-width, so comparing the strings compares the dates.
  if (away !== null && (typeof away !== 'string' || parseLocalDate(away) === null || away > MAX_AWAY_UNTIL)) {
    return fail(`awayUntil must be a calendar date "YYYY-MM-DD" up to ${MAX_AWAY_UNTIL}, or null`);
  }

  return { ok: true, value: { policy: policy.value, timeZone, quietHours, awayUntil: away } };
}

function checkPolicy(input: unknown): { ok: true; value: CheckInPolicy } | { ok: false; reason: string } {
  if (!isPlainObject(input)) return fail('policy must be an object');
  const kind = own(input, 'kind');
  switch (kind) {
    case 'interval': {
      const unknownKey = firstUnknownKey(input, ['kind', 'everySec', 'graceSec']);
      if (unknownKey !== null) return fail(`unknown field: policy.${unknownKey}`);
      const everySec = own(input, 'everySec');
      const graceSec = own(input, 'graceSec');
      if (!isWholeSeconds(everySec, MIN_EVERY_SEC)) {
        return fail(`policy.everySec must be whole seconds from ${MIN_EVERY_SEC} to ${MAX_POLICY_SEC}`);
      }
      if (!isWholeSeconds(graceSec, 0))
        return fail(`policy.graceSec must be whole seconds from 0 to ${MAX_POLICY_SEC}`);
      return { ok: true, value: { kind, everySec, graceSec } };
    }
    case 'deadline': {
      const unknownKey = firstUnknownKey(input, ['kind', 'time']);
      if (unknownKey !== null) return fail(`unknown field: policy.${unknownKey}`);
      const time = own(input, 'time');
      if (!isTimeOfDay(time)) return fail('policy.time must be "HH:MM" from 00:00 to 23:59');
      return { ok: true, value: { kind, time } };
    }
    default:
      return fail('policy.kind must be "interval" or "deadline"');
  }
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function firstUnknownKey(obj: Record<string, unknown>, known: readonly string[]): string | null {
  for (const key of Object.keys(obj)) if (!known.includes(key)) return key;
  return null;
}

function isWholeSeconds(value: unknown, min: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= MAX_POLICY_SEC;
}

function isTimeOfDay(value: unknown): value is string {
  return typeof value === 'string' && parseTimeOfDay(value) !== null;
}
