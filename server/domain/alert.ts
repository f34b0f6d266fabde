import { ERRORS } from '../../protocol/errors.js';
import type { ResponsePolicy } from './policy.js';
import { assertNever, type AlertKind, type AlertStatus } from './ribbon.js';

/**
 * The alert lifecycle (docs/design.md §3), pure: `openAlert` and `transition(alert, command, ctx)`
 * return the new alert and its effects as data; the caller stores both in one transaction.
 *
 *   open ──acknowledge──▶ acknowledged ──resolve(note)──▶ resolved
 *     │  (arrive: emergencies; an arrival while open acknowledges too)
 *     └──────────────────────────resolve(note)──────────▶ resolved
 *
 * Timed steps ("due"): an open emergency goes to tier 2 at +60 s and tier 3 at +180 s, then is
 * announced again every 15 min; acknowledged but unresolved, it reminds at +45 min and every
 * 15 min after, until a person resolves it (nothing is silenced by being ignored). While an
 * emergency is open, the phones of every tier told so far are called again every 60 s
 * (`callDueAt`, policy.callRepeatSec) until someone acknowledges; a tier nobody can be reached
 * at is skipped at once (`escalate`, the system's command). A service
 * request unclaimed for 4 h of daytime reminds the grid worker (tier 2). A missed check-in goes
 * to tier 2 after an hour, then reminds. `clear` is the system's own resolution, allowed only
 * for missed check-ins and device faults: a blue press never resolves an emergency.
 */

export type Tier = 1 | 2 | 3;

export type AlertView = {
  kind: AlertKind;
  status: AlertStatus;
  /** The highest tier notified so far. */
  level: Tier;
  openedAt: number;
  acknowledgedAt: number | null;
  arrivedAt: number | null;
  resolvedAt: number | null;
  reportCount: number;
  /** When the next timed step is due; null when nothing is (resolved, claimed service, device). */
  dueAt: number | null;
  remindersSent: number;
  /** An open emergency: when its phones are called again; null otherwise. */
  callDueAt: number | null;
};

export type AlertCommand =
  | { type: 'report' }
  | { type: 'acknowledge'; by: string; note?: string | null }
  | { type: 'arrive'; by: string; note?: string | null }
  | { type: 'resolve'; by: string; note: string }
  | { type: 'clear'; note: string }
  /** The system's: nobody at the current tier can be reached, so the next is told now. */
  | { type: 'escalate'; note: string }
  | { type: 'due' };

export type NotifyEvent =
  | 'alert.opened'
  | 'alert.escalated'
  | 'alert.reminder'
  | 'alert.acknowledged'
  | 'alert.resolved';

export type Effect =
  /** Tell the people of these tiers (each tier's own people: building, compound, community). */
  | { type: 'notify'; tiers: readonly Tier[]; event: NotifyEvent }
  /** Call the phones of these tiers' people again (an open emergency nobody has acknowledged). */
  | { type: 'call'; tiers: readonly Tier[] }
  /** Tell the elder's button: help is coming / it is over. */
  | { type: 'tell-device'; status: 'acknowledged' | 'resolved' };

export type TransitionAction =
  | 'opened'
  | 'escalated'
  | 'reminded'
  | 'acknowledged'
  | 'arrived'
  | 'resolved'
  | 'cleared';

/** One stored row of history: who did what, when (the caller adds `at`). */
export type TransitionRecord = { action: TransitionAction; by: string | null; note: string | null; level: Tier };

/** Why a command is refused: codes from the catalogue (protocol/errors.ts), with its messages. */
export type AlertRefusal =
  | 'alertResolved'
  | 'alertAlreadyAcknowledged'
  | 'alertAlreadyArrived'
  | 'alertNotEmergency'
  | 'noteRequired'
  | 'alertNeedsPerson';
export type AlertErrorCode = (typeof ERRORS)[AlertRefusal]['code'];

export type AlertOutcome =
  | { ok: true; alert: AlertView; effects: Effect[]; records: TransitionRecord[] }
  | { ok: false; code: AlertErrorCode; message: string };

export type AlertContext = {
  now: number;
  policy: ResponsePolicy;
  /** Adds `seconds` of daytime (the policy's window, in the household's zone) to `from`. */
  addDaytime: (from: number, seconds: number) => number;
};

const MAX_NOTE = 2000;
const SEC = 1000;

function tiersUpTo(level: Tier): Tier[] {
  return level === 1 ? [1] : level === 2 ? [1, 2] : [1, 2, 3];
}

function fail(refusal: AlertRefusal): AlertOutcome {
  return { ok: false, code: ERRORS[refusal].code, message: ERRORS[refusal].message };
}

