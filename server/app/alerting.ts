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
import type { Alert, Recipient, Stores } from './ports.js';
import { reachOf } from './reach.js';
import { createPhoneNotices, distinct } from './phone-notices.js';
import type { Tier } from '../domain/alert.js';

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

/** A stored reason is cut at this length. */
export const MAX_REASON = 500;

/**
 * The alert use cases over the store: open or join, person commands, automatic clears and
 * timed steps. Each runs the pure domain (server/domain/alert.ts) and writes its result — the
 * alert, its transition rows and the outbox rows for its effects — in the caller's transaction,
 * so a decision and its notifications are committed together or not at all.
 */
export function createAlerting(deps: {
  stores: Stores;
  log: Logger;
  /**
   * The one-tap link for this person and alert (server/app/ack-link.ts) and its 处理码, put into
   * every SMS; null when none can be made (a recipient without a row id).
   */
  ackLink?: (alertId: number, recipient: Recipient, now: number) => { link: string; code: string | null } | null;
  /** The people on duty for a compound and tier (duty rosters); null = no roster, everyone of the tier. */
  onDuty?: (compoundId: number, tier: Tier, now: number) => readonly number[] | null;
}) {
  const { stores, log } = deps;
  const phones = createPhoneNotices(deps);

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

  /** Turns effects into outbox rows (the worker delivers them); returns the tiers nobody's phone could be tried at. */
  function enqueueEffects(alert: Alert, effects: readonly Effect[], context: Context, now: number): Tier[] {
    const { compoundId, timezone } = context;
    const unreachable: Tier[] = [];
    for (const effect of effects) {
      switch (effect.type) {
        case 'notify': {
          const perTier = effect.tiers.map((tier) => ({
            tier,
            people: phones.tierPeople(alert.householdId, compoundId, tier, now),
          }));
          const recipients = distinct(perTier.flatMap((t) => t.people));
          const payload = message(alert, effect.event, recipients, now, timezone);
          const channels = phones.channelsOf(compoundId);
          // Phones hear of new and escalated alerts and reminders, not of their ending.
          const toPhones =
            alert.kind !== 'device' &&
            (effect.event === 'alert.opened' ||
              effect.event === 'alert.escalated' ||
              effect.event === 'alert.reminder');
          const calls = alert.kind === 'emergency' && effect.event !== 'alert.reminder';
          if (toPhones) unreachable.push(...phones.enqueue(alert, perTier, payload, channels, calls, context, now));
          // Group robots as before; with no channel at all the notification is recorded as not sent.
          if (channels.group.length > 0 || channels.sms.length + channels.call.length === 0) {
            stores.outbox.insertForChannels(
              channels.group,
              { alertId: alert.id, event: effect.event, recipients, payload },
              now,
            );
          }
          if (channels.group.length + channels.sms.length + channels.call.length === 0)
            log.warn(
              { alertId: alert.id, event: effect.event },
              'no notification channel configured for this compound; the notification is recorded as not sent',
            );
          break;
        }
        case 'call': {
          // Another round of calls: every person of these tiers, nobody having acknowledged.
          const perTier = effect.tiers.map((tier) => ({
            tier,
            people: phones.tierPeople(alert.householdId, compoundId, tier, now),
          }));
          const payload = message(alert, 'alert.reminder', distinct(perTier.flatMap((t) => t.people)), now, timezone);
          const channels = phones.channelsOf(compoundId);
          phones.enqueue(alert, perTier, payload, { ...channels, sms: [] }, true, context, now);
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
    return unreachable;
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
    const written = phones.written();
    const unreachable = enqueueEffects(saved, outcome.effects, context, now);
    // A press joining an open alert, an acknowledgement: no phone was told, its reach stands.
    if (unreachable.length === 0 && phones.written() === written) return saved;
    return skipUnreachable(saved, unreachable, context, now);
  }

  /**
   * An open emergency whose current tier has nobody whose phone can be tried goes on to the
   * next tier at once (and so on), instead of waiting out the tier's timer; then its reach is
   * brought up to date. In the caller's transaction.
   */
  function skipUnreachable(alert: Alert, unreachable: readonly Tier[], context: Context, now: number): Alert {
    let current = alert;
    let stuck = unreachable;
    for (let step = 0; step < 3 && current.kind === 'emergency' && current.status === 'open'; step++) {
      if (!stuck.includes(current.level) || current.level === 3) break;
      const note = `第${current.level}级无人可通知（无值班人员、无手机号或未配置短信/电话通道） / nobody reachable at tier ${current.level}`;
      const outcome = transition(current, { type: 'escalate', note }, context.ctx);
      if (!outcome.ok || outcome.records.length === 0) break;
      const saved = stores.alerts.save(current, outcome.alert, outcome.records, {}, now);
      stores.alerts.recordTransitions(current.id, outcome.records, now);
      log.warn({ alertId: current.id, tier: current.level }, 'nobody reachable at this tier: escalated at once');
      stuck = enqueueEffects(saved, outcome.effects, context, now);
      current = saved;
    }
    return refreshReach(current);
  }

  /** Whether a person's phone was reached (server/app/reach.ts), stored on the alert; true if it changed. */
  function refreshReach(alert: Alert): Alert {
    const reach = reachOf(alert, stores.outbox.phoneStatuses(alert.id));
    if (reach === alert.reach || reach === null) return alert;
    stores.alerts.setReach(alert.id, reach);
    return { ...alert, reach };
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
    const unreachable = enqueueEffects(alert, opened.effects, context, now);
    return change(skipUnreachable(alert, unreachable, context, now), true);
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

  /**
   * After a phone delivery settled: the alert's reach again, and if every phone of its current
   * tier failed for good, the next tier now. Null when nothing changed. In the caller's transaction.
   */
  function phoneSettled(alertId: number, now: number): AlertChange | null {
    const alert = stores.alerts.get(alertId);
    if (alert === null || alert.reach === null) return null;
    const statuses = stores.outbox.phoneStatuses(alertId);
    const atTier = statuses.filter((s) => s.tier === alert.level);
    const allFailed = atTier.length > 0 && atTier.every((s) => s.status === 'failed');
    const context = contextFor(alert.householdId, now);
    const after = allFailed ? skipUnreachable(alert, [alert.level], context, now) : refreshReach(alert);
    if (after.reach === alert.reach && after.level === alert.level) return null;
    return change(after, false);
  }

  return { raise, command, clear, applyDeviceHealth, phoneSettled };
}

export type Alerting = ReturnType<typeof createAlerting>;
