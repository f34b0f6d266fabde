import type { Household } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, icon, replace } from '../dom.js';
import { clock, t, type WordKey } from '../i18n.js';
import type { Pending } from '../outbox.js';
import { localDay, ribbonWord, statusLabel, statusOf, walkingOrder } from '../ribbon.js';
import { discard, onOutbox, record, syncNow, waitingKeys } from '../sync.js';
import { serverText } from '../server-text.js';

/**
 * Patrol, on a phone: the households of a building in walking order, and one tap records the
 * ribbon seen in the window (or none). Taps go to the outbox (IndexedDB) first, so they survive
 * no network and a closed tab; the bar on top says what still waits to sync.
 */
const BUILDING_KEY = 'ribbon.patrol.building';
const SEEN: Array<{ seen: Pending['seen']; word: WordKey; icon: string }> = [
  { seen: 'red', word: 'state.red', icon: 'red' },
  { seen: 'yellow', word: 'state.yellow', icon: 'yellow' },
  { seen: 'blue', word: 'state.blue', icon: 'blue' },
  { seen: 'none', word: 'patrol.noRibbon', icon: 'none' },
];

export function patrolView(ctx: Ctx): View {
  const { store } = ctx;
  let building = readBuilding();
  let waiting: Pending[] = [];
  const rows = new Map<number, HTMLElement>();
  /** Rows just tapped: their buttons rest a moment, so a double tap is one report, not two. */
  const resting = new Set<number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const select = h('select', { id: 'patrol-building' });
  const bar = h('div', { class: 'sync-bar', role: 'status', id: 'sync-bar' });
  // What waits, one line each, is under the households, not above them: a tap that queues a
  // report must not push the row the next tap is aimed at (issue 14, point 5).
  const detail = h('div', { class: 'sync-detail', id: 'sync-detail' });
  const list = h('div', { id: 'patrol-list' });
  const el = h(
    'section',
    { class: 'patrol-view', 'aria-labelledby': 'patrol-title' },
    h('h1', { id: 'patrol-title' }, t('patrol.title')),
    bar,
    h('label', { for: 'patrol-building', class: 'inline' }, t('patrol.building'), select),
    list,
    detail,
  );

  function readBuilding(): string {
    try {
      return localStorage.getItem(BUILDING_KEY) ?? '';
    } catch {
      return '';
    }
  }

  select.addEventListener('change', () => {
    building = select.value;
    try {
      localStorage.setItem(BUILDING_KEY, building);
    } catch {
      // Remembered for this page only.
    }
    renderList();
  });

  function renderBuildings(): void {
    const names = new Map<string, string>();
    for (const hh of [...store.households.values()].sort(walkingOrder))
      names.set(String(hh.buildingId), `${hh.compound} ${hh.building}`);
    if (building !== '' && !names.has(building)) building = '';
    replace(
      select,
      h('option', { value: '' }, t('patrol.all')),
      ...[...names].map(([id, name]) => h('option', { value: id }, name)),
    );
    select.value = building;
  }

  function row(hh: Household): HTMLElement {
    const status = statusOf(hh, store.alertsFor(hh.id), store.devicesFor(hh.id), localDay());
    const mine = waiting.filter((p) => p.householdId === hh.id);
    const li = h(
      'li',
      { class: 'patrol-row', 'data-hid': hh.id },
      h(
        'div',
        { class: 'patrol-who' },
        h('span', { class: 'room' }, hh.room),
        h('span', { class: 'name' }, hh.name),
        h('span', { class: `now s-${status}` }, icon(status), statusLabel(status)),
        mine.length > 0
          ? h('span', { class: 'pending-mark' }, icon('sync'), t('patrol.pending', { n: mine.length }))
          : null,
      ),
      h(
        'div',
        { class: 'seen-buttons', role: 'group', 'aria-label': `${hh.room} ${hh.name}：${t('patrol.seen')}` },
        ...SEEN.map((s) =>
          h(
            'button',
            {
              type: 'button',
              class: `seen seen-${s.seen}`,
              'data-seen': s.seen,
              disabled: resting.has(hh.id),
              onclick: () => void tap(hh, s.seen),
            },
            icon(s.icon),
            h('span', null, t(s.word)),
          ),
        ),
      ),
    );
    return li;
  }

  async function tap(hh: Household, seen: Pending['seen']): Promise<void> {
    if (resting.has(hh.id)) return;
    resting.add(hh.id);
    redraw(hh.id);
    const who = `${hh.room} ${hh.name}`;
    try {
      const item = await record(hh.id, seen);
      await syncNow();
      if (!(await waitingKeys()).has(item.key)) {
        ctx.toast(t('patrol.recorded', { h: who, s: ribbonWord(seen) }));
      } else if (seen === 'red') {
        // Kept on the phone, but nobody has been told: the volunteer must know that at once.
        ctx.toast(t('patrol.redNotSent', { h: who }), 'error');
      } else {
        ctx.toast(t('patrol.queued', { h: who, s: ribbonWord(seen) }));
      }
    } catch (err) {
      ctx.toast(t('error.generic', { m: String(err) }), 'error');
    } finally {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resting.delete(hh.id);
        redraw(hh.id);
      }, 1500);
      timers.add(timer);
    }
  }

  /** One list per building, each under its name, in walking order. */
  function renderList(): void {
    rows.clear();
    const shown = [...store.households.values()]
      .filter((hh) => building === '' || String(hh.buildingId) === building)
      .sort(walkingOrder);
    const frag = document.createDocumentFragment();
    let current: HTMLElement | null = null;
    let currentId = -1;
    for (const hh of shown) {
      if (current === null || hh.buildingId !== currentId) {
        currentId = hh.buildingId;
        current = h('ol', { class: 'patrol-list' });
        frag.append(
          h(
            'section',
            { class: 'patrol-building', 'aria-label': `${hh.compound} ${hh.building}` },
            h('h2', null, `${hh.compound} ${hh.building}`),
            current,
          ),
        );
      }
      const r = row(hh);
      rows.set(hh.id, r);
      current.append(r);
    }
    replace(list, frag);
  }

  function renderBar(syncing: boolean): void {
    const open = waiting.filter((p) => !p.refused);
    const refused = waiting.filter((p) => p.refused);
    bar.dataset.pending = String(open.length);
    bar.className = `sync-bar ${open.length > 0 ? 'has-pending' : 'synced'}${navigator.onLine ? '' : ' offline'}`;
    replace(
      bar,
      h(
        'p',
        { class: 'sync-state' },
        icon('sync', syncing ? 'spin' : ''),
        open.length > 0 ? t('patrol.pending', { n: open.length }) : t('patrol.allSynced'),
      ),
      navigator.onLine ? null : h('p', { class: 'offline-note' }, t('patrol.offline')),
      // Always there, only invisible with nothing waiting: the bar keeps its height whatever waits.
      h(
        'button',
        {
          type: 'button',
          class: open.length > 0 ? 'sync-now' : 'sync-now is-idle',
          disabled: open.length === 0,
          'aria-hidden': open.length === 0 ? 'true' : null,
          tabindex: open.length === 0 ? -1 : null,
          onclick: () => void syncNow(),
        },
        t('patrol.syncNow'),
      ),
    );
    replace(
      detail,
      open.length > 0
        ? h(
            'ul',
            { class: 'pending-list' },
            ...open.map((p) => {
              const hh = store.households.get(p.householdId);
              return h(
                'li',
                null,
                `${clock(p.at)} · ${hh ? `${hh.room} ${hh.name}` : `#${p.householdId}`} · ${ribbonWord(p.seen)}`,
                p.lastError
                  ? h('span', { class: 'warn' }, ` — ${t('patrol.failed', { m: serverText(p.lastError) })}`)
                  : null,
              );
            }),
          )
        : null,
      ...refused.map((p) =>
        h(
          'p',
          { class: 'form-error' },
          `${clock(p.at)} #${p.householdId} ${ribbonWord(p.seen)}: ${p.lastError === null ? '' : serverText(p.lastError)} `,
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              'aria-label': t('patrol.discardLabel', { h: `#${p.householdId}`, s: ribbonWord(p.seen) }),
              onclick: () => void discard(p.key),
            },
            t('patrol.discard'),
          ),
        ),
      ),
    );
  }

  /** Redraws one row, keeping the keyboard focus on the same button. */
  function redraw(id: number): void {
    const hh = store.households.get(id);
    const old = rows.get(id);
    if (!hh && old) {
      // Closed (issue 15): off the patrol list.
      old.remove();
      rows.delete(id);
    }
    if (!hh || !old) return;
    const focused = old.contains(document.activeElement)
      ? (document.activeElement as HTMLElement).dataset.seen
      : undefined;
    const fresh = row(hh);
    old.replaceWith(fresh);
    rows.set(id, fresh);
    if (focused) fresh.querySelector<HTMLElement>(`[data-seen="${focused}"]`)?.focus();
  }

  renderBuildings();
  renderList();
  const perHousehold = (items: readonly Pending[]) => {
    const n = new Map<number, number>();
    for (const p of items) n.set(p.householdId, (n.get(p.householdId) ?? 0) + 1);
    return n;
  };
  const offOutbox = onOutbox((items, syncing) => {
    const before = perHousehold(waiting);
    const after = perHousehold(items);
    waiting = items;
    renderBar(syncing);
    // Only rows whose "waiting" mark changed are redrawn.
    for (const id of new Set([...before.keys(), ...after.keys()])) if (before.get(id) !== after.get(id)) redraw(id);
  });
  const onNet = () => renderBar(false);
  window.addEventListener('online', onNet);
  window.addEventListener('offline', onNet);
  const off = store.listen((change) => {
    if (change.reset) {
      renderBuildings();
      renderList();
      return;
    }
    for (const id of change.households) redraw(id);
  });
  return {
    el,
    destroy() {
      off();
      offOutbox();
      for (const timer of timers) clearTimeout(timer);
      window.removeEventListener('online', onNet);
      window.removeEventListener('offline', onNet);
    },
  };
}
