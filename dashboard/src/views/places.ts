import { api, ApiError } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { clock, lang, t, type WordKey } from '../i18n.js';
import { localDay } from '../ribbon.js';

/**
 * Figures by place (GET /api/figures/places, docs/api.md): the user's top place or the one in
 * the route (`#/places/<level>/<id>`), its figures, and a table of the places under it with a
 * link to each; at a compound, its households. A CSV of the place and everything under it.
 * Plain tables: a street official reads them at a desk, and prints them.
 */
type Level = 'district' | 'street' | 'community' | 'compound';
type Share = { count: number; of: number; pct: number | null };
type Kinds = { emergency: number; service: number; missed_checkin: number; device: number };
type Figures = {
  households: number;
  coverage: Share;
  heard: Share;
  devices: number;
  devicesOffline: number;
  openAlerts: Kinds;
  missedCheckins: number;
  emergency: { opened: number; ackWithin60s: Share; ackWithin180s: Share; arrivedWithin45min: Share };
};
type Place = { level: Level; id: number; name: string; compounds: number; figures: Figures };
type Household = {
  id: number;
  name: string;
  room: string;
  building: string;
  state: 'red' | 'yellow' | 'blue' | null;
  lastHeardAt: string | null;
  device: 'online' | 'offline' | 'none';
  openAlerts: Array<keyof Kinds>;
};
type Result = {
  day: string;
  place: Place;
  path: Array<{ level: Level; id: number; name: string }>;
  children: Place[];
  households: Household[] | null;
};

const LEVELS: readonly Level[] = ['district', 'street', 'community', 'compound'];

/** The day chosen stays while one drills down. */
let chosenDay: string | null = null;

const pct = (v: number | null) =>
  v === null ? '—' : `${v.toLocaleString(lang(), { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;
const shareText = (s: Share) => (s.of === 0 ? '—' : t('pl.share', { pct: pct(s.pct), count: s.count, of: s.of }));
const levelWord = (l: Level) => t(`pl.level.${l}` as WordKey);
const href = (p: { level: Level; id: number }) => `#/places/${p.level}/${p.id}`;

/** The columns of the table, each a heading and a cell from a place's figures. */
const COLUMNS: ReadonlyArray<readonly [WordKey, (f: Figures) => string]> = [
  ['pl.households', (f) => String(f.households)],
  ['pl.coverage', (f) => shareText(f.coverage)],
  ['pl.heard', (f) => shareText(f.heard)],
  ['pl.offline', (f) => String(f.devicesOffline)],
  [
    'pl.open',
    (f) =>
      t('pl.openLine', {
        e: f.openAlerts.emergency,
        s: f.openAlerts.service,
        m: f.openAlerts.missed_checkin,
        d: f.openAlerts.device,
      }),
  ],
  ['pl.missed', (f) => String(f.missedCheckins)],
  ['pl.red', (f) => String(f.emergency.opened)],
  ['pl.ack60', (f) => shareText(f.emergency.ackWithin60s)],
  ['pl.ack180', (f) => shareText(f.emergency.ackWithin180s)],
  ['pl.arrived45', (f) => shareText(f.emergency.arrivedWithin45min)],
];

