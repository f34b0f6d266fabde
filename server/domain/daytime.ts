import { addDays, localDate, parseTimeOfDay, wallTimeOn, zonedTimeToEpoch } from './zoned-time.js';

/**
 * Waiting time that counts only in the daytime: a yellow press at 19:00 with a 4-hour daytime
 * limit (08:00–20:00) is due at 11:00 the next morning, not at 23:00. Pure.
 */
export type DaytimeWindow = { start: string; end: string };

const MAX_DAYS = 400;

/** `from` plus `seconds` of time inside the daily window, in `timeZone`. */
export function addDaytime(from: number, seconds: number, window: DaytimeWindow, timeZone: string): number {
  const startMin = parseTimeOfDay(window.start);
  const endMin = parseTimeOfDay(window.end);
  if (startMin === null || endMin === null || endMin <= startMin) {
    throw new RangeError(`daytime window ${window.start}–${window.end} must be "HH:MM"–"HH:MM" with start before end`);
  }
  let remaining = seconds * 1000;
  let cursor = from;
  let day = localDate(from, timeZone);
  for (let i = 0; i < MAX_DAYS; i++) {
    const dayStart = zonedTimeToEpoch(wallTimeOn(day, startMin), timeZone);
    const dayEnd = zonedTimeToEpoch(wallTimeOn(day, endMin), timeZone);
    if (cursor < dayStart) cursor = dayStart;
    if (cursor < dayEnd) {
      const available = dayEnd - cursor;
      if (remaining <= available) return cursor + remaining;
      remaining -= available;
    }
    day = addDays(day, 1);
  }
  throw new RangeError(`more than ${MAX_DAYS} days of waiting: ${seconds} s`);
}
