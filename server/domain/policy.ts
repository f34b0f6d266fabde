import { isPlainObject } from './guards.js';
import { parseTimeOfDay } from './zoned-time.js';

/**
 * The response policy of a compound (小区): escalation delays, reminders and the daytime window.
 * The defaults are docs/design.md §3's; each compound may override any of them.
 */
export type ResponsePolicy = Readonly<{
  /** Red unacknowledged this long after the press → tier 2 (grid worker, compound party branch). */
  tier2AfterSec: number;
  /** … this long after the press → tier 3 (community duty officer, the family's contacts). */
  tier3AfterSec: number;
  /** After tier 3, an unacknowledged emergency is announced again this often. */
  unacknowledgedRepeatSec: number;
  /** Acknowledged but not resolved this long → a reminder (an acknowledgement is not an outcome). */
  acknowledgedRemindAfterSec: number;
  /** … and again this often. */
  acknowledgedRepeatSec: number;
  /** A service request unclaimed for this much daytime → a reminder to the grid worker. */
  serviceUnclaimedSec: number;
  /** The daytime window (local "HH:MM"), in which service waiting time counts. */
  daytimeStart: string;
  daytimeEnd: string;
  /** A missed check-in not taken up this long → tier 2, then reminders this often. */
  missedCheckInEscalateSec: number;
  missedCheckInRepeatSec: number;
  /** An open emergency's phone calls are repeated this often to every tier told so far, until someone acknowledges. */
  callRepeatSec: number;
}>;

export const DEFAULT_POLICY: ResponsePolicy = Object.freeze({
  tier2AfterSec: 60,
  tier3AfterSec: 180,
  unacknowledgedRepeatSec: 900,
  acknowledgedRemindAfterSec: 45 * 60,
  acknowledgedRepeatSec: 15 * 60,
  serviceUnclaimedSec: 4 * 3600,
  daytimeStart: '08:00',
  daytimeEnd: '20:00',
  missedCheckInEscalateSec: 3600,
  missedCheckInRepeatSec: 3600,
  callRepeatSec: 60,
});

const SECOND_FIELDS = [
  'tier2AfterSec',
  'tier3AfterSec',
  'unacknowledgedRepeatSec',
  'acknowledgedRemindAfterSec',
  'acknowledgedRepeatSec',
  'serviceUnclaimedSec',
  'missedCheckInEscalateSec',
  'missedCheckInRepeatSec',
  'callRepeatSec',
] as const;

const MAX_SEC = 7 * 86_400;

/** Validates a partial policy from outside (admin command, API); returns the merged policy or the problem. */
export function checkPolicy(
  input: unknown,
  base: ResponsePolicy = DEFAULT_POLICY,
): { ok: true; value: ResponsePolicy } | { ok: false; reason: string } {
  if (!isPlainObject(input)) return { ok: false, reason: 'policy must be an object' };
  const obj = input;
  const merged: Record<string, number | string> = { ...base };
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if ((SECOND_FIELDS as readonly string[]).includes(key)) {
      if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_SEC) {
        return { ok: false, reason: `${key} must be a whole number of seconds from 1 to ${MAX_SEC}` };
      }
      merged[key] = value as number;
    } else if (key === 'daytimeStart' || key === 'daytimeEnd') {
      if (typeof value !== 'string' || parseTimeOfDay(value) === null)
        return { ok: false, reason: `${key} must be a time "HH:MM"` };
      merged[key] = value;
    } else {
      return { ok: false, reason: `unknown policy field ${JSON.stringify(key)}` };
    }
  }
  const policy = merged as unknown as ResponsePolicy;
  if (policy.tier3AfterSec <= policy.tier2AfterSec)
    return { ok: false, reason: 'tier3AfterSec must be later than tier2AfterSec' };
  if (policy.daytimeStart >= policy.daytimeEnd)
    return { ok: false, reason: 'the daytime window must start before it ends, within one day' };
  // At least an hour of daytime a day, so the longest wait (7 days of daytime) ends within
  // the 400 days addDaytime will look ahead.
  if ((parseTimeOfDay(policy.daytimeEnd) ?? 0) - (parseTimeOfDay(policy.daytimeStart) ?? 0) < 60)
    return { ok: false, reason: 'the daytime window must be at least one hour long' };
  return { ok: true, value: Object.freeze(policy) };
}
