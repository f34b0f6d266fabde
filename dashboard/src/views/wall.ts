import type { Household } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, icon, replace } from '../dom.js';
import { t } from '../i18n.js';
import { localDay, ribbonWord, STATUSES, statusLabel, statusOf, walkingOrder, type Status } from '../ribbon.js';
import { attentionStrip } from './attention-strip.js';
import { wallPager } from './wall-pager.js';
import { placeHash, placeTiles } from './place-tiles.js';
import type { LiveView } from '../../../protocol/live.js';

/**
 * The wall: on top, the attention strip (open emergencies, then unclaimed service requests,
 * oldest first: attention-strip.ts), then the counts, which also filter, then every household a
 * tile, grouped by compound and building, showing its state by colour, icon and word. The page
 * does not scroll: the tiles have a box of their own, in pages (wall-pager.ts), so the strip is
 * on screen whatever the number of households. Built once; after that only the tiles the store
 * names as changed (at most once per animation frame) are touched, so 10,000 households and a
 * storm of presses stay smooth. Buildings off screen are not laid out (`content-visibility: auto`).
 * A filter hides the buildings and compounds left with no tile (wall.css, `:has`).
 */
export const wallStats = { tileWrites: 0, rebuilds: 0 };

/**
 * The place a wall watches (protocol/live.ts, LiveView): `#/wall/<level>/<id>` names one; with
 * none, 'auto' — the district's place tiles where the compounds lie in more than one community,
 * else every household (a deployment that kept the default places sees the wall it always saw).
 */
export function wallWatch(params: readonly string[]): LiveView | 'auto' {
  const [level, id] = params;
  if (
    (level === 'district' || level === 'street' || level === 'community' || level === 'compound') &&
    /^[1-9][0-9]{0,14}$/.test(id ?? '')
  )
    return { level, id: Number(id) };
  return 'auto';
}

/** The short word on a tile: 红 / 黄 / 蓝, or the status. */
function tileWord(s: Status): string {
  return s === 'red' || s === 'yellow' || s === 'blue' ? ribbonWord(s) : statusLabel(s);
}

