import type { Logger } from 'pino';
import {
  type CheckInPolicy,
  type CheckInSchedule,
  checkSchedule,
  DEFAULT_CHECKIN,
  nextDueAt,
  type QuietHours,
} from '../domain/check-in.js';
import type { Stores } from './ports.js';
import { scheduleOf } from './check-ins.js';

/**
 * What a person changes in a household's check-in schedule (PATCH /api/households/:id, the
 * admin's `set-checkin`, a roster row). A field left out keeps the household's current value as
 * the domain reads it (a policy stored as NULL is kept as the default it stands for, written
 * out). A `policy` of null is the default stored as NULL, so that it follows the default.
 */
export type ScheduleChange = {
  policy?: CheckInPolicy | null | undefined;
  timeZone?: string | undefined;
  quietHours?: QuietHours | undefined;
  awayUntil?: string | null | undefined;
};

export type SetScheduleOutcome =
  | { ok: true; schedule: CheckInSchedule; dueAt: number }
  | { ok: false; kind: 'notFound'; reason: string }
  | { ok: false; kind: 'validation'; reason: string };

/**
 * The one place a household's check-in schedule is set: the change is checked by the domain's
 * `checkSchedule`, stored, and the stored due time recomputed by `nextDueAt`. Read and write are
 * one transaction (a savepoint inside the caller's): the admin command runs beside the server,
 * and a check-in the server records in between must not be overwritten by a stale due time.
 *
 * The due time is counted from the last check-in or, for a household that never checked in,
 * from its registration (`created_at`), as `addHousehold` counts it and as the HTTP API always
 * did. Not from the moment of the change: a schedule change must not push forward a silence that
 * is already running (a household silent for days stays overdue; see the rules in
 * domain/check-in.ts, "nothing is skipped forward"). So the answer does not depend on when, nor
 * through which door (API, admin command, roster import), the schedule is set, and needs no clock.
 */
export function setCheckInSchedule(
  stores: Stores,
  householdId: number,
  change: ScheduleChange,
  log?: Logger,
): SetScheduleOutcome {
  return stores.transaction(() => apply(stores, householdId, change, log));
}

function apply(stores: Stores, householdId: number, change: ScheduleChange, log?: Logger): SetScheduleOutcome {
  const stored = stores.places.schedule(householdId);
  if (stored === null) return { ok: false, kind: 'notFound', reason: `household ${householdId} does not exist` };
  const current = scheduleOf(stored, log);
  const checked = checkSchedule({
    policy: change.policy === undefined ? current.policy : (change.policy ?? DEFAULT_CHECKIN),
    timeZone: change.timeZone ?? current.timeZone,
    quietHours: change.quietHours !== undefined ? change.quietHours : current.quietHours,
    awayUntil: change.awayUntil !== undefined ? change.awayUntil : current.awayUntil,
  });
  if (!checked.ok) return { ok: false, kind: 'validation', reason: checked.reason };
  const schedule = checked.value;
  // nextDueAt reads its `now` only when there was no check-in: then it is the registration.
  const dueAt = nextDueAt(schedule, stored.lastCheckInAt, stored.createdAt);
  stores.places.setSchedule(
    householdId,
    {
      policy: change.policy === null ? null : schedule.policy,
      quietHours: schedule.quietHours,
      awayUntil: schedule.awayUntil,
      timezone: schedule.timeZone,
    },
    dueAt,
  );
  return { ok: true, schedule, dueAt };
}
