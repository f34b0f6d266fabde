import type { Logger } from 'pino';
import { ERRORS } from '../../protocol/errors.js';
import {
  openAlert,
  transition,
  type AlertCommand,
  type AlertContext,
  type AlertErrorCode,
  type AlertOutcome,
  type AlertView,
  type Effect,
  type TransitionRecord,
} from '../domain/alert.js';
import { addDaytime } from '../domain/daytime.js';
import { type DeviceHealthDecision, mayClear, REASON_SEPARATOR } from '../domain/device-health.js';
import { checkPolicy, DEFAULT_POLICY, type ResponsePolicy } from '../domain/policy.js';
import { assertNever, type AlertKind } from '../domain/ribbon.js';
import { formatMessage } from '../notify/format.js';
import type { NotificationMessage } from '../notify/types.js';
import type { Alert, Stores } from './ports.js';

/** What changed, for the live feed and the caller's reply. */
export type AlertChange = {
  alertId: number;
  householdId: number;
  kind: AlertKind;
  opened: boolean;
  status: Alert['status'];
  level: number;
};

/** A refusal's code is from the catalogue (protocol/errors.ts): the API answers it by its status. */
export type CommandResult =
  | { ok: true; alert: Alert; change: AlertChange }
  | { ok: false; code: AlertErrorCode | typeof ERRORS.notFound.code; message: string };

const MAX_REASON = 500;

/**
 * The alert use cases over the store: open or join, person commands, automatic clears and
 * timed steps. Each runs the pure domain (server/domain/alert.ts) and writes its result — the
 * alert, its transition rows and the outbox rows for its effects — in the caller's transaction,
 * so a decision and its notifications are committed together or not at all.
 */
