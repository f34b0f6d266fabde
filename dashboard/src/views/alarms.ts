import { api, ApiError, type Alert, type AlertDetail, type AlertKind } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, icon, replace } from '../dom.js';
import { duration, t, type WordKey } from '../i18n.js';
import { address, KIND_ICON } from '../ribbon.js';
import { reasonText, serverText } from '../server-text.js';
import { holdStill, leaveBlank } from './hold-still.js';
import { type PersonReach, personReach } from './reach-helper.js';

/**
 * The alarms: open emergencies on top (time since the press ticking, the tier reached and whom
 * it was sent to, who is going), then the service queue, missed check-ins and device problems.
 * Cards are kept by alert id and updated in place; one timer ticks every "time since".
 */
const SECTIONS: AlertKind[] = ['emergency', 'service', 'missed_checkin', 'device'];

type Detail = Pick<AlertDetail, 'notifications'>;
/** What the card shows of whom the alert reached: the summary, and per person how. */
type Shown = Reached & { people: PersonReach[] };
type Reached = { sent: string[]; pending: string[]; failed: string[]; problems: string[] };

/** Whom the alert reached so far, who is still being tried, and whom it could not reach. */
export function reached(detail: Detail): Reached {
  const by = { sent: new Set<string>(), pending: new Set<string>(), failed: new Set<string>() };
  const problems = new Set<string>();
  for (const n of detail.notifications) {
    for (const r of n.recipients) by[n.status]?.add(r.name);
    if (n.status === 'failed' && n.lastError) problems.add(serverText(n.lastError));
  }
  for (const r of by.sent) {
    by.pending.delete(r);
    by.failed.delete(r);
  }
  return { sent: [...by.sent], pending: [...by.pending], failed: [...by.failed], problems: [...problems] };
}

/** Where an alert stands, in order: a reply that would move it back (a later change came first) is stale. */
const STAGE = { open: 0, acknowledged: 1, resolved: 3 } as const;
export function isNewer(next: Alert, current: Alert | undefined): boolean {
  if (current === undefined) return next.status !== 'resolved';
  const stage = (a: Alert) => STAGE[a.status] + (a.status === 'acknowledged' && a.arrivedAt !== null ? 1 : 0);
  return stage(next) >= stage(current) && next.level >= current.level;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError)
    return err.offline ? t('error.offline') : t('error.generic', { m: serverText(err.message) });
  return t('error.generic', { m: String(err) });
}

/** Whom an alert is about, for a dialog: the name and the address (compound, building, room). */
export function alertSubject(a: Alert): { name: string; where: string } {
  return { name: a.household?.name ?? `#${a.householdId}`, where: a.household ? address(a.household) : '' };
}

/**
 * Asks for the resolution note (required) in a modal dialog; null if cancelled. The dialog names
 * the household and its address (issue 14, point 5): a tap on a card that moved would show here
 * whom it is about to act on.
 */
export function askNote(
  title: string,
  subject: { name: string; where: string; kind: AlertKind },
): Promise<string | null> {
  return new Promise((resolve) => {
    const note = h('textarea', { id: 'resolve-note', required: true, maxlength: 500, rows: 4 });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const dialog = h(
      'dialog',
      { class: 'card', 'aria-labelledby': 'resolve-title', 'aria-describedby': 'resolve-subject' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'resolve-title' }, title),
        h(
          'p',
          { class: 'dialog-subject', id: 'resolve-subject' },
          icon(KIND_ICON[subject.kind]),
          h('strong', null, subject.name),
          subject.where ? ` · ${subject.where}` : '',
        ),
        h('label', { for: 'resolve-note' }, t('resolve.note')),
        note,
        error,
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', value: 'cancel', onclick: () => dialog.close('cancel') }, t('act.cancel')),
          h('button', { type: 'submit', value: 'ok', class: 'primary' }, t('act.confirm')),
        ),
      ),
    );
    dialog.querySelector('form')?.addEventListener('submit', (event) => {
      if (note.value.trim() === '') {
        event.preventDefault();
        error.textContent = t('resolve.required');
        note.focus();
      }
    });
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok' && note.value.trim() !== '';
      dialog.remove();
      resolve(ok ? note.value.trim() : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    note.focus();
  });
}

