import {
  overLimitReason,
  overLimitReasonKey,
  type RejectLimits,
  type RejectTally,
  replaceReasonPart,
  tallyReject,
} from '../domain/reject-limit.js';
import { REASON_SEPARATOR } from '../domain/device-health.js';
import { type AlertChange, type Alerting, MAX_REASON } from './alerting.js';
import type { Stores } from './ports.js';

/** A device over its limit re-announces its alert (the count on open dashboards) at most this often. */
export const OVER_LIMIT_ANNOUNCE_MS = 10_000;

/**
 * The per-device limits on unreadable messages (server/domain/reject-limit.ts) over the store,
 * inside the group commit's transaction. Per message it costs a map lookup and a few integer
 * additions (`admit`); the tallies, the alert of a device over its limit and the rejected log's
 * size bound are written once per batch (`finish`), in the batch's transaction, so they commit
 * with it or not at all (`abort` forgets what the failed batch changed).
 */
export function createUnreadableLimit(deps: {
  stores: Pick<Stores, 'rejected' | 'alerts'>;
  alerting: Pick<Alerting, 'raise'>;
  limits: RejectLimits;
  /** Rows of the rejected log dropped by the size bound (metrics). */
  onDropped?: (rows: number) => void;
}) {
  const { stores, alerting, limits } = deps;
  /** Tallies read or written since start: the store is read once per device. */
  const tallies = new Map<string, RejectTally>();
  const announcedAt = new Map<string, number>();
  /** What the batch under way changed, per device. */
  const batch = new Map<string, { householdId: number; counted: number; overLimit: boolean; now: number }>();
  let newestRow: number | null = null;

  function tallyOf(deviceId: string): RejectTally | null {
    const cached = tallies.get(deviceId);
    if (cached !== undefined) return cached;
    const stored = stores.rejected.tally(deviceId);
    if (stored !== null) tallies.set(deviceId, stored);
    return stored;
  }

  /** The alert of a device over its limit: opened (a new episode) or joined by `counted` messages, with the count. */
  function countOnAlert(deviceId: string, householdId: number, counted: number, now: number): AlertChange {
    const tally = tallies.get(deviceId) as RejectTally;
    const part = overLimitReason(tally, limits);
    const open = stores.alerts.findOpen(householdId, 'device');
    if (open === null) {
      const opened = alerting.raise(householdId, 'device', { reason: part }, now);
      if (counted === 1) return opened;
      const alert = stores.alerts.get(opened.alertId);
      if (alert !== null)
        stores.alerts.save(alert, { ...alert, reportCount: alert.reportCount + counted - 1 }, [], {}, now);
      return opened;
    }
    const reason = replaceReasonPart(open.reason, overLimitReasonKey(deviceId), part, REASON_SEPARATOR).slice(
      0,
      MAX_REASON,
    );
    const saved = stores.alerts.save(open, { ...open, reportCount: open.reportCount + counted }, [], { reason }, now);
    return {
      alertId: saved.id,
      householdId: saved.householdId,
      kind: saved.kind,
      opened: false,
      status: saved.status,
      level: saved.level,
    };
  }

  return {
    /** One more unreadable message from a known device: keep it raw, or only count it. */
    admit(deviceId: string, householdId: number, now: number): { keep: boolean; overLimit: boolean } {
      const decision = tallyReject(deviceId, tallyOf(deviceId), limits, now);
      tallies.set(deviceId, decision.tally);
      const entry = batch.get(deviceId);
      const counted = decision.keep ? 0 : 1;
      if (entry === undefined) {
        batch.set(deviceId, { householdId, counted, overLimit: decision.overLimit, now });
      } else {
        entry.counted += counted;
        entry.overLimit ||= decision.overLimit;
        entry.now = now;
      }
      return { keep: decision.keep, overLimit: decision.overLimit };
    },
    /** A row was added to the rejected log (any reason): the size bound is kept at the batch's end. */
    kept(rowId: number): void {
      newestRow = rowId;
    },
    /**
     * At the end of a batch, in its transaction: the tallies written, the size bound kept, and
     * the alerts of devices over their limit; the alert changes to announce, by device.
     */
    finish(): Map<string, AlertChange> {
      const changes = new Map<string, AlertChange>();
      for (const [deviceId, entry] of batch) {
        stores.rejected.saveTally(tallies.get(deviceId) as RejectTally);
        if (entry.counted === 0) continue;
        const change = countOnAlert(deviceId, entry.householdId, entry.counted, entry.now);
        // The count changes with every batch: the dashboards hear of it now and then, not per batch.
        const last = announcedAt.get(deviceId);
        if (change.opened || entry.overLimit || last === undefined || entry.now - last >= OVER_LIMIT_ANNOUNCE_MS) {
          announcedAt.set(deviceId, entry.now);
          changes.set(deviceId, change);
        }
      }
      batch.clear();
      if (newestRow !== null) {
        const dropped = stores.rejected.bound(newestRow, limits.maxRows);
        if (dropped > 0) deps.onDropped?.(dropped);
        newestRow = null;
      }
      return changes;
    },
    /** The batch's transaction failed: what it changed is forgotten (the store still has the truth). */
    abort(): void {
      for (const deviceId of batch.keys()) tallies.delete(deviceId);
      batch.clear();
      newestRow = null;
    },
  };
}

export type UnreadableLimit = ReturnType<typeof createUnreadableLimit>;