function cleanNote(note: string | null | undefined): string | null {
  if (note === null || note === undefined) return null;
  const trimmed = note.trim();
  // Capped in UTF-16 units; a cut through a surrogate pair would store a lone half (U+FFFD).
  return trimmed === '' ? null : trimmed.slice(0, MAX_NOTE).replace(/[\uD800-\uDBFF]$/, '');
}

/** A new alert of `kind`, opened now: tier 1 is told at once. */
export function openAlert(
  kind: AlertKind,
  ctx: AlertContext,
): { alert: AlertView; effects: Effect[]; records: TransitionRecord[] } {
  const { now, policy } = ctx;
  let dueAt: number | null;
  let callDueAt: number | null = null;
  switch (kind) {
    case 'emergency':
      dueAt = now + policy.tier2AfterSec * SEC;
      callDueAt = now + policy.callRepeatSec * SEC;
      break;
    case 'service':
      dueAt = ctx.addDaytime(now, policy.serviceUnclaimedSec);
      break;
    case 'missed_checkin':
      dueAt = now + policy.missedCheckInEscalateSec * SEC;
      break;
    case 'device':
      dueAt = null;
      break;
    default:
      return assertNever(kind);
  }
  return {
    alert: {
      kind,
      status: 'open',
      level: 1,
      openedAt: now,
      acknowledgedAt: null,
      arrivedAt: null,
      resolvedAt: null,
      reportCount: 1,
      dueAt,
      remindersSent: 0,
      callDueAt,
    },
    effects: [{ type: 'notify', tiers: [1], event: 'alert.opened' }],
    records: [{ action: 'opened', by: null, note: null, level: 1 }],
  };
}

export function transition(alert: AlertView, command: AlertCommand, ctx: AlertContext): AlertOutcome {
  if (alert.status === 'resolved') return fail('alertResolved');
  const { now } = ctx;
  switch (command.type) {
    case 'report':
      // Another press of the same colour joins the open alert: counted, no second alert.
      return { ok: true, alert: { ...alert, reportCount: alert.reportCount + 1 }, effects: [], records: [] };

    case 'acknowledge': {
      if (alert.status !== 'open') return fail('alertAlreadyAcknowledged');
      const next: AlertView = {
        ...alert,
        status: 'acknowledged',
        acknowledgedAt: now,
        dueAt: dueAfterAcknowledge(alert.kind, ctx),
        callDueAt: null,
      };
      return {
        ok: true,
        alert: next,
        effects: [
          ...deviceEffect(alert.kind, 'acknowledged'),
          { type: 'notify', tiers: tiersUpTo(alert.level), event: 'alert.acknowledged' },
        ],
        records: [{ action: 'acknowledged', by: command.by, note: cleanNote(command.note), level: alert.level }],
      };
    }

    case 'arrive': {
      if (alert.kind !== 'emergency') return fail('alertNotEmergency');
      if (alert.arrivedAt !== null) return fail('alertAlreadyArrived');
      const records: TransitionRecord[] = [];
      const effects: Effect[] = [];
      let next: AlertView = { ...alert, arrivedAt: now };
      if (alert.status === 'open') {
        // Being at the door implies "on my way": the acknowledgement is recorded with it.
        next = {
          ...next,
          status: 'acknowledged',
          acknowledgedAt: now,
          dueAt: dueAfterAcknowledge(alert.kind, ctx),
          callDueAt: null,
        };
        records.push({ action: 'acknowledged', by: command.by, note: null, level: alert.level });
        effects.push(...deviceEffect(alert.kind, 'acknowledged'), {
          type: 'notify',
          tiers: tiersUpTo(alert.level),
          event: 'alert.acknowledged',
        });
      }
      records.push({ action: 'arrived', by: command.by, note: cleanNote(command.note), level: alert.level });
      return { ok: true, alert: next, effects, records };
    }

    case 'resolve': {
      const note = cleanNote(command.note);
      if (note === null) return fail('noteRequired');
      return {
        ok: true,
        alert: { ...alert, status: 'resolved', resolvedAt: now, dueAt: null, callDueAt: null },
        effects: [
          ...deviceEffect(alert.kind, 'resolved'),
          { type: 'notify', tiers: tiersUpTo(alert.level), event: 'alert.resolved' },
        ],
        records: [{ action: 'resolved', by: command.by, note, level: alert.level }],
      };
    }

    case 'clear': {
      if (alert.kind === 'emergency' || alert.kind === 'service') {
        return fail('alertNeedsPerson');
      }
      return {
        ok: true,
        alert: { ...alert, status: 'resolved', resolvedAt: now, dueAt: null, callDueAt: null },
        // Whoever was told of it hears it is over, so nobody walks over for nothing.
        effects: [{ type: 'notify', tiers: tiersUpTo(alert.level), event: 'alert.resolved' }],
        records: [{ action: 'cleared', by: null, note: cleanNote(command.note), level: alert.level }],
      };
    }

    case 'escalate': {
      // Only an open emergency below the top tier: the rest have nobody further to tell.
      if (alert.kind !== 'emergency' || alert.status !== 'open' || alert.level === 3)
        return { ok: true, alert, effects: [], records: [] };
      const to: Tier = alert.level === 1 ? 2 : 3;
      // The tier timers go on as before: tier 3 still at +180 s from the press, or now.
      const dueAt =
        to === 2 ? alert.openedAt + ctx.policy.tier3AfterSec * SEC : now + ctx.policy.unacknowledgedRepeatSec * SEC;
      return {
        ok: true,
        alert: { ...alert, level: to, dueAt: Math.max(dueAt, now) },
        effects: [{ type: 'notify', tiers: [to], event: 'alert.escalated' }],
        records: [{ action: 'escalated', by: null, note: cleanNote(command.note), level: to }],
      };
    }

    case 'due':
      return runDue(alert, ctx);

    default:
      return assertNever(command);
  }
}

