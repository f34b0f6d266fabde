/**
 * Wall-clock time in an IANA time zone, with nothing but Intl (no dependency, no I/O, no clock).
 *
 * - An instant is epoch milliseconds; a wall-clock time is the calendar date and time a clock
 *   on the wall in that zone shows; a local date is the string 'YYYY-MM-DD'.
 * - Calendar arithmetic on dates is done here in plain integers (days since 1970-01-01,
 *   proleptic Gregorian), so it never depends on the host's zone or on Date's year-0-99 quirk.
 * - Only offsets come from Intl: one Intl.DateTimeFormat per zone, cached (building one costs
 *   far more than using it), and the offsets it gives memoised per UTC hour (see `offsetAt`),
 *   because every press and the check-in sweep come through here for thousands of households.
 * - Functions that take a zone expect a valid one (see `isValidTimeZone`); an unknown zone
 *   throws a RangeError, which is a bug in the caller (outside input is validated first).
 */

export type LocalParts = {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  /** 0–23 */
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday (as Date#getUTCDay) */
  weekday: number;
};

export type WallTime = { year: number; month: number; day: number; hour: number; minute: number };

/** Which instant a repeated wall-clock time (the fall-back hour) means. */
export type Disambiguation = 'earlier' | 'later';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const SECOND_MS = 1000;
const HOUR_MS = 3_600_000;

/** Enough for every IANA zone and its aliases; only a caller passing unvalidated names could fill it. */
const MAX_CACHED_ZONES = 1_000;
/** Per zone: more than a year of hours, i.e. every hour a sweep or a day's presses touch. */
const MAX_CACHED_HOURS = 10_000;

type Zone = {
  format: Intl.DateTimeFormat;
  /** UTC hour number (⌊ms / 1 h⌋) → the zone's offset in ms, for hours with no offset change. */
  offsets: Map<number, number>;
};

const zones = new Map<string, Zone>();

function createFormat(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    // h23: midnight is 00, never 24 (what `hour12: false` gave on some ICU versions).
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

function zoneFor(timeZone: string): Zone {
  let zone = zones.get(timeZone);
  if (zone === undefined) {
    zone = { format: createFormat(timeZone), offsets: new Map() };
    if (zones.size >= MAX_CACHED_ZONES) zones.clear();
    zones.set(timeZone, zone);
  }
  return zone;
}

/** The offset at `ms` (whole seconds, in ms) as Intl reports it: the only place Intl is asked. */
function measureOffset(zone: Zone, ms: number): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of zone.format.formatToParts(ms)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      default:
        break;
    }
  }
  const wall = daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * SECOND_MS;
  return wall - Math.floor(ms / SECOND_MS) * SECOND_MS;
}

/**
 * The zone's offset from UTC at instant `ms`, in ms (east positive: Asia/Shanghai is +8 h).
 *
 * Intl costs a few µs a call, and the sweep and every press need several, so offsets are
 * memoised per UTC hour: an hour whose first and last second have the same offset has no
 * change inside it (no zone changes its offset twice within an hour), so that offset holds for
 * all of it. The hour that holds a change is never memoised and is asked of Intl each time.
 */
function offsetAt(ms: number, timeZone: string): number {
  const zone = zoneFor(timeZone);
  const hour = Math.floor(ms / HOUR_MS);
  const known = zone.offsets.get(hour);
  if (known !== undefined) return known;
  const first = measureOffset(zone, hour * HOUR_MS);
  const last = measureOffset(zone, hour * HOUR_MS + HOUR_MS - SECOND_MS);
  if (first !== last) return measureOffset(zone, ms);
  if (zone.offsets.size >= MAX_CACHED_HOURS) zone.offsets.clear();
  zone.offsets.set(hour, first);
  return first;
}

/**
 * True for a time-zone name Intl knows (IANA names and their aliases, e.g. "Asia/Shanghai",
 * "UTC", "Etc/GMT-8"; case-insensitive as Intl is). Offset strings such as "+08:00" are refused
 * even where the runtime accepts them (newer V8 does): an offset has no daylight-saving rules,
 * so it is not a place's time zone.
 */
