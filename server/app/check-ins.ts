import type { Logger } from 'pino';
import { DEFAULT_TIME_ZONE } from '../../protocol/ribbon.js';
import { checkSchedule, DEFAULT_CHECKIN, nextDueAt, type CheckInSchedule } from '../domain/check-in.js';
import type { StoredSchedule } from '../store/places.js';

/**
 * The check-in schedule of a stored household, validated (the stored JSON came from outside once:
 * an invalid one is logged and replaced by the default rather than silencing the household).
 */
export function scheduleOf(stored: StoredSchedule, log?: Logger): CheckInSchedule {
  const candidate = {
    policy: stored.policy ?? DEFAULT_CHECKIN,
    timeZone: stored.timezone,
    quietHours: stored.quietHours ?? null,
    awayUntil: stored.awayUntil,
  };
  const checked = checkSchedule(candidate);
  if (checked.ok) return checked.value;
  log?.error(
    { householdId: stored.householdId, reason: checked.reason },
    'stored check-in schedule is invalid; using the default',
  );
  return { policy: DEFAULT_CHECKIN, timeZone: DEFAULT_TIME_ZONE, quietHours: null, awayUntil: null };
}

/** When this household's silence becomes an alarm, given a check-in at `lastCheckInAt` (or none, counted from `now`). */
export function checkInDueAt(stored: StoredSchedule, lastCheckInAt: number | null, now: number, log?: Logger): number {
  return nextDueAt(scheduleOf(stored, log), lastCheckInAt, now);
}