export function alarmsView(ctx: Ctx): View {
  const { store } = ctx;
  const lists = new Map<AlertKind, HTMLElement>();
  const counts = new Map<AlertKind, HTMLElement>();
  const cards = new Map<number, { el: HTMLElement; alert: Alert; busy: boolean }>();
  const details = new Map<number, Shown>();
  const busy = new Set<number>();

  const el = h(
    'section',
    { class: 'alarms-view', 'aria-labelledby': 'alarms-title' },
    h('h1', { id: 'alarms-title', class: 'sr-only' }, t('alarms.title')),
  );
  const still = holdStill(el, { cardSelector: '.alarm', settle: () => render() });
  for (const kind of SECTIONS) {
    const list = h('ul', { class: `alarm-list list-${kind}`, id: `alarms-${kind}` });
    const count = h('span', { class: 'count' });
    lists.set(kind, list);
    counts.set(kind, count);
    el.append(
      h(
        'section',
        { class: `alarm-section section-${kind}`, 'aria-labelledby': `h-${kind}` },
        h('h2', { id: `h-${kind}` }, icon(KIND_ICON[kind]), t(`alarms.${kind}` as WordKey), ' ', count),
        list,
      ),
    );
  }

  async function act(alert: Alert, action: 'ack' | 'claim' | 'arrived' | 'resolve'): Promise<void> {
    let body: { note: string } | undefined;
    if (action === 'resolve') {
      const words: WordKey =
        alert.kind === 'service'
          ? 'resolve.titleService'
          : alert.kind === 'emergency'
            ? 'resolve.title'
            : 'resolve.titleClose';
      const note = await still.during(() => askNote(t(words), { ...alertSubject(alert), kind: alert.kind }));
      if (note === null) return;
      body = { note };
    }
    busy.add(alert.id);
    render();
    await still.during(async () => {
      try {
        const updated = await api<Alert>('POST', `/api/alerts/${alert.id}/${action}`, body);
        // The live feed may already have brought a later state (someone else resolved it): never step back.
        if (isNewer(updated, store.alerts.get(updated.id))) store.putAlert(updated);
      } catch (err) {
        ctx.toast(errorText(err), 'error');
      } finally {
        busy.delete(alert.id);
        render();
      }
    });
  }

  /** Whom it was sent to (emergencies): fetched for a new card and a new tier, and again while any is still being sent. */
  const refetch = new Map<number, ReturnType<typeof setTimeout>>();
  let destroyed = false;
  function loadDetail(alert: Alert): void {
    if (alert.kind !== 'emergency' || alert.receipt !== undefined || destroyed) return;
    clearTimeout(refetch.get(alert.id));
    refetch.delete(alert.id);
    api<Detail>('GET', `/api/alerts/${alert.id}`)
      .then((d) => {
        if (destroyed) return;
        const r = { ...reached(d), people: personReach(d) };
        details.set(alert.id, r);
        const card = cards.get(alert.id);
        if (!card) return;
        fill(card.el, card.alert);
        // Again while anything is on its way, or a call placed has no result yet (providers report later).
        // (Any row still pending: a person already reached by SMS may still be waiting for their call.)
        const onItsWay = d.notifications.some((n) => n.status === 'pending');
        const awaiting = d.notifications.some((n) => n.medium === 'call' && n.status === 'sent' && !n.callResult);
        if (onItsWay || (awaiting && card.alert.status === 'open'))
          refetch.set(
            alert.id,
            setTimeout(() => cards.has(alert.id) && loadDetail(card.alert), 3000),
          );
      })
      .catch(() => {});
  }

  function buttons(a: Alert): HTMLElement {
    // A press not yet on the server's disk is not an alert yet: nothing to acknowledge, only to know.
    if (a.receipt === 'recording') return h('p', { class: 'receipt' }, icon('sync', 'spin'), t('alarms.recording'));
    if (a.receipt === 'unrecorded')
      return h('p', { class: 'receipt not-reached', role: 'alert' }, t('alarms.unrecorded'));
    const wrap = h('div', { class: 'actions' });
    const disabled = busy.has(a.id);
    const button = (action: 'ack' | 'claim' | 'arrived' | 'resolve', word: WordKey, primary = false) =>
      h(
        'button',
        {
          type: 'button',
          class: primary ? 'primary' : '',
          disabled,
          'data-action': action,
          onclick: () => void act(a, action),
        },
        t(word),
      );
    if (a.kind === 'emergency') {
      if (a.status === 'open') wrap.append(button('ack', 'act.ack', true));
      else if (a.arrivedAt === null) wrap.append(button('arrived', 'act.arrived', true));
      wrap.append(button('resolve', 'act.resolve'));
    } else if (a.kind === 'service') {
      if (a.status === 'open') wrap.append(button('claim', 'act.claim', true));
      wrap.append(button('resolve', 'act.complete'));
    } else {
      wrap.append(button('resolve', 'act.close'));
    }
    return wrap;
  }

  function fill(card: HTMLElement, a: Alert): void {
    // Redrawing must not throw away the keyboard focus: put it back on the same control.
    const active = card.contains(document.activeElement) ? (document.activeElement as HTMLElement) : null;
    const focusKey = active?.dataset.action ?? (active?.classList.contains('alarm-who') ? 'who' : null);
    const who = a.household ? `${a.household.name}` : `#${a.householdId}`;
    const where = a.household ? address(a.household) : '';
    const status: Array<HTMLElement | null> = [
      a.acknowledgedBy
        ? h(
            'span',
            { class: 'who' },
            t(a.kind === 'service' ? 'alarms.claimedBy' : 'alarms.ackBy', { who: a.acknowledgedBy }),
          )
        : null,
      a.arrivedBy ? h('span', { class: 'who' }, t('alarms.arrivedBy', { who: a.arrivedBy })) : null,
    ];
    const names = details.get(a.id);
    replace(
      card,
      h(
        'div',
        { class: 'alarm-head' },
        icon(KIND_ICON[a.kind]),
        h('a', { href: `#/household/${a.householdId}`, class: 'alarm-who' }, who),
        h('span', { class: 'alarm-where' }, where),
      ),
      h(
        'div',
        { class: 'alarm-meta' },
        h(
          'span',
          { class: 'since', 'data-since': a.openedAt },
          t('alarms.since', { d: duration(Date.now() - Date.parse(a.openedAt)) }),
        ),
        (a.kind === 'emergency' && a.receipt === undefined) || a.kind === 'missed_checkin'
          ? h('span', { class: 'level' }, t('alarms.level', { n: a.level }))
          : null,
        // Whom it reached and how, person by person (王芳：短信已发 · 电话未接听), in words.
        ...(names?.people ?? []).map((p) =>
          h(
            'span',
            {
              class: `reach-person ${p.items.some((i) => i.ok === true) ? 'notified' : p.items.some((i) => i.ok === null) ? 'notifying' : 'not-reached'}`,
            },
            t('alarms.person', {
              who: p.name,
              how: p.items
                .map((i) => (i.ok === false && i.detail ? `${t(i.word)}（${i.detail}）` : t(i.word)))
                .join(' · '),
            }),
          ),
        ),
        // Said once: an emergency that reached nobody says so (and why, when known) in place of "nobody was notified".
        a.kind === 'emergency' && a.reach === 'unreached'
          ? h(
              'span',
              { class: 'not-reached unreached' },
              icon('red'),
              // A group robot may have posted: then it is the phones that nobody answered for.
              names && names.sent.length > 0
                ? t('alarms.noPhone')
                : names && names.problems.length > 0
                  ? `${t('alarms.unreached')}（${names.problems.join('；')}）`
                  : t('alarms.unreached'),
            )
          : names && names.sent.length === 0 && names.problems.length > 0
            ? h('span', { class: 'not-reached' }, t('alarms.notSent', { why: names.problems.join('；') }))
            : null,
        ...status,
        a.reason ? h('span', { class: 'reason' }, t('alarms.reason', { r: reasonText(a.reason) })) : null,
      ),
      buttons(a),
    );
    card.className = `alarm alarm-${a.kind} status-${a.status}${a.receipt ? ` receipt-${a.receipt}` : ''}`;
    card.dataset.alertId = String(a.id);
    card.dataset.hid = String(a.householdId);
    card.dataset.status = a.status;
    if (focusKey !== null) {
      const again =
        focusKey === 'who'
          ? card.querySelector<HTMLElement>('.alarm-who')
          : card.querySelector<HTMLElement>(`[data-action="${focusKey}"]`);
      (again ?? card.querySelector<HTMLElement>('button, a'))?.focus();
    }
  }

  function render(): void {
    // Held (hold-still.ts): no card moves under the person using the list.
    const hold = still.held();
    const restore = still.keepInPlace();
    const byKind = new Map<AlertKind, Alert[]>(SECTIONS.map((k) => [k, []]));
    for (const a of store.alerts.values()) byKind.get(a.kind)?.push(a);
    const alive = new Set<number>();
    for (const kind of SECTIONS) {
      // Waiting for someone first, then the oldest first: the longest wait is the most urgent.
      const items = (byKind.get(kind) ?? []).sort(
        (x, y) =>
          (x.status === 'open' ? 0 : 1) - (y.status === 'open' ? 0 : 1) ||
          Date.parse(x.openedAt) - Date.parse(y.openedAt),
      );
      const list = lists.get(kind) as HTMLElement;
      (counts.get(kind) as HTMLElement).textContent = `(${items.length})`;
      const ghosts = list.querySelectorAll(':scope > .alarm-gone').length;
      if (items.length === 0 && (!hold || ghosts === 0)) {
        replace(list, h('li', { class: 'none' }, t('alarms.none')));
        continue;
      }
      list.querySelector(':scope > .none')?.remove();
      let position = 0;
      for (const a of items) {
        alive.add(a.id);
        let card = cards.get(a.id);
        const fresh = card === undefined;
        if (!card) {
          card = { el: h('li'), alert: a, busy: false };
          cards.set(a.id, card);
          fill(card.el, a);
          loadDetail(a);
        } else if (card.alert !== a || card.busy !== busy.has(a.id)) {
          // Only a card whose alert changed is redrawn, so a focused button elsewhere keeps focus.
          if (card.alert.level !== a.level) loadDetail(a);
          card.alert = a;
          card.busy = busy.has(a.id);
          fill(card.el, a);
        }
        if (hold) {
          // Held: a card keeps its place; a new one takes the place of the receipt it replaces
          // (the same press, now on record), or goes to the end of its list.
          if (fresh) {
            const receipt = [...cards.values()].find(
              (c) => c.alert.id < 0 && c.alert.householdId === a.householdId && !store.alerts.has(c.alert.id),
            );
            if (receipt?.el.isConnected && receipt.el.parentElement === list) receipt.el.replaceWith(card.el);
            else list.append(card.el);
          }
          continue;
        }
        if (list.children[position] !== card.el) list.insertBefore(card.el, list.children[position] ?? null);
        position += 1;
      }
    }
    for (const [id, card] of cards) {
      if (alive.has(id)) continue;
      cards.delete(id);
      details.delete(id);
      if (hold && card.el.isConnected) leaveBlank(card.el, 'alarm-gone');
      else card.el.remove();
    }
    if (!hold) for (const g of el.querySelectorAll('.alarm-gone')) g.remove();
    restore();
  }

  render();
  const off = store.listen((change) => {
    if (change.alerts) render();
  });
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const span of el.querySelectorAll<HTMLElement>('[data-since]'))
      span.textContent = t('alarms.since', { d: duration(now - Date.parse(span.dataset.since ?? '')) });
  }, 1000);
  return {
    el,
    destroy() {
      destroyed = true;
      still.destroy();
      off();
      clearInterval(ticker);
      for (const timer of refetch.values()) clearTimeout(timer);
    },
  };
}