export function isValidTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64) return false;
  if (!/^[A-Za-z]/.test(timeZone)) return false;
  try {
    // Cached as in use: building a format costs ~100 µs and a valid zone is about to be used.
    // The cache is bounded, and a name Intl refuses throws before it is stored.
    zoneFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The inverse of daysFromCivil (H. Hinnant's civil_from_days). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function formatLocalDate(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date 'YYYY-MM-DD' (years 0001–9999), or null: "2026-02-30" is null. */
export function parseLocalDate(text: string): { year: number; month: number; day: number } | null {
  const match = LOCAL_DATE.exec(text);
  if (match === null) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

function requireLocalDate(text: string): { year: number; month: number; day: number } {
  const date = parseLocalDate(text);
  if (date === null) throw new RangeError(`not a calendar date: ${JSON.stringify(text)}`);
  return date;
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight of a strict "HH:MM" from 00:00 to 23:59, or null ("7:00", "24:00" are null). */
export function parseTimeOfDay(text: string): number | null {
  const match = TIME_OF_DAY.exec(text);
  if (match === null) return null;
  return Number(match[1]) * 60 + Number(match[2]);
}

/** The wall clock in `timeZone` at instant `ms` (milliseconds are dropped). */
export function localParts(ms: number, timeZone: string): LocalParts {
  const wallSec = Math.floor(ms / SECOND_MS) + offsetAt(ms, timeZone) / SECOND_MS;
  const days = Math.floor(wallSec / 86_400);
  const secondOfDay = wallSec - days * 86_400;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secondOfDay / 3_600),
    minute: Math.floor(secondOfDay / 60) % 60,
    second: secondOfDay % 60,
    // 1970-01-01 was a Thursday (4).
    weekday: (((days + 4) % 7) + 7) % 7,
  };
}

/**
 * The instant at which the wall clock in `timeZone` shows `wall` (seconds 0).
 *
 * - A time that does not exist (the spring-forward gap) is read with the offset in force just
 *   before the gap, which lands after the gap, shifted by the gap's length: 02:30 on the
 *   spring-forward day in America/New_York is 03:30 EDT; a midnight that does not exist
 *   (America/Santiago) becomes the first instant of that day. (Temporal's "compatible".)
 * - A time that happens twice (the fall-back hour) is the earlier instant by default
 *   (01:30 on the fall-back day in America/New_York is 01:30 EDT), the later one on request.
 *
 * Assumes at most one offset change within a day either side of `wall`, true of every zone in
 * the modern tz database; a RangeError for fields that are not a wall-clock time.
 */
export function zonedTimeToEpoch(wall: WallTime, timeZone: string, disambiguation: Disambiguation = 'earlier'): number {
  const { year, month, day, hour, minute } = wall;
  if (
    !Number.isInteger(year) ||
    year < 1 ||
    year > 9999 ||
    !Number.isInteger(month) ||
    month < 1 ||
    month > 12 ||
    !Number.isInteger(day) ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    !Number.isInteger(hour) ||
    hour < 0 ||
    hour > 23 ||
    !Number.isInteger(minute) ||
    minute < 0 ||
    minute > 59
  ) {
    throw new RangeError(`not a wall-clock time: ${JSON.stringify(wall)}`);
  }
  // The wall time read as if it were UTC; the answer is `local - offset` for the right offset.
  const local = daysFromCivil(year, month, day) * DAY_MS + (hour * 60 + minute) * MINUTE_MS;
  const before = offsetAt(local - DAY_MS, timeZone);
  const after = offsetAt(local + DAY_MS, timeZone);
  if (before === after) return local - before;

  // An offset change near this wall time: each candidate is valid if its own offset agrees.
  const withBefore = local - before;
  const withAfter = local - after;
  const beforeFits = offsetAt(withBefore, timeZone) === before;
  const afterFits = offsetAt(withAfter, timeZone) === after;
  if (beforeFits && afterFits) {
    return disambiguation === 'earlier' ? Math.min(withBefore, withAfter) : Math.max(withBefore, withAfter);
  }
  if (beforeFits) return withBefore;
  if (afterFits) return withAfter;
  return withBefore;
}

/** The local date 'YYYY-MM-DD' in `timeZone` at instant `ms`. */
export function localDate(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return formatLocalDate(p.year, p.month, p.day);
}

/** The local date and time 'YYYY-MM-DD HH:MM' in `timeZone` at instant `ms`. */
export function localDateTime(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${formatLocalDate(p.year, p.month, p.day)} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/** `date` plus `n` calendar days (n may be negative): pure calendar arithmetic, no zone. */
export function addDays(date: string, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`not a whole number of days: ${n}`);
  const { year, month, day } = requireLocalDate(date);
  const next = civilFromDays(daysFromCivil(year, month, day) + n);
  return formatLocalDate(next.year, next.month, next.day);
}

/** The first instant of local day `date` in `timeZone` (01:00 where midnight falls in a gap). */
export function startOfLocalDay(date: string, timeZone: string): number {
  return zonedTimeToEpoch(wallTimeOn(date, 0), timeZone);
}

/** The wall-clock fields of local `date` at `minutes` after midnight (0–1439). */
export function wallTimeOn(date: string, minutes: number): WallTime {
  const { year, month, day } = requireLocalDate(date);
  // Built field by field: an object spread here cost a third of nextDueAt.
  return { year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 };
}