export function wallView(ctx: Ctx, params: readonly string[] = []): View {
  const { store } = ctx;
  ctx.watch(wallWatch(params));
  // The page does not scroll while the wall is shown (wall.css, body.on-wall).
  document.body.classList.add('on-wall');
  const places = placeTiles(store);
  type Tile = { el: HTMLAnchorElement; status: Status | null; place: string };
  const tiles = new Map<number, Tile>();
  /** Where a tile is laid out and what it says: a change of it lays the wall out again. */
  const placeOf = (hh: Household) => `${hh.compoundId}/${hh.building}/${hh.room}/${hh.name}`;
  const counts = new Map<Status, number>(STATUSES.map((s) => [s, 0]));
  const countEls = new Map<Status, HTMLElement>();
  let filter: Status | null = null;
  let today = localDay();

  const countBar = h('div', { class: 'counts', role: 'group', 'aria-label': t('wall.counts') });
  const total = h('span', { class: 'total' });
  const grid = h('div', { class: 'wall', id: 'wall', tabindex: 0, 'aria-label': t('wall.tiles') });
  const strip = attentionStrip(store);
  const pager = wallPager(grid);
  const noneShown = h('p', { class: 'empty filter-empty', id: 'wall-filter-empty', hidden: true });
  // A compound's wall says where it is, one tap up (from the snapshot's areas).
  const upLink = h('div', { class: 'crumbs', role: 'navigation', 'aria-label': t('places.path') });
  const householdsPart = h('div', { class: 'wall-households' }, upLink, countBar, noneShown, grid);
  const el = h(
    'section',
    { class: 'wall-view', 'aria-labelledby': 'wall-title' },
    h('h1', { id: 'wall-title', class: 'sr-only' }, t('wall.title')),
    strip.el,
    places.el,
    householdsPart,
  );

  /** Place tiles above the compound, household tiles at and below it. */
  function showPart(): void {
    const area = store.view !== null && store.view.level !== 'compound';
    places.el.hidden = !area;
    householdsPart.hidden = area;
    const community = [...store.areas.values()].find((a) => a.level === 'community');
    replace(
      upLink,
      ...(store.view?.level === 'compound' && community !== undefined
        ? [h('a', { href: placeHash('community', community.id) }, `‹ ${community.name}`)]
        : []),
    );
  }

  for (const s of STATUSES) {
    const n = h('b', null, '0');
    countEls.set(s, n);
    const chip = h(
      'button',
      { type: 'button', class: `chip s-${s}`, 'data-status': s, 'aria-pressed': 'false' },
      icon(s),
      h('span', null, statusLabel(s)),
      n,
    );
    chip.addEventListener('click', () => {
      filter = filter === s ? null : s;
      grid.dataset.filter = filter ?? '';
      for (const c of countBar.querySelectorAll('.chip'))
        c.setAttribute('aria-pressed', String((c as HTMLElement).dataset.status === filter));
      writeCounts();
      pager.first();
    });
    countBar.append(chip);
  }
  countBar.append(pager.el, total);

  function writeTile(hh: Household, tile: Tile): void {
    const status = statusOf(hh, store.alertsFor(hh.id), store.devicesFor(hh.id), today);
    if (status !== tile.status) {
      if (tile.status !== null) counts.set(tile.status, (counts.get(tile.status) ?? 0) - 1);
      counts.set(status, (counts.get(status) ?? 0) + 1);
      tile.status = status;
      tile.el.className = `tile s-${status}`;
      tile.el.dataset.status = status;
      (tile.el.firstChild as SVGSVGElement).firstElementChild?.setAttribute('href', `#i-${status}`);
      (tile.el.lastChild as HTMLElement).textContent = tileWord(status);
    }
    tile.el.setAttribute('aria-label', `${hh.building} ${hh.room} ${hh.name}：${statusLabel(status)}`);
    wallStats.tileWrites += 1;
  }

  function newTile(hh: Household): Tile {
    const a = h(
      'a',
      { class: 'tile', href: `#/household/${hh.id}`, 'data-hid': hh.id },
      icon('none'),
      h('span', { class: 'room' }, hh.room),
      h('span', { class: 'name' }, hh.name),
      h('span', { class: 'word' }),
    );
    const tile: Tile = { el: a, status: null, place: placeOf(hh) };
    writeTile(hh, tile);
    return tile;
  }

  function rebuild(): void {
    wallStats.rebuilds += 1;
    tiles.clear();
    for (const s of STATUSES) counts.set(s, 0);
    today = localDay();
    const sorted = [...store.households.values()].sort(walkingOrder);
    const frag = document.createDocumentFragment();
    let compound: HTMLElement | null = null;
    let building: HTMLElement | null = null;
    let compoundName = '';
    let buildingKey = '';
    for (const hh of sorted) {
      if (compound === null || hh.compound !== compoundName) {
        compoundName = hh.compound;
        buildingKey = '';
        compound = h('section', { class: 'compound' }, h('h2', null, hh.compound));
        frag.append(compound);
      }
      if (building === null || `${hh.compoundId}/${hh.building}` !== buildingKey) {
        buildingKey = `${hh.compoundId}/${hh.building}`;
        const list = h('div', { class: 'tiles' });
        building = h('section', { class: 'building' }, h('h3', null, hh.building), list);
        compound.append(building);
      }
      const tile = newTile(hh);
      tiles.set(hh.id, tile);
      (building.lastChild as HTMLElement).append(tile.el);
    }
    if (sorted.length === 0) frag.append(h('p', { class: 'empty' }, t('wall.empty')));
    replace(grid, frag);
    writeCounts();
    pager.update();
  }

  function writeCounts(): void {
    let n = 0;
    for (const [s, c] of counts) {
      n += c;
      const e = countEls.get(s);
      if (e && e.textContent !== String(c)) e.textContent = String(c);
      e?.parentElement?.classList.toggle('zero', c === 0);
    }
    total.textContent = `${n} ${t('wall.households')}`;
    // A filter that leaves nothing says so, instead of an empty box.
    const shown = filter === null ? n : (counts.get(filter) ?? 0);
    noneShown.hidden = filter === null || shown > 0 || n === 0;
    if (filter !== null) noneShown.textContent = t('wall.filterEmpty', { s: statusLabel(filter) });
    hideEmptyGroups();
  }

  /**
   * Under a filter, the buildings and compounds it leaves with no tile are hidden (looked up only
   * while a filter is on; a CSS `:has()` rule did it, at the price of a style check of every
   * building at each tile change: 46 dropped frames in 10 s at 100 reports/s on 10,000 tiles).
   */
  let filtered = false;
  function hideEmptyGroups(): void {
    if (filter === null && !filtered) return;
    filtered = filter !== null;
    for (const group of grid.querySelectorAll<HTMLElement>('.building, .compound')) {
      const empty = filter !== null && group.querySelector(`.tile.s-${filter}`) === null;
      if (group.classList.contains('empty-under-filter') !== empty) group.classList.toggle('empty-under-filter', empty);
    }
  }

  rebuild();
  strip.render();
  showPart();
  places.render(true);
  const off = store.listen((change) => {
    if (change.alerts || change.reset) strip.render();
    if (change.reset) {
      showPart();
      places.render(true);
      rebuild();
      return;
    }
    if (change.places) places.render(false);
    for (const id of change.households) {
      const hh = store.households.get(id);
      const tile = tiles.get(id);
      if (hh === undefined && tile === undefined) continue;
      if (hh === undefined || tile === undefined || tile.place !== placeOf(hh)) {
        // New, closed, or moved or renamed (the feed tells of any path, issue 15): lay out again.
        rebuild();
        return;
      }
      writeTile(hh, tile);
    }
    writeCounts();
  });
  // "Away until" ends at midnight: look again now and then.
  const dayTimer = setInterval(() => {
    if (localDay() !== today) rebuild();
  }, 60_000);

  return {
    el,
    destroy() {
      document.body.classList.remove('on-wall');
      off();
      clearInterval(dayTimer);
      strip.destroy();
      pager.destroy();
    },
  };
}
