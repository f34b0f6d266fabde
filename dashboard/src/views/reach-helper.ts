import type { Alert, AlertDetail, CallResultWord, ChannelSummary } from '../api.js';
import type { WordKey } from '../i18n.js';
import { serverText } from '../server-text.js';

/**
 * Whom an alert reached and how (issue 13, "the alarm card says truthfully whom it reached and
 * how"), and the two warnings every screen shows: an open emergency that reached nobody, and no
 * channel that reaches a phone. Pure: no DOM, no requests; words as i18n keys.
 */

type Notification = AlertDetail['notifications'][number];
export type Medium = 'sms' | 'call' | 'group';

/** One way a person was told: `ok` true reached, false not (and why in `word`), null on its way. */
export type ReachItem = { medium: Medium; word: WordKey; ok: boolean | null; detail: string | null };
export type PersonReach = { name: string; items: ReachItem[] };

const CALL_RESULT: Record<CallResultWord, { word: WordKey; ok: boolean }> = {
  answered: { word: 'reach.call.answered', ok: true },
  busy: { word: 'reach.call.busy', ok: false },
  no_answer: { word: 'reach.call.no_answer', ok: false },
  unreachable: { word: 'reach.call.unreachable', ok: false },
  failed: { word: 'reach.call.failed', ok: false },
  throttled: { word: 'reach.call.throttled', ok: false },
};

function itemOf(n: Notification): ReachItem {
  const medium: Medium = n.medium ?? 'group';
  if (medium === 'call' && n.callResult) {
    const r = CALL_RESULT[n.callResult.result];
    // The result's word says it; the provider's own wording is on the household's timeline.
    return { medium, word: r.word, ok: r.ok, detail: null };
  }
  const ok = n.status === 'sent' ? true : n.status === 'failed' ? false : null;
  return {
    medium,
    word: `reach.${medium}.${n.status}` as WordKey,
    ok,
    detail: n.status === 'failed' && n.lastError !== null ? serverText(n.lastError) : null,
  };
}

/**
 * Per person, in the order they were first told: one item per medium, the latest row of it
 * (a call repeated every minute shows how the last one went). Rows to a device or to nobody
 * are not people.
 */
export function personReach(detail: Pick<AlertDetail, 'notifications'>): PersonReach[] {
  const people = new Map<string, Map<Medium, ReachItem>>();
  for (const n of detail.notifications) {
    if (n.target !== 'channel') continue;
    const item = itemOf(n);
    for (const r of n.recipients) {
      let byMedium = people.get(r.name);
      if (!byMedium) {
        byMedium = new Map();
        people.set(r.name, byMedium);
      }
      // A group message already sent stays sent; a later phone row replaces the earlier one.
      const before = byMedium.get(item.medium);
      if (before?.ok === true && item.medium === 'group') continue;
      byMedium.set(item.medium, item);
    }
  }
  const order: Medium[] = ['sms', 'call', 'group'];
  return [...people].map(([name, byMedium]) => ({
    name,
    items: order.flatMap((m) => {
      const item = byMedium.get(m);
      return item ? [item] : [];
    }),
  }));
}

/** Open emergencies that reached nobody: shown on every screen until someone acknowledges. */
export function unreachedEmergencies(alerts: Iterable<Alert>): Alert[] {
  const out: Alert[] = [];
  for (const a of alerts)
    if (a.kind === 'emergency' && a.status === 'open' && a.reach === 'unreached' && a.receipt === undefined)
      out.push(a);
  return out.sort((x, y) => Date.parse(x.openedAt) - Date.parse(y.openedAt));
}

/** Whether any channel reaches a person's phone (SMS or call). */
export function reachesAPhone(channels: ReadonlyArray<Pick<ChannelSummary, 'medium'>>): boolean {
  return channels.some((c) => c.medium === 'sms' || c.medium === 'call');
}
