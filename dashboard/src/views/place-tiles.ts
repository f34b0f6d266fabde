import type { AreaJson, CompoundCountsJson, LiveView } from '../../../protocol/live.js';
import { h, icon, replace } from '../dom.js';
import { t, type WordKey } from '../i18n.js';
import type { Store } from '../store.js';

/**
 * The wall above the compound (issue 14): instead of thousands of household tiles, a tile per
 * community (a district's wall, grouped by street) or per compound (a street's, grouped by
 * community; a community's), each with its counts from the live feed's area view (protocol/live.ts,
 * CompoundCountsJson) and coloured by its worst open state — told apart by icon and word as well
 * as colour. A tile leads one level down; a compound's tile to its household tiles. Built once per
 * snapshot; after that a tile is written only when its counts changed.
 */

/** A tile's totals: its compounds' counts added up. */
export type PlaceTotals = Omit<CompoundCountsJson, 'compoundId' | 'name' | 'communityId'>;

const ZERO: PlaceTotals = {
  households: 0,
  red: 0,
  yellow: 0,
  blue: 0,
  none: 0,
  emergencies: 0,
  unacknowledged: 0,
  service: 0,
  missed: 0,
  offline: 0,
};

export function addUp(counts: Iterable<PlaceTotals>): PlaceTotals {
  const sum = { ...ZERO };
  for (const c of counts) for (const k of Object.keys(ZERO) as Array<keyof PlaceTotals>) sum[k] += c[k];
  return sum;
}

/**
 * The worst open state of a place: an emergency, a service request, a missed check-in, a device
 * offline; else all well if anyone has said so, or nothing heard yet.
 */
export type PlaceState = 'red' | 'yellow' | 'missed' | 'offline' | 'blue' | 'none';
export function worstOf(c: PlaceTotals): PlaceState {
  if (c.emergencies > 0) return 'red';
  if (c.service > 0) return 'yellow';
  if (c.missed > 0) return 'missed';
  if (c.offline > 0) return 'offline';
  return c.blue > 0 ? 'blue' : 'none';
}

/** The route of a place's wall. */
export const placeHash = (level: LiveView['level'], id: number) => `#/wall/${level}/${id}`;

type Tile = { key: string; el: HTMLAnchorElement; compounds: number[]; sig: string };

export function placeTiles(store: Store): { el: HTMLElement; render(reset: boolean): void } {
  const crumbs = h('div', { class: 'crumbs', role: 'navigation', 'aria-label': t('places.path') });
  const groups = h('div', { class: 'place-groups', id: 'place-tiles' });
  const el = h('section', { class: 'places', 'aria-label': t('places.title') }, crumbs, groups);
  let tiles: Tile[] = [];

  function pathTo(id: number | null): AreaJson[] {
    const path: AreaJson[] = [];
    for (
      let a = id === null ? undefined : store.areas.get(id);
      a !== undefined;
      a = a.parentId === null ? undefined : store.areas.get(a.parentId)
    )
      path.unshift(a);
    return path;
  }

  function build(): void {
    const view = store.view;
    if (view === null || view.level === 'compound') return;
    replace(
      crumbs,
      ...pathTo(view.id).flatMap((a, i, all) =>
        i === all.length - 1
          ? [h('span', { 'aria-current': 'page' }, a.name)]
          : [h('a', { href: placeHash(a.level, a.id) }, a.name), h('span', { 'aria-hidden': 'true' }, ' › ')],
      ),
    );
    const compounds = [...store.compounds.values()];
    // District: a tile per community, grouped by street; street and community: a tile per compound, grouped by community.
    const perCommunity = view.level === 'district';
    const groupOf = (c: CompoundCountsJson): AreaJson | undefined => {
      const community = store.areas.get(c.communityId);
      return perCommunity && community?.parentId != null ? store.areas.get(community.parentId) : community;
    };
    const byGroup = new Map<
      number,
      {
        area: AreaJson | undefined;
        tiles: Map<string, { name: string; href: string; order: number; compounds: number[] }>;
      }
    >();
    for (const c of compounds) {
      const area = groupOf(c);
      const g = byGroup.get(area?.id ?? 0) ?? { area, tiles: new Map() };
      byGroup.set(area?.id ?? 0, g);
      const community = store.areas.get(c.communityId);
      const [key, name, href] = perCommunity
        ? [`a${c.communityId}`, community?.name ?? '', placeHash('community', c.communityId)]
        : [`c${c.compoundId}`, c.name, placeHash('compound', c.compoundId)];
      const tile = g.tiles.get(key) ?? {
        name,
        href,
        order: perCommunity ? c.communityId : c.compoundId,
        compounds: [],
      };
      tile.compounds.push(c.compoundId);
      g.tiles.set(key, tile);
    }
    tiles = [];
    const sections: HTMLElement[] = [];
    // In the order they were set up (一 before 二, which a sort by pinyin would not keep).
    for (const g of [...byGroup.values()].sort((a, b) => (a.area?.id ?? 0) - (b.area?.id ?? 0))) {
      const list = h('div', { class: 'place-tiles' });
      for (const [key, spec] of [...g.tiles].sort((a, b) => a[1].order - b[1].order)) {
        const a = h('a', { class: 'place-tile', href: spec.href, 'data-place': key });
        tiles.push({ key, el: a, compounds: spec.compounds, sig: '' });
        list.append(a);
      }
      sections.push(
        h('section', { class: 'place-group' }, h('h2', null, g.area === undefined ? '' : g.area.name), list),
      );
    }
    if (sections.length === 0) sections.push(h('p', { class: 'empty' }, t('places.empty')));
    replace(groups, ...sections);
  }

  function write(tile: Tile, name: string): void {
    const sum = addUp(tile.compounds.map((id) => store.compounds.get(id)).filter((c) => c !== undefined));
    const state = worstOf(sum);
    const sig = `${state}|${Object.values(sum).join(',')}`;
    if (sig === tile.sig) return;
    tile.sig = sig;
    tile.el.className = `place-tile s-${state}`;
    tile.el.dataset.status = state;
    const line = (word: string, n: number, cls: string) =>
      n > 0 ? h('span', { class: `place-count ${cls}` }, `${word} ${n}`) : null;
    replace(
      tile.el,
      h('span', { class: 'place-name' }, name),
      h('span', { class: 'place-state' }, icon(state), h('span', null, t(`places.state.${state}` as WordKey))),
      h(
        'span',
        { class: 'place-counts' },
        line(t('places.emergencies'), sum.emergencies, 'n-red'),
        sum.unacknowledged > 0
          ? h('span', { class: 'place-count n-red' }, t('places.unacknowledged', { n: sum.unacknowledged }))
          : null,
        line(t('places.service'), sum.service, 'n-yellow'),
        line(t('places.missed'), sum.missed, 'n-missed'),
        line(t('places.offline'), sum.offline, 'n-offline'),
        line(t('places.blue'), sum.blue, 'n-blue'),
        line(t('places.none'), sum.none, 'n-none'),
        h('span', { class: 'place-count' }, t('places.households', { n: sum.households })),
      ),
    );
    tile.el.setAttribute(
      'aria-label',
      `${name}：${t(`places.state.${state}` as WordKey)}，${t('places.households', { n: sum.households })}`,
    );
  }

  return {
    el,
    render(reset: boolean) {
      if (reset) build();
      for (const tile of tiles) {
        const first = store.compounds.get(tile.compounds[0] ?? 0);
        const name = tile.key.startsWith('a')
          ? (store.areas.get(first?.communityId ?? 0)?.name ?? '')
          : (first?.name ?? '');
        write(tile, name);
      }
    },
  };
}
