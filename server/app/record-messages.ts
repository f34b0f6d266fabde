import { isDuplicatePress } from '../domain/dedupe.js';
import { decideDeviceHealth, type DeviceSignal } from '../domain/device-health.js';
import { BUILT_IN_DEVICE_SETTINGS } from '../domain/device-settings.js';
import { parseHeartbeatPayload, parseOnlinePayload, parseStatePayload, type StateReport } from '../domain/payload.js';
import { alertKindForReport, assertNever, type RibbonState } from '../domain/ribbon.js';
import { localDateTime } from '../domain/zoned-time.js';
import type { DeviceAuth, Stores } from './ports.js';
import type { DeviceChannel, DeviceConfig } from '../../protocol/mqtt.js';
import { DEFAULT_TIME_ZONE } from '../../protocol/ribbon.js';
import type { AlertChange, Alerting } from './alerting.js';
import { checkInDueAt } from './check-ins.js';
import { createDeviceSettingsLookup } from './device-settings.js';
import { DEFAULT_REJECT_LIMITS, type RejectLimits } from '../domain/reject-limit.js';
import { createUnreadableLimit } from './unreadable.js';

export type InboundMessage = {
  deviceId: string;
  channel: DeviceChannel;
  topic: string;
  payload: Buffer;
  /** The server's receive time: it orders events and drives every due time. */
  receivedAt: number;
};

export type PersonReport = {
  householdId: number;
  state: RibbonState;
  note: string | null;
  by: string;
  idempotencyKey: string | null;
  /**
   * When the person saw the ribbon (ms): a report queued offline is sent later. Absent = when it
   * is recorded. The API checks it is within the last 7 days; a time ahead of the server's clock
   * (skew) counts as now.
   */
  observedAt?: number;
};
export type PersonReportResult = { eventId: number; duplicate: boolean; alerts: AlertChange[] };

/** Every red payload holds these bytes (the bare word or the JSON value): a cheap first test. */
const RED = Buffer.from('red');

/** A person's report seen this much before it reached the server says so in the alert it opens. */
export const LATE_REPORT_MS = 60_000;

export type Outcome =
  | {
      type: 'press';
      deviceId: string;
      householdId: number;
      eventId: number;
      state: RibbonState;
      seq: number | null;
      alerts: AlertChange[];
      warnings: string[];
    }
  | { type: 'duplicate'; deviceId: string; householdId: number; state: RibbonState; seq: number }
  /** `config`: the device's settings to tell it on ribbon/{id}/config (its interval changed, or it just connected). */
  | {
      type: 'heartbeat';
      deviceId: string;
      householdId: number;
      battery: number;
      alerts: AlertChange[];
      config: DeviceConfig | null;
    }
  | {
      type: 'online';
      deviceId: string;
      householdId: number;
      online: boolean;
      alerts: AlertChange[];
      config: DeviceConfig | null;
    }
  | {
      type: 'rejected';
      deviceId: string;
      householdId: number;
      rejectedId: number;
      reason: string;
      alerts: AlertChange[];
    }
  /**
   * An unreadable message past its device's limit (server/domain/reject-limit.ts): only counted,
   * not kept. `overLimit`: the first of its window. `alerts` holds, on the last such message of a
   * device in its batch, the change of the device alert carrying the count (now and then).
   */
  | {
      type: 'counted';
      deviceId: string;
      householdId: number;
      reason: string;
      overLimit: boolean;
      alerts: AlertChange[];
    }
  /**
   * A device retired after it connected, or one never registered here (behind an external
   * broker): its message is not a press of any household. A retired device's press (`state`) is
   * still kept raw in the rejected log and raises a `device` alert on its household, so what a
   * person pressed is never acknowledged and then lost. Nothing else is kept (rejectedId null):
   * heartbeats and online states are no press, and nothing from an unknown device is kept
   * (docs/design.md §4).
   */
  | {
      type: 'unknown-device';
      deviceId: string;
      householdId: number | null;
      rejectedId: number | null;
      alerts: AlertChange[];
    };

/**
 * Records device messages. The caller runs a whole batch in one transaction (group commit) and
 * acknowledges each message only after the commit; in the batch, messages are applied in
 * arrival order, so a redelivery later in the same batch sees the first copy.
 */
