import { isDuplicatePress } from '../domain/dedupe.js';
import { parseHeartbeatPayload, parseOnlinePayload, parseStatePayload } from '../domain/payload.js';
import { alertKindForReport, assertNever, type AlertKind, type RibbonState } from '../domain/ribbon.js';
import type { Stores } from '../store/index.js';
import type { OpenedAlert } from '../store/alerts.js';
import type { DeviceChannel } from '../domain/topics.js';

export type InboundMessage = {
  deviceId: string;
  channel: DeviceChannel;
  topic: string;
  payload: Buffer;
  /** The server's receive time: it orders events and drives every due time. */
  receivedAt: number;
};

export type AlertTouch = OpenedAlert & { kind: AlertKind };

export type Outcome =
  | {
      type: 'press';
      deviceId: string;
      householdId: number;
      eventId: number;
      state: RibbonState;
      seq: number | null;
      alert: AlertTouch | null;
      warnings: string[];
    }
  | { type: 'duplicate'; deviceId: string; householdId: number; state: RibbonState; seq: number }
  | { type: 'heartbeat'; deviceId: string; householdId: number; battery: number }
  | { type: 'online'; deviceId: string; householdId: number; online: boolean }
  | { type: 'rejected'; deviceId: string; householdId: number; rejectedId: number; reason: string; alert: AlertTouch }
  | { type: 'unknown-device'; deviceId: string };

/**
 * Records device messages. The caller runs a whole batch in one transaction (group commit) and
 * acknowledges each message only after the commit; in the batch, messages are applied in
 * arrival order, so a redelivery later in the same batch sees the first copy.
 */
export function createRecordMessages(stores: Stores) {
  const { devices, events, places, alerts, rejected } = stores;

  function reject(m: InboundMessage, householdId: number, reason: string): Outcome {
    const rejectedId = rejected.insert({
      deviceId: m.deviceId,
      topic: m.topic,
      payload: m.payload,
      reason,
      receivedAt: m.receivedAt,
    });
    // An unreadable press is still a press: someone must look at this device.
    const alert = alerts.openOrJoin(householdId, 'device', `unreadable message: ${reason}`, null, m.receivedAt);
    return { type: 'rejected', deviceId: m.deviceId, householdId, rejectedId, reason, alert: { ...alert, kind: 'device' } };
  }

  function recordOne(m: InboundMessage): Outcome {
    const device = devices.findForAuth(m.deviceId);
    if (device === null || device.retired) return { type: 'unknown-device', deviceId: m.deviceId };
    const { householdId } = device;
    const now = m.receivedAt;
    switch (m.channel) {
      case 'state': {
        const parsed = parseStatePayload(m.payload);
        if (!parsed.ok) return reject(m, householdId, parsed.reason);
        const report = parsed.value;
        if (report.seq !== null) {
          const earlier = events.earlierPress(m.deviceId, report.boot, report.seq);
          if (isDuplicatePress(report, earlier, now)) {
            return { type: 'duplicate', deviceId: m.deviceId, householdId, state: report.state, seq: report.seq };
          }
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
        places.recordReport(householdId, report.state, now);
        // A press is on record in events; the device row changes only when there is news for it.
        if (report.battery !== null) devices.recordBattery(m.deviceId, report.battery, now);
        const kind = alertKindForReport(report.state);
        const alert = kind === null ? null : { ...alerts.openOrJoin(householdId, kind, null, eventId, now), kind };
        return {
          type: 'press',
          deviceId: m.deviceId,
          householdId,
          eventId,
          state: report.state,
          seq: report.seq,
          alert,
          warnings: report.warnings,
        };
      }
      case 'heartbeat': {
        const parsed = parseHeartbeatPayload(m.payload);
        if (!parsed.ok) return reject(m, householdId, parsed.reason);
        devices.recordBattery(m.deviceId, parsed.value.battery, now);
        return { type: 'heartbeat', deviceId: m.deviceId, householdId, battery: parsed.value.battery };
      }
      case 'online': {
        const parsed = parseOnlinePayload(m.payload);
        if (!parsed.ok) return reject(m, householdId, parsed.reason);
        devices.setOnline(m.deviceId, parsed.value.online, now);
        return { type: 'online', deviceId: m.deviceId, householdId, online: parsed.value.online };
      }
      default:
        return assertNever(m.channel);
    }
  }

  return {
    /** Applies a batch in one transaction; throws (and commits nothing) if the transaction fails. */
    recordBatch(batch: readonly InboundMessage[]): Outcome[] {
      return stores.transaction(() => batch.map(recordOne));
    },
  };
}

export type RecordMessages = ReturnType<typeof createRecordMessages>;
