import type { Tier } from './alert.js';
import {
  addDays,
  localDate,
  localParts,
  parseLocalDate,
  parseTimeOfDay,
  startOfLocalDay,
  wallTimeOn,
  zonedTimeToEpoch,
} from './zoned-time.js';

/**
 * Duty rosters (值班表, issue 13 point 4): who answers for a compound and tier when.
 *
 *   weekly shifts ──▶ the people of every shift running at `now`
 *                        │ swaps (X → Y between two instants): Y takes X's place where X is on
 *                        │ leave (X off between two instants): X is not on duty, nobody in place
 *                        ▼
 *                     on duty now; the next instant that changes it is `nextChange`
 *
 * - A shift is local wall-clock time in the roster's zone: weekdays (ISO: 1 = Monday … 7 =
 *   Sunday, the day the shift starts), a start and an end "HH:MM". An end at or before the start
 *   runs past midnight into the next day (20:00–08:00; 08:00–08:00 is 24 h).
 * - A shift runs over [start, end): at 20:00 the day shift has handed over to the night shift.
 * - Across a daylight-saving change a shift keeps its wall-clock times (a night shift is an hour
 *   shorter or longer); a start inside the spring-forward gap begins after the gap (zoned-time.ts).
 * - Overrides apply only where the person is on duty: a swap puts Y in X's shifts during its
 *   range (not Y on duty all along), and every swap is applied before any leave, so someone on
 *   leave is off duty however they came to be on it (a swap to a person on leave leaves nobody).
 *
 * Pure: no I/O; `now` and the zone are parameters. Who may be put on a roster is `mayBeOnRoster`;
 * the store applies the same rule when it reads (docs/design.md §3).
 */

export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const WEEKDAYS: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 7];

export type DutyShift = {
  /** ISO weekdays the shift starts on (1 = Monday … 7 = Sunday). */
  days: readonly Weekday[];
  /** Local "HH:MM". */
  start: string;
  /** Local "HH:MM"; at or before `start`: the next day. */
  end: string;
  /** The people (ids) on it. */
  people: readonly number[];
};

export type DutyOverride = {
  /** Who is replaced (a swap) or off (leave). */
  personId: number;
  /** Who takes the place; null = leave, nobody in place. */
  replacementId: number | null;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
};

export type DutyRoster = { shifts: readonly DutyShift[]; overrides: readonly DutyOverride[] };

export type DutyChange = { at: number; people: number[] };

/** One run of a shift: [start, end) in epoch ms. */
type Interval = { start: number; end: number; people: readonly number[] };

/** Days looked ahead for the next change: a week and a day covers any weekly pattern. */
const LOOKAHEAD_DAYS = 8;

/** The ISO weekday (1 = Monday … 7 = Sunday) of local date `date` (any zone: a date is a date). */
function isoWeekdayOf(date: string): Weekday {
  const w = localParts(startOfLocalDay(date, 'UTC'), 'UTC').weekday;
  return (w === 0 ? 7 : w) as Weekday;
}

/** The runs of every shift that starts on local dates from `first` to `last` (inclusive). */
function intervalsBetween(shifts: readonly DutyShift[], first: string, days: number, timeZone: string): Interval[] {
  const out: Interval[] = [];
  for (let k = 0; k < days; k++) {
    const date = addDays(first, k);
    const weekday = isoWeekdayOf(date);
    for (const shift of shifts) {
      if (!shift.days.includes(weekday)) continue;
      const startMin = parseTimeOfDay(shift.start);
      const endMin = parseTimeOfDay(shift.end);
      if (startMin === null || endMin === null) throw new RangeError(`not a shift: ${JSON.stringify(shift)}`);
      const start = zonedTimeToEpoch(wallTimeOn(date, startMin), timeZone);
      const endDate = endMin > startMin ? date : addDays(date, 1);
      const end = zonedTimeToEpoch(wallTimeOn(endDate, endMin), timeZone);
      // Only a shift lying wholly inside a spring-forward gap can come out empty.
      if (end > start) out.push({ start, end, people: shift.people });
    }
  }
  return out;
}

/** Who is on duty at `at`: the people of the runs that hold it, then the overrides in force. */
function peopleAt(intervals: readonly Interval[], overrides: readonly DutyOverride[], at: number): number[] {
  const on = new Set<number>();
  for (const run of intervals) if (run.start <= at && at < run.end) for (const p of run.people) on.add(p);
  const active = overrides.filter((o) => o.from <= at && at < o.to).sort((a, b) => a.from - b.from);
  for (const o of active) {
    if (o.replacementId === null || !on.has(o.personId)) continue;
    on.delete(o.personId);
    on.add(o.replacementId);
  }
  for (const o of active) if (o.replacementId === null) on.delete(o.personId);
  return [...on].sort((a, b) => a - b);
}

