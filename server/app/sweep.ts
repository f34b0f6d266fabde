import type { Logger } from 'pino';
import type { Stores } from './ports.js';
import { decideDeviceHealth } from '../domain/device-health.js';
import type { AlertChange, Alerting } from './alerting.js';

export type SweepResult = { alerts: number; checkIns: number; devices: number; failed: number; changes: AlertChange[] };

/** When a row's step throws, its due time moves on this much instead of failing every second. */
export const RETRY_AFTER_FAILURE_MS = 60_000;

/**
 * One sweep over what is due by `now`: alert steps (escalations, reminders), missed check-ins
 * and silent devices. It reads only due rows through their partial indexes, so its cost does not
 * grow with the number of households. All of one sweep is one transaction (one fsync); each row
 * runs in its own savepoint and is claimed by checking its due time is still the one selected,
 * so a row that throws is rolled back alone, logged, and its due time moved on (as
 * Healthchecks does) while the others go through.
 */
export function createSweep(deps: { stores: Stores; alerting: Alerting; log: Logger; limit?: number }) {
  const { stores, alerting, log } = deps;
  const limit = deps.limit ?? 1000;

  return function sweep(now: number): SweepResult {
    const result: SweepResult = { alerts: 0, checkIns: 0, devices: 0, failed: 0, changes: [] };
    const dueAlerts = stores.alerts.due(now, limit);
    const dueCheckIns = stores.places.dueCheckIns(now, limit);
    const dueDevices = stores.devices.dueHeartbeats(now, limit);
    if (dueAlerts.length + dueCheckIns.length + dueDevices.length === 0) return result;

    const each = (what: string, id: number | string, step: () => void, moveOn: () => void): void => {
      try {
        stores.savepoint(step);
      } catch (err) {
        result.failed += 1;
        log.error({ err, what, id }, 'sweep step failed; its due time moves on');
        try {
          moveOn();
        } catch (moveErr) {
          log.error({ err: moveErr, what, id }, 'could not move the due time on');
        }
      }
    };

    stores.transaction(() => {
      for (const due of dueAlerts) {
        const { id } = due;
        each(
          'alert',
          id,
          () => {
            // The claim: a conditional UPDATE that changes exactly one row only if the alert is
            // still due at the time selected (a person may have acted meanwhile).
            if (!stores.alerts.claimDue(due)) return;
            const r = alerting.command(id, { type: 'due' }, now);
            if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
            // Counted only once the step went through (a throw rolls the savepoint back).
            result.changes.push(r.change);
            result.alerts += 1;
          },
          () => stores.alerts.claimDue(due, now + RETRY_AFTER_FAILURE_MS),
        );
      }
      for (const { id, dueAt } of dueCheckIns) {
        each(
          'check-in',
          id,
          () => {
            // Claimed: no second alarm for the same silence; the next check-in sets a new due.
            if (!stores.places.claimCheckIn(id, dueAt, null)) return;
            result.changes.push(alerting.raise(id, 'missed_checkin', { reason: 'no check-in in time' }, now));
            result.checkIns += 1;
          },
          () => stores.places.claimCheckIn(id, dueAt, now + RETRY_AFTER_FAILURE_MS),
        );
      }
      for (const { id, householdId, dueAt } of dueDevices) {
        each(
          'device',
          id,
          () => {
            // Claimed (its due time is now null): no second fault for the same silence.
            if (!stores.devices.claimHeartbeat(id, dueAt)) return;
            const decision = decideDeviceHealth({ type: 'silent' }, now);
            result.changes.push(...alerting.applyDeviceHealth({ id, householdId }, decision, now));
            result.devices += 1;
          },
          () => stores.devices.setHeartbeatDue(id, now + RETRY_AFTER_FAILURE_MS),
        );
      }
    });
    return result;
  };
}

export type Sweep = ReturnType<typeof createSweep>;