export function createRecordMessages(
  stores: Stores,
  alerting: Alerting,
  opts: {
    /** The transaction for device batches: WalSync.transaction when the caller syncs after it (server/store/db.ts). */
    batchTransaction?: <T>(fn: () => T) => T;
    /** Per-device limits on unreadable messages and the rejected log's size (default DEFAULT_REJECT_LIMITS). */
    rejectLimits?: RejectLimits;
    /** Rows of the rejected log dropped by its size bound (metrics). */
    onRejectedDropped?: (rows: number) => void;
  } = {},
) {
  const batchTransaction = opts.batchTransaction ?? stores.transaction;
  const { alerts, devices, events, places, rejected } = stores;
  const settingsOf = createDeviceSettingsLookup(stores);
  const limit = createUnreadableLimit({
    stores,
    alerting,
    limits: opts.rejectLimits ?? DEFAULT_REJECT_LIMITS,
    ...(opts.onRejectedDropped ? { onDropped: opts.onRejectedDropped } : {}),
  });

  /** Keeps a message raw in the rejected log; its id. */
  function keepRaw(m: InboundMessage, reason: string): number {
    const id = rejected.insert({
      deviceId: m.deviceId,
      topic: m.topic,
      payload: m.payload,
      reason,
      receivedAt: m.receivedAt,
    });
    limit.kept(id);
    return id;
  }

  /**
   * An unreadable message from a known device: within its device's limit, kept raw with a
   * `device` alert (an unreadable press is still a press); past it, only counted — the device's
   * alert carries the count (app/unreadable.ts), and a device in a loop costs a counter.
   */
  function reject(m: InboundMessage, householdId: number, reason: string): Outcome {
    const { keep, overLimit } = limit.admit(m.deviceId, householdId, m.receivedAt);
    if (!keep) return { type: 'counted', deviceId: m.deviceId, householdId, reason, overLimit, alerts: [] };
    const rejectedId = keepRaw(m, reason);
    const decision = decideDeviceHealth({ type: 'unreadable', reason }, m.receivedAt);
    const alerts = alerting.applyDeviceHealth({ id: m.deviceId, householdId }, decision, m.receivedAt);
    return { type: 'rejected', deviceId: m.deviceId, householdId, rejectedId, reason, alerts };
  }

  /**
   * Any press or a person's report, seen at `observedAt` (≤ now; a press is seen when it arrives):
   * a check-in, the ribbon, the next due time, the end of a missed check-in. A report seen earlier
   * but received later (a patrol's offline queue) moves nothing back:
   * - the check-in is the latest one seen, max(lastCheckInAt, observedAt), and the next due time
   *   is counted from it;
   * - the ribbon is the latest one seen: it changes only if observedAt ≥ its stateAt. The store
   *   writes state_at and last_checkin_at together (places.recordReport), so they are equal and
   *   one comparison with lastCheckInAt decides both;
   * - a missed check-in is cleared only by a check-in seen at or after the alert opened: a blue
   *   seen at 09:00 says nothing of the silence noticed at 12:00, so that alert waits for a
   *   person (or a later check-in).
   * A report seen as it arrives (observedAt = now, every device press) is the latest news and
   * always applies, as before: a server clock stepped back must not keep a red press off the ribbon.
   */
  function recordCheckIn(householdId: number, state: RibbonState, observedAt: number, now: number): AlertChange[] {
    const schedule = places.schedule(householdId);
    const latest = schedule?.lastCheckInAt ?? null;
    if (observedAt === now || latest === null || observedAt >= latest) {
      places.recordReport(
        householdId,
        state,
        observedAt,
        schedule === null ? null : checkInDueAt(schedule, observedAt, now),
      );
    }
    if (observedAt < now) {
      const missed = alerts.findOpen(householdId, 'missed_checkin');
      if (missed === null || missed.openedAt > observedAt) return [];
    }
    const cleared = alerting.clear(householdId, 'missed_checkin', 'check-in received', now);
    return cleared ? [cleared] : [];
  }

  /** "迟报：2026-11-25 09:00 看到 / reported late: seen 2026-11-25 09:00", in the household's zone. */
  function lateReason(householdId: number, observedAt: number): string {
    const zone = places.schedule(householdId)?.timezone ?? DEFAULT_TIME_ZONE;
    const local = localDateTime(observedAt, zone);
    return `迟报：${local} 看到 / reported late: seen ${local}`;
  }

  /** What the device's message says of its health (server/domain/device-health.ts), carried out. */
  function recordHealth(device: DeviceAuth, signal: DeviceSignal, now: number): AlertChange[] {
    return alerting.applyDeviceHealth(device, decideDeviceHealth(signal, now), now);
  }

  /** Whether a press repeats one already on record (a redelivery, docs/design.md §4). */
  function isRepeat(deviceId: string, report: StateReport, now: number): report is StateReport & { seq: number } {
    return report.seq !== null && isDuplicatePress(report, events.earlierPress(deviceId, report.boot, report.seq), now);
  }

  /** See the `unknown-device` outcome. */
  function fromUnknownDevice(m: InboundMessage, householdId: number | null): Outcome {
    const none = { type: 'unknown-device' as const, deviceId: m.deviceId, householdId, rejectedId: null, alerts: [] };
    if (m.channel !== 'state' || householdId === null) return none;
    const rejectedId = keepRaw(m, 'retired device');
    // A closed household's old button (issue 15; closed by the admin CLI, from another process,
    // while it was connected): kept, but no alert on a household that has left the wall.
    if (places.getHousehold(householdId)?.closed != null) return { ...none, rejectedId };
    const alert = alerting.raise(
      householdId,
      'device',
      { reason: `已停用的设备 ${m.deviceId} 发来按键 / a press from retired device ${m.deviceId}` },
      m.receivedAt,
    );
    return { ...none, rejectedId, alerts: [alert] };
  }

  function recordOne(m: InboundMessage): Outcome {
    const device = devices.findForAuth(m.deviceId);
    if (device === null || device.retired) return fromUnknownDevice(m, device?.householdId ?? null);
    const { householdId } = device;
    const now = m.receivedAt;
    switch (m.channel) {
      case 'state': {
        const parsed = parseStatePayload(m.payload);
        if (!parsed.ok) return reject(m, householdId, parsed.reason);
        const report = parsed.value;
        if (isRepeat(m.deviceId, report, now)) {
          return { type: 'duplicate', deviceId: m.deviceId, householdId, state: report.state, seq: report.seq };
        }
        const eventId = events.insert({
          householdId,
          source: 'device',
          deviceId: m.deviceId,
          state: report.state,
          seq: report.seq,
          boot: report.boot,
          deviceAt: report.deviceAt,
          battery: report.battery,
          reportedBy: null,
          note: null,
          receivedAt: now,
        });
        const changes = recordCheckIn(householdId, report.state, now, now);
        // A press is on record in events; the device row changes only when there is news for it.
        if (report.battery !== null) {
          devices.recordBattery(m.deviceId, report.battery, now);
          changes.push(...recordHealth(device, { type: 'battery', percent: report.battery }, now));
        }
        const kind = alertKindForReport(report.state);
        if (kind !== null) changes.push(alerting.raise(householdId, kind, { eventId }, now));
        return {
          type: 'press',
          deviceId: m.deviceId,
          householdId,
          eventId,
          state: report.state,
          seq: report.seq,
          alerts: changes,
          warnings: report.warnings,
        };
      }
      case 'heartbeat': {
        const parsed = parseHeartbeatPayload(m.payload);
        if (!parsed.ok) return reject(m, householdId, parsed.reason);
        // A heartbeat proves the battery, not the person: it is not a check-in.
        const { battery } = parsed.value;
        devices.recordHeartbeat(m.deviceId, parsed.value, now);
        // After the model it may just have reported: the settings may be per model.
        const told = settingsOf.forMessage(m.deviceId, 'if-changed');
        const settings = told?.settings ?? BUILT_IN_DEVICE_SETTINGS;
        const changes = recordHealth(device, { type: 'heartbeat', percent: battery, settings }, now);
        const config = told?.config ?? null;
        return { type: 'heartbeat', deviceId: m.deviceId, householdId, battery, alerts: changes, config };
      }
      case 'online': {
        const parsed = parseOnlinePayload(m.payload);
        if (!parsed.ok) return reject(m, householdId, parsed.reason);
        const { online } = parsed.value;
        // Just connected: told its interval once per connection (the config is retained, and a
        // broker may have lost it); gone: a fault after its grace.
        const told = settingsOf.forMessage(m.deviceId, online ? 'on-connect' : 'never');
        const settings = told?.settings ?? BUILT_IN_DEVICE_SETTINGS;
        const signal: DeviceSignal = online
          ? { type: 'online', settings }
          : { type: 'offline', graceSec: settings.graceSec };
        const alerts = recordHealth(device, signal, now);
        const config = online ? (told?.config ?? null) : null;
        return { type: 'online', deviceId: m.deviceId, householdId, online, alerts, config };
      }
      default:
        return assertNever(m.channel);
    }
  }

  /** Each device's alert change onto its last `counted` outcome of the batch. */
  function attachCounts(outcomes: Outcome[], changes: Map<string, AlertChange>): void {
    for (let i = outcomes.length - 1; i >= 0 && changes.size > 0; i--) {
      const outcome = outcomes[i] as Outcome;
      if (outcome.type !== 'counted') continue;
      const change = changes.get(outcome.deviceId);
      if (change === undefined) continue;
      outcome.alerts.push(change);
      changes.delete(outcome.deviceId);
    }
  }

  return {
    /**
     * A red press about to be recorded, read without writing anything (for the live hub's
     * receipt, sent before the commit): its household, or null when it is not a readable red
     * press from a known device, or repeats one already on record (a redelivery must not sound
     * the alarm again). The commit still decides; this only tells the dashboards early. A press
     * whose JSON spells "red" with escapes is recorded as usual but not foretold.
     */
    peekRed(m: InboundMessage): { householdId: number } | null {
      if (m.channel !== 'state' || !m.payload.includes(RED)) return null;
      const device = devices.findForAuth(m.deviceId);
      if (device === null || device.retired) return null;
      const parsed = parseStatePayload(m.payload);
      if (!parsed.ok || parsed.value.state !== 'red' || isRepeat(m.deviceId, parsed.value, m.receivedAt)) return null;
      return { householdId: device.householdId };
    },
    /** Applies a batch in one transaction; throws (and commits nothing) if the transaction fails. */
    recordBatch(batch: readonly InboundMessage[]): Outcome[] {
      try {
        return batchTransaction(() => {
          const outcomes = batch.map(recordOne);
          const changes = limit.finish();
          if (changes.size > 0) attachCounts(outcomes, changes);
          return outcomes;
        });
      } catch (err) {
        limit.abort();
        throw err;
      }
    },
    /**
     * A person's report (a volunteer saw the ribbon, or entered it for a household without a
     * device): the same path as a press — an event, a check-in, the same alerts — in one
     * transaction. With an idempotency key, sending the same report again has no second effect.
     * Seen earlier than now (`observedAt`), it counts as a check-in at that time (see
     * recordCheckIn), but a red or yellow opens or joins its alert at once, escalating from now:
     * a red is a red, however late it is heard. The alert's reason then says when it was seen.
     */
    recordPersonReport(input: PersonReport, now: number): PersonReportResult {
      // Clock skew: a tap "in the future" was seen now, not later (it must not outrank a later press).
      const observedAt = Math.min(input.observedAt ?? now, now);
      return stores.transaction(() => {
        if (input.idempotencyKey !== null) {
          const earlier = events.byIdempotencyKey(input.householdId, input.idempotencyKey);
          if (earlier !== null) return { eventId: earlier.id, duplicate: true, alerts: [] };
        }
        const eventId = events.insert({
          householdId: input.householdId,
          source: 'person',
          deviceId: null,
          state: input.state,
          seq: null,
          boot: null,
          deviceAt: null,
          battery: null,
          reportedBy: input.by,
          note: input.note,
          receivedAt: now,
          observedAt,
          idempotencyKey: input.idempotencyKey,
        });
        const changes = recordCheckIn(input.householdId, input.state, observedAt, now);
        const kind = alertKindForReport(input.state);
        if (kind !== null) {
          const reason = now - observedAt >= LATE_REPORT_MS ? lateReason(input.householdId, observedAt) : null;
          changes.push(alerting.raise(input.householdId, kind, { eventId, reason }, now));
        }
        return { eventId, duplicate: false, alerts: changes };
      });
    },
  };
}

export type RecordMessages = ReturnType<typeof createRecordMessages>;