export function createAlerting(deps: { stores: Stores; log: Logger }) {
  const { stores, log } = deps;

  /** The compound's policy as stored with the household's schedule (already read with it). */
  function policyFor(compoundId: number, stored: unknown): ResponsePolicy {
    if (stored === null) return DEFAULT_POLICY;
    const checked = checkPolicy(stored);
    if (checked.ok) return checked.value;
    log.error({ compoundId, reason: checked.reason }, 'stored compound policy is invalid; using the defaults');
    return DEFAULT_POLICY;
  }

  /** What the domain needs to decide, and where its notifications go: read once per operation. */
  type Context = { ctx: AlertContext; compoundId: number; timezone: string };
  function contextFor(householdId: number, now: number): Context {
    const schedule = stores.places.schedule(householdId);
    if (schedule === null) throw new Error(`household ${householdId} does not exist`);
    const policy = policyFor(schedule.compoundId, schedule.compoundPolicy);
    const window = { start: policy.daytimeStart, end: policy.daytimeEnd };
    return {
      ctx: { now, policy, addDaytime: (from, seconds) => addDaytime(from, seconds, window, schedule.timezone) },
      compoundId: schedule.compoundId,
      timezone: schedule.timezone,
    };
  }

  function message(
    alert: { id: number; householdId: number } & AlertView & { reason: string | null },
    event: NotificationMessage['event'],
    recipients: NotificationMessage['recipients'],
    now: number,
    timezone: string,
  ): Omit<NotificationMessage, 'id'> {
    const h = stores.places.getHousehold(alert.householdId);
    const base = {
      event,
      alert: {
        id: alert.id,
        kind: alert.kind,
        status: alert.status,
        tier: alert.level,
        openedAt: new Date(alert.openedAt).toISOString(),
        reportCount: alert.reportCount,
        acknowledgedAt: alert.acknowledgedAt === null ? null : new Date(alert.acknowledgedAt).toISOString(),
        reason: alert.reason,
      },
      ...(h ? { household: { id: h.id, name: h.name, compound: h.compound, building: h.building, room: h.room } } : {}),
      recipients,
      at: new Date(now).toISOString(),
    };
    return { ...base, ...formatMessage({ id: '', ...base }, { timeZone: timezone }) };
  }

  /** Turns effects into outbox rows (the worker delivers them). */
  function enqueueEffects(
    alert: Alert,
    effects: readonly Effect[],
    compoundId: number,
    timezone: string,
    now: number,
  ): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'notify': {
          const recipients = stores.people.recipients(alert.householdId, effect.tiers);
          const payload = message(alert, effect.event, recipients, now, timezone);
          const channelIds = stores.channels.idsFor(compoundId);
          stores.outbox.insertForChannels(
            channelIds,
            { alertId: alert.id, event: effect.event, recipients, payload },
            now,
          );
          if (channelIds.length === 0)
            log.warn(
              { alertId: alert.id, event: effect.event },
              'no notification channel configured for this compound; the notification is recorded as not sent',
            );
          break;
        }
        case 'tell-device': {
          const seq = alert.lastEventId === null ? null : (stores.events.get(alert.lastEventId)?.seq ?? null);
          for (const device of stores.devices.forHousehold(alert.householdId)) {
            stores.outbox.insert(
              {
                target: 'device',
                channelId: null,
                deviceId: device.id,
                alertId: alert.id,
                event: `device.${effect.status}`,
                recipients: [],
                payload: { seq, status: effect.status },
              },
              now,
            );
          }
          break;
        }
        default:
          assertNever(effect);
      }
    }
  }

  function save(
    alert: Alert,
    outcome: { alert: AlertView; effects: Effect[]; records: TransitionRecord[] },
    extra: { lastEventId?: number | null; reason?: string | null },
    context: Context,
    now: number,
  ): Alert {
    const saved = stores.alerts.save(alert, outcome.alert, outcome.records, extra, now);
    stores.alerts.recordTransitions(alert.id, outcome.records, now);
    enqueueEffects(saved, outcome.effects, context.compoundId, context.timezone, now);
    return saved;
  }

  function change(alert: Alert, opened: boolean): AlertChange {
    return {
      alertId: alert.id,
      householdId: alert.householdId,
      kind: alert.kind,
      opened,
      status: alert.status,
      level: alert.level,
    };
  }

  function mergeReason(current: string | null, added: string | null): string | null {
    if (added === null || current === added) return current;
    if (current === null) return added.slice(0, MAX_REASON);
    const parts = current.split(REASON_SEPARATOR);
    return parts.includes(added) ? current : [...parts, added].join(REASON_SEPARATOR).slice(0, MAX_REASON);
  }

  /** Opens an alert of `kind` for a household, or joins (counts into) the open one. */
  function raise(
    householdId: number,
    kind: AlertKind,
    opts: { eventId?: number | null; reason?: string | null },
    now: number,
  ): AlertChange {
    const existing = stores.alerts.findOpen(householdId, kind);
    const context = contextFor(householdId, now);
    if (existing !== null) {
      const outcome = transition(existing, { type: 'report' }, context.ctx);
      if (!outcome.ok) throw new Error(`joining open alert ${existing.id}: ${outcome.message}`);
      const saved = save(
        existing,
        outcome,
        {
          lastEventId: opts.eventId ?? existing.lastEventId,
          reason: mergeReason(existing.reason, opts.reason ?? null),
        },
        context,
        now,
      );
      return change(saved, false);
    }
    const opened = openAlert(kind, context.ctx);
    const alert = stores.alerts.insert(
      householdId,
      opened.alert,
      opts.reason?.slice(0, MAX_REASON) ?? null,
      opts.eventId ?? null,
      now,
    );
    stores.alerts.recordTransitions(alert.id, opened.records, now);
    enqueueEffects(alert, opened.effects, context.compoundId, context.timezone, now);
    return change(alert, true);
  }

  /** A person's action (acknowledge, arrive, resolve) or a timed step, on one alert. */
  function command(alertId: number, action: AlertCommand, now: number): CommandResult {
    const alert = stores.alerts.get(alertId);
    if (alert === null) return { ok: false, code: ERRORS.notFound.code, message: `alert ${alertId} does not exist` };
    const context = contextFor(alert.householdId, now);
    const outcome: AlertOutcome = transition(alert, action, context.ctx);
    if (!outcome.ok) return outcome;
    const saved = save(alert, outcome, {}, context, now);
    return { ok: true, alert: saved, change: change(saved, false) };
  }

  /**
   * The system's own resolution of a missed check-in or a device fault when its cause is gone.
   * `onlyReasons`: clear a device alert only if all its reasons are among these.
   */
  function clear(
    householdId: number,
    kind: 'missed_checkin' | 'device',
    note: string,
    now: number,
    onlyReasons?: readonly string[],
  ): AlertChange | null {
    const alert = stores.alerts.findOpen(householdId, kind);
    if (alert === null) return null;
    if (onlyReasons !== undefined && !mayClear(alert.reason, onlyReasons)) return null;
    const context = contextFor(householdId, now);
    const outcome = transition(alert, { type: 'clear', note }, context.ctx);
    if (!outcome.ok) throw new Error(`clearing alert ${alert.id}: ${outcome.message}`);
    return change(save(alert, outcome, {}, context, now), false);
  }

  /**
   * Carries out a device-health decision (server/domain/device-health.ts) for one device: its
   * online flag and due time, then the steps on its household's device alert, in order.
   */
  function applyDeviceHealth(
    device: { id: string; householdId: number },
    decision: DeviceHealthDecision,
    now: number,
  ): AlertChange[] {
    if (decision.online !== null) stores.devices.setOnline(device.id, decision.online, now);
    if (decision.heartbeatDueAt !== null) stores.devices.setHeartbeatDue(device.id, decision.heartbeatDueAt);
    const changes: AlertChange[] = [];
    for (const step of decision.alert) {
      switch (step.type) {
        case 'raise':
          changes.push(raise(device.householdId, 'device', { reason: step.reason }, now));
          break;
        case 'clear': {
          const cleared = clear(device.householdId, 'device', step.note, now, step.onlyReasons);
          if (cleared !== null) changes.push(cleared);
          break;
        }
        default:
          assertNever(step);
      }
    }
    return changes;
  }

  return { raise, command, clear, applyDeviceHealth };
}

export type Alerting = ReturnType<typeof createAlerting>;