export function placesView(_ctx: Ctx, params: readonly string[]): View {
  const today = localDay();
  const level = LEVELS.find((l) => l === params[0]) ?? null;
  const id = level === null ? null : Number(params[1]);
  const place = level !== null && id !== null && Number.isInteger(id) && id > 0 ? { level, id } : null;
  let seq = 0;

  const dayInput = h('input', {
    id: 'places-day',
    type: 'date',
    value: chosenDay ?? today,
    max: today,
    required: true,
  });
  const csv = h('a', { id: 'places-csv', download: '' }, t('pl.csv'));
  const status = h('p', { class: 'fig-status', id: 'places-status', role: 'status' });
  const body = h('div', { id: 'places-body' });
  const el = h(
    'section',
    { class: 'places-view', id: 'places-view', 'aria-labelledby': 'places-title' },
    h('h1', { id: 'places-title' }, t('pl.title')),
    h(
      'div',
      { class: 'fig-controls' },
      h('span', { class: 'fig-field' }, h('label', { for: 'places-day' }, t('pl.day')), ' ', dayInput),
      csv,
    ),
    status,
    body,
  );

  function query(): string {
    const q = new URLSearchParams();
    if (place !== null) {
      q.set('level', place.level);
      q.set('id', String(place.id));
    }
    q.set('day', chosenDay ?? today);
    return q.toString();
  }

  dayInput.addEventListener('change', () => {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(dayInput.value) || dayInput.value > today) return;
    chosenDay = dayInput.value === today ? null : dayInput.value;
    void load();
  });

  async function load(): Promise<void> {
    const mine = ++seq;
    csv.setAttribute('href', `/api/figures/places.csv?${query()}`);
    status.textContent = t('hh.loading');
    try {
      const r = await api<Result>('GET', `/api/figures/places?${query()}`);
      if (mine !== seq) return;
      status.textContent = '';
      render(r);
    } catch (err) {
      if (mine !== seq) return;
      const m =
        err instanceof ApiError && err.offline ? t('error.offline') : String(err instanceof Error ? err.message : err);
      status.textContent = t('hh.loadFailed', { m });
      replace(body);
    }
  }

  function render(r: Result): void {
    const crumbs = h(
      'nav',
      { class: 'pl-path', 'aria-label': t('pl.path') },
      ...r.path.flatMap((p) => [h('a', { href: href(p) }, p.name), ' › ']),
      h('strong', { 'aria-current': 'page' }, r.place.name),
    );
    replace(
      body,
      crumbs,
      h('h2', { id: 'places-name' }, `${r.place.name} `, h('small', null, levelWord(r.place.level))),
      table([r.place], 'places-total', false),
      r.children.length > 0 ? h('h3', null, t('pl.children')) : null,
      r.children.length > 0 ? table(r.children, 'places-children', true) : null,
      r.households === null ? null : households(r.households),
      r.children.length === 0 && r.households === null ? h('p', null, t('pl.none')) : null,
    );
  }

  void load();
  return { el, destroy: () => void ++seq };
}

function table(places: readonly Place[], id: string, links: boolean): HTMLElement {
  return h(
    'div',
    { class: 'pl-scroll' },
    h(
      'table',
      { class: 'pl-table', id },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, t('pl.place')),
          ...COLUMNS.map(([w]) => h('th', { scope: 'col' }, t(w))),
        ),
      ),
      h(
        'tbody',
        null,
        ...places.map((p) =>
          h(
            'tr',
            { 'data-level': p.level, 'data-id': p.id },
            h(
              'th',
              { scope: 'row' },
              links ? h('a', { href: href(p) }, p.name) : p.name,
              ' ',
              h('small', null, levelWord(p.level)),
            ),
            ...COLUMNS.map(([, cell]) => h('td', null, cell(p.figures))),
          ),
        ),
      ),
    ),
  );
}

function households(list: readonly Household[]): HTMLElement {
  const kind = (k: keyof Kinds) => t(`hh.kind.${k}` as WordKey);
  return h(
    'section',
    { 'aria-labelledby': 'places-hh-title' },
    h('h3', { id: 'places-hh-title' }, t('pl.hhList')),
    h(
      'div',
      { class: 'pl-scroll' },
      h(
        'table',
        { class: 'pl-table', id: 'places-households' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ...(['pl.hh', 'pl.hhState', 'pl.hhHeard', 'pl.hhDevice', 'pl.open'] as const).map((w) =>
              h('th', { scope: 'col' }, t(w)),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          ...list.map((x) =>
            h(
              'tr',
              { 'data-household': x.id },
              h('th', { scope: 'row' }, h('a', { href: `#/household/${x.id}` }, x.name), ` ${x.building} ${x.room}`),
              h(
                'td',
                { class: 'pl-state', 'data-state': x.state ?? 'none' },
                x.state ? t(`state.${x.state}.long`) : '—',
              ),
              h('td', null, clock(x.lastHeardAt)),
              h('td', { class: `pl-dev-${x.device}` }, t(`pl.dev.${x.device}`)),
              h('td', null, x.openAlerts.map(kind).join('、') || '—'),
            ),
          ),
        ),
      ),
    ),
  );
}