function deviceEffect(kind: AlertKind, status: 'acknowledged' | 'resolved'): Effect[] {
  // The button shows that help is coming for what the elder pressed (red, yellow).
  return kind === 'emergency' || kind === 'service' ? [{ type: 'tell-device', status }] : [];
}

function dueAfterAcknowledge(kind: AlertKind, ctx: AlertContext): number | null {
  switch (kind) {
    case 'emergency':
    case 'missed_checkin':
      return ctx.now + ctx.policy.acknowledgedRemindAfterSec * SEC;
    case 'service':
    case 'device':
      return null;
    default:
      return assertNever(kind);
  }
}

/**
 * The timed steps that are due by ctx.now, all of them: after a pause (a restart, a stalled
 * sweep) an emergency goes straight from tier 1 to tier 3 rather than one tier a sweep.
 */
function runDue(start: AlertView, ctx: AlertContext): AlertOutcome {
  const { now, policy } = ctx;
  let alert = start;
  const effects: Effect[] = [];
  const records: TransitionRecord[] = [];
  const escalate = (to: Tier, dueAt: number | null): void => {
    alert = { ...alert, level: to, dueAt };
    effects.push({ type: 'notify', tiers: [to], event: 'alert.escalated' });
    records.push({ action: 'escalated', by: null, note: null, level: to });
  };
  const remind = (tiers: Tier[], dueAt: number | null, level: Tier = alert.level): void => {
    alert = { ...alert, level, dueAt, remindersSent: alert.remindersSent + 1 };
    effects.push({ type: 'notify', tiers, event: 'alert.reminder' });
    records.push({ action: 'reminded', by: null, note: null, level });
  };

  // Bounded: each step moves dueAt forward or to null; repeats are collapsed into one.
  for (let step = 0; step < 4 && alert.dueAt !== null && alert.dueAt <= now; step++) {
    const kind = alert.kind;
    if (alert.status === 'acknowledged') {
      remind(tiersUpTo(alert.level), now + policy.acknowledgedRepeatSec * SEC);
      break;
    }
    switch (kind) {
      case 'emergency':
        if (alert.level === 1) escalate(2, alert.openedAt + policy.tier3AfterSec * SEC);
        else if (alert.level === 2) escalate(3, now + policy.unacknowledgedRepeatSec * SEC);
        else remind([1, 2, 3], now + policy.unacknowledgedRepeatSec * SEC);
        break;
      case 'service':
        remind([2], ctx.addDaytime(now, policy.serviceUnclaimedSec), alert.level === 1 ? 2 : alert.level);
        break;
      case 'missed_checkin':
        if (alert.level === 1) escalate(2, now + policy.missedCheckInRepeatSec * SEC);
        else remind(tiersUpTo(alert.level), now + policy.missedCheckInRepeatSec * SEC);
        break;
      case 'device':
        alert = { ...alert, dueAt: null };
        break;
      default:
        return assertNever(kind);
    }
    // A reminder is one message however long the pause was.
    if (records.at(-1)?.action === 'reminded') break;
  }
  // The calls of an open emergency: every tier told so far that this run did not just call
  // (a new tier is called with its own notification; a reminder is an SMS only).
  if (alert.kind === 'emergency' && alert.status === 'open' && alert.callDueAt !== null && alert.callDueAt <= now) {
    const told = new Set(effects.flatMap((e) => (e.type === 'notify' && e.event !== 'alert.reminder' ? e.tiers : [])));
    const tiers = tiersUpTo(alert.level).filter((t) => !told.has(t));
    if (tiers.length > 0) effects.push({ type: 'call', tiers });
    alert = { ...alert, callDueAt: now + policy.callRepeatSec * SEC };
  }
  return { ok: true, alert, effects, records };
}