/** The people (ids, ascending) on duty at `now` by the roster, in `timeZone`. */
export function onDutyAt(roster: DutyRoster, now: number, timeZone: string): number[] {
  // A run lasts at most a day (and an hour, across a fall-back): yesterday's and today's hold `now`.
  const first = addDays(localDate(now, timeZone), -1);
  return peopleAt(intervalsBetween(roster.shifts, first, 2, timeZone), roster.overrides, now);
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The first instant after `now` at which who is on duty changes, and who is on from then (an
 * empty list: nobody); null when it never changes (no shifts, or the same people all week and
 * no override ahead).
 *
 * The set changes only at a run's start or end or an override's bounds. Every run in the next
 * LOOKAHEAD_DAYS days is a candidate; past that, the weekly pattern repeats, so a later change
 * can only come from an override: the runs around each far override's bounds are candidates too.
 */
export function nextChange(roster: DutyRoster, now: number, timeZone: string): DutyChange | null {
  const intervals: Interval[] = [];
  // Instants for which every run holding them is in `intervals`: from the start of a block's
  // second day (a run lasts at most a day and an hour) to the start of the day after its last.
  const covered: Array<{ from: number; until: number }> = [];
  const addBlock = (date: string): void => {
    const first = addDays(date, -1);
    intervals.push(...intervalsBetween(roster.shifts, first, LOOKAHEAD_DAYS + 2, timeZone));
    covered.push({
      from: startOfLocalDay(date, timeZone),
      until: startOfLocalDay(addDays(first, LOOKAHEAD_DAYS + 2), timeZone),
    });
  };
  addBlock(localDate(now, timeZone));
  const horizon = covered[0]?.until ?? now;
  const bounds = new Set<number>();
  for (const o of roster.overrides) {
    for (const b of [o.from, o.to]) {
      if (b <= now) continue;
      bounds.add(b);
      if (b >= horizon) addBlock(localDate(b, timeZone));
    }
  }
  for (const r of intervals) {
    bounds.add(r.start);
    bounds.add(r.end);
  }
  const isCovered = (t: number): boolean => covered.some((c) => c.from <= t && t < c.until);
  const current = peopleAt(intervals, roster.overrides, now);
  for (const at of [...bounds].sort((a, b) => a - b)) {
    if (at <= now || !isCovered(at)) continue;
    const people = peopleAt(intervals, roster.overrides, at);
    if (!sameSet(people, current)) return { at, people };
  }
  return null;
}

/**
 * Whether a person may be put on a compound's roster for a tier: active, of that tier, and with
 * a scope that covers the whole compound — the compound itself, or the whole community (compound
 * null). A building's volunteer covers only that building, so is not on a compound's roster.
 */
export function mayBeOnRoster(
  person: { tier: Tier; compoundId: number | null; buildingId: number | null },
  compoundId: number,
  tier: Tier,
): boolean {
  if (person.tier !== tier) return false;
  return person.compoundId === null || (person.compoundId === compoundId && person.buildingId === null);
}

/**
 * Whether a person may be put on a community's roster for a tier (issue 14): of that tier, and
 * the whole district's or this community's person, or a whole compound's person of one of its
 * compounds (`communityOfCompound`: the community of the person's compound). Such a compound's
 * person is on duty by the roster's times and answers for their own compound only: a red is
 * told to the people on duty who cover the household.
 */
export function mayBeOnCommunityRoster(
  person: { tier: Tier; compoundId: number | null; buildingId: number | null; communityId: number | null },
  communityId: number,
  communityOfCompound: number | undefined,
  tier: Tier,
): boolean {
  if (person.tier !== tier) return false;
  if (person.compoundId === null) return person.communityId === null || person.communityId === communityId;
  return person.buildingId === null && communityOfCompound === communityId;
}

/** One problem with one field of a shift, as the API names it (`shifts.0.days`). */
export type ShiftProblem = { path: string; message: string };

/** The problems of one shift as sent (days, times, people), each with its field. */
export function checkShift(shift: DutyShift, path: string): ShiftProblem[] {
  const problems: ShiftProblem[] = [];
  if (shift.days.length === 0)
    problems.push({ path: `${path}.days`, message: '至少选一天 / needs at least one weekday' });
  else if (new Set(shift.days).size !== shift.days.length || shift.days.some((d) => !WEEKDAYS.includes(d)))
    problems.push({
      path: `${path}.days`,
      message: '星期为 1–7，不可重复 / weekdays are 1–7 (Monday–Sunday), each once',
    });
  for (const field of ['start', 'end'] as const)
    if (parseTimeOfDay(shift[field]) === null)
      problems.push({ path: `${path}.${field}`, message: '须为 HH:MM，如 08:00 / must be HH:MM such as 08:00' });
  if (shift.people.length === 0)
    problems.push({ path: `${path}.personIds`, message: '至少一人 / needs at least one person' });
  else if (new Set(shift.people).size !== shift.people.length)
    problems.push({ path: `${path}.personIds`, message: '同一人重复 / a person is listed twice' });
  return problems;
}

/** Weekdays as stored: bit d−1 for ISO weekday d. */
export function daysToMask(days: readonly Weekday[]): number {
  return days.reduce((mask, d) => mask | (1 << (d - 1)), 0);
}

export function maskToDays(mask: number): Weekday[] {
  return WEEKDAYS.filter((d) => (mask & (1 << (d - 1))) !== 0);
}

const LOCAL_INSTANT = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)$/;
const ZONED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An override's bound as sent: ISO 8601 with a zone ("2026-11-25T20:00:00+08:00", "…Z"), or a
 * local "YYYY-MM-DDTHH:MM" read in the roster's zone (what a date-time field on a page gives).
 * Epoch ms, or null for anything else (a date that does not exist included).
 */
export function parseDutyInstant(text: string, timeZone: string): number | null {
  const local = LOCAL_INSTANT.exec(text);
  if (local !== null) {
    const date = local[1] as string;
    if (parseLocalDate(date) === null) return null;
    return zonedTimeToEpoch(wallTimeOn(date, Number(local[2]) * 60 + Number(local[3])), timeZone);
  }
  if (!ZONED_INSTANT.test(text)) return null;
  const ms = Date.parse(text);
  // Date.parse may roll 02-30 over to 03-02: the date itself must exist.
  if (!Number.isFinite(ms) || parseLocalDate(text.slice(0, 10)) === null) return null;
  return ms;
}
