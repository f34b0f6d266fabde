import type { Alert } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { duration, t } from '../i18n.js';
import type { Store } from '../store.js';

/**
 * The wall's attention strip (issue 14, point 4): pinned above the tiles, never scrolled away,
 * whatever the number of households. In order: emergencies nobody has acknowledged yet (red),
 * then service requests nobody has claimed (yellow), then emergencies someone is on the way to
 * (still red, with who): each group oldest first, since the longest wait is the most urgent.
 * Each item says the state in a word and an icon (not colour alone), the household's name, its
 * place (compound › building › room) and the time since the press, ticking.
 *
 * It holds at most two rows of items: with more than fit, the last slot says "+N more" and
 * links to the alarms page, so the oldest are always the ones in view (a strip that scrolls
 * inside itself could hide them). Redrawn at most once per frame (the store's flush), and only
 * when alerts changed.
 */
const ROWS = 2;
/** An item's narrowest width in rem (wall.css `.attention-list`): how many fit side by side. */
const ITEM_MIN_REM = 24;
const GAP_REM = 0.5;

type Group = 'red' | 'yellow' | 'going';

/** What the strip lists, in its order. */
export function attentionItems(alerts: Iterable<Alert>): Array<{ alert: Alert; group: Group }> {
  const groups: Record<Group, Alert[]> = { red: [], yellow: [], going: [] };
  for (const a of alerts) {
    if (a.status === 'resolved') continue;
    if (a.kind === 'emergency') groups[a.status === 'open' ? 'red' : 'going'].push(a);
    else if (a.kind === 'service' && a.status === 'open') groups.yellow.push(a);
  }
  const oldest = (x: Alert, y: Alert) => Date.parse(x.openedAt) - Date.parse(y.openedAt) || x.id - y.id;
  return (['red', 'yellow', 'going'] as const).flatMap((g) =>
    groups[g].sort(oldest).map((alert) => ({ alert, group: g })),
  );
}

export function attentionStrip(store: Store): { el: HTMLElement; render(): void; destroy(): void } {
  const count = h('span', { class: 'attention-count' });
  const list = h('ul', { class: 'attention-list', id: 'attention-list' });
  const el = h(
    'section',
    { class: 'attention', id: 'attention', 'aria-labelledby': 'attention-title' },
    h('h2', { id: 'attention-title', class: 'attention-title' }, t('wall.attention'), ' ', count),
    list,
  );
  let columns = 1;

  function place(a: Alert): string {
    const hh = a.household ?? store.households.get(a.householdId) ?? null;
    return hh ? [hh.compound, hh.building, hh.room].join(' › ') : `#${a.householdId}`;
  }

  function item(a: Alert, group: Group): HTMLElement {
    const hh = a.household ?? store.households.get(a.householdId) ?? null;
    const state = group === 'yellow' ? 'yellow' : 'red';
    const word = group === 'red' ? t('wall.att.red') : group === 'yellow' ? t('wall.att.yellow') : t('wall.att.going');
    return h(
      'li',
      { class: `attention-item s-${state} att-${group}`, 'data-hid': a.householdId, 'data-alert-id': a.id },
      h(
        'a',
        { href: `#/household/${a.householdId}`, class: 'att-link' },
        h('span', { class: 'att-state' }, icon(state), h('span', { class: 'att-word' }, word)),
        h('span', { class: 'att-name' }, hh?.name ?? `#${a.householdId}`),
        h(
          'span',
          { class: 'att-since', 'data-since': a.openedAt },
          t('alarms.since', { d: duration(Date.now() - Date.parse(a.openedAt)) }),
        ),
        h('span', { class: 'att-place' }, place(a)),
      ),
    );
  }

  function measure(): number {
    const rem = Number.parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const width = list.clientWidth;
    return width === 0 ? columns : Math.max(1, Math.floor((width + GAP_REM * rem) / ((ITEM_MIN_REM + GAP_REM) * rem)));
  }

  /** What the list shows now; the same again is not redrawn (a storm of alerts off screen costs no layout). */
  let drawn = '';
  let measured = false;

  function render(): void {
    // The width is read once and then on a resize (reading it forces a layout every frame).
    if (!measured) {
      columns = measure();
      measured = true;
    }
    list.dataset.columns = String(columns);
    const items = attentionItems(store.alerts.values());
    const reds = items.filter((i) => i.group !== 'yellow').length;
    const counted = t('wall.attCount', { red: reds, yellow: items.length - reds });
    if (count.textContent !== counted) count.textContent = counted;
    el.classList.toggle('is-calm', items.length === 0);
    const capacity = columns * ROWS;
    const shown = items.length <= capacity ? items : items.slice(0, capacity - 1);
    const rest = items.length - shown.length;
    const signature = `${columns}|${rest}|${shown.map((i) => `${i.alert.id}:${i.group}:${i.alert.household?.name ?? ''}`).join(',')}`;
    if (signature === drawn) return;
    drawn = signature;
    if (items.length === 0) {
      replace(list, h('li', { class: 'attention-none' }, icon('blue'), t('wall.attNone')));
      return;
    }
    replace(
      list,
      ...shown.map((i) => item(i.alert, i.group)),
      rest > 0
        ? h(
            'li',
            { class: 'attention-more' },
            h('a', { href: '#/alarms', id: 'attention-more' }, t('wall.attMore', { n: rest })),
          )
        : null,
    );
  }

  const ticker = setInterval(() => {
    const now = Date.now();
    for (const span of list.querySelectorAll<HTMLElement>('[data-since]'))
      span.textContent = t('alarms.since', { d: duration(now - Date.parse(span.dataset.since ?? '')) });
  }, 1000);
  // The number of columns follows the strip's width (a window resized, a wall rotated).
  const resized = new ResizeObserver(() => {
    const now = measure();
    if (now === columns) return;
    columns = now;
    render();
  });
  resized.observe(list);
  return {
    el,
    render,
    destroy() {
      clearInterval(ticker);
      resized.disconnect();
    },
  };
}
