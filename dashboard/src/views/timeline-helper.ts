import type { AlertDetail, AlertKind, CallResultWord, RibbonState, TransitionAction } from '../api.js';
import { KIND_ICON } from '../ribbon.js';

/**
 * A household's timeline, newest first, from what the API gives in separate lists: its events
 * (device presses, people's reports), its patrol visits, and its alerts' transitions and
 * notifications. Pure: no DOM, no requests.
 */
export type EventItem = {
  id: number;
  state: RibbonState;
  source: 'device' | 'person';
  deviceId: string | null;
  reportedBy: string | null;
  note: string | null;
  receivedAt: string;
};
export type VisitItem = { id: number; seen: 'none'; by: string; note: string | null; at: string };

type Base = { at: string; who: string | null; note: string | null; icon: string; action?: string };
export type TimelineEntry = Base &
  (
    | { type: 'press'; state: RibbonState; deviceId: string | null }
    | { type: 'report'; state: RibbonState }
    | { type: 'visit' }
    | { type: 'alert'; kind: AlertKind; action: TransitionAction; level: number }
    | {
        type: 'notified';
        kind: AlertKind;
        target: 'channel' | 'device' | 'none';
        recipients: string[];
        /** A person's own phone: an SMS or a call; null for a group robot or webhook. */
        medium: 'sms' | 'call' | null;
      }
    | { type: 'call-result'; kind: AlertKind; recipients: string[]; result: CallResultWord; detail: string }
    | { type: 'not-sent'; kind: AlertKind; recipients: string[]; reason: string }
  );

// The outbox names its events after the transitions that caused them.
const EVENT_ACTION: Record<string, TransitionAction> = {
  'alert.opened': 'opened',
  'alert.escalated': 'escalated',
  'alert.reminder': 'reminded',
  'alert.acknowledged': 'acknowledged',
  'alert.resolved': 'resolved',
};

const names = (rs: ReadonlyArray<{ name: string }>): string[] => rs.map((r) => r.name);

export function buildTimeline(
  events: readonly EventItem[],
  visits: readonly VisitItem[],
  alerts: readonly AlertDetail[],
): TimelineEntry[] {
  const out: Array<TimelineEntry & { order: number }> = [];
  let order = 0;
  const push = (e: TimelineEntry) => out.push({ ...e, order: order++ });

  for (const e of events) {
    push(
      e.source === 'device'
        ? {
            type: 'press',
            state: e.state,
            deviceId: e.deviceId,
            at: e.receivedAt,
            who: null,
            note: e.note,
            icon: e.state,
          }
        : { type: 'report', state: e.state, at: e.receivedAt, who: e.reportedBy, note: e.note, icon: e.state },
    );
  }
  for (const v of visits) push({ type: 'visit', at: v.at, who: v.by, note: v.note, icon: 'none' });
  for (const a of alerts) {
    for (const tr of a.transitions) {
      push({
        type: 'alert',
        kind: a.kind,
        action: tr.action,
        level: tr.level,
        at: tr.at,
        who: tr.by,
        note: tr.note,
        icon: tr.action === 'resolved' || tr.action === 'cleared' ? 'handled' : KIND_ICON[a.kind],
      });
    }
    for (const n of a.notifications) {
      if (n.status === 'sent' && n.sentAt !== null) {
        push({
          type: 'notified',
          kind: a.kind,
          target: n.target,
          recipients: names(n.recipients),
          medium: n.medium ?? null,
          at: n.sentAt,
          who: null,
          note: null,
          icon: 'sound',
        });
        // What became of the call, as its provider reported it, at the provider's time.
        if (n.callResult)
          push({
            type: 'call-result',
            kind: a.kind,
            recipients: names(n.recipients),
            result: n.callResult.result,
            detail: n.callResult.detail,
            at: n.callResult.at,
            who: null,
            note: null,
            icon: n.callResult.result === 'answered' ? 'handled' : 'muted',
          });
        continue;
      }
      // Not sent (yet): no time of its own in the API, so it is shown at the step that caused it
      // (the latest transition of that kind), where a reader looks for whom it reached.
      const action = EVENT_ACTION[n.event];
      const cause = [...a.transitions].reverse().find((tr) => tr.action === action) ?? a.transitions[0];
      push({
        type: 'not-sent',
        kind: a.kind,
        recipients: names(n.recipients),
        reason: n.lastError ?? n.status,
        at: cause?.at ?? a.openedAt,
        who: null,
        note: null,
        icon: 'muted',
      });
    }
  }
  // Newest first; at the same instant, the later-listed first (a transition before its notification).
  out.sort((x, y) => Date.parse(y.at) - Date.parse(x.at) || y.order - x.order);
  return out.map(({ order: _order, ...e }) => e as TimelineEntry);
}
