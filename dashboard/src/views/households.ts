import { api } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { st, type StaffWordKey } from '../i18n-staff.js';
import { householdEditView } from './household-edit.js';
import { householdForm } from './household-form.js';
import {
  addressOf,
  canEdit,
  type Compound,
  errorText,
  forbidden,
  type HouseholdRow,
  isStaff,
  loadCompounds,
  scrollTable,
} from './staff-helper.js';

/**
 * 住户 Households (#/households, issue 15): the households of a compound, by building, found by
 * name or room, open or closed; a link to register one (#/households/new) and to manage each
 * (#/households/:id/edit: its details, its devices, closing it). Staff and admins only.
 */
export function householdsView(ctx: Ctx, params: readonly string[]): View {
  if (!isStaff(ctx.user)) return { el: forbidden('households-view'), destroy() {} };
  if (params[0] === 'new') return newHouseholdView(ctx);
  const id = Number(params[0]);
  if (params[0] !== undefined && Number.isInteger(id) && id > 0) return householdEditView(ctx, id);
  return listView(ctx);
}

type Filter = { compoundId: string; buildingId: string; q: string; closed: 'false' | 'true' | 'all' };
/** The filter stays while one goes to a household and back. */
const remembered: Filter = { compoundId: '', buildingId: '', q: '', closed: 'false' };

function listView(ctx: Ctx): View {
  let seq = 0;
  let compounds: Compound[] = [];
  let next: string | null = null;
  const compound = h('select', { id: 'hl-compound' });
  const building = h('select', { id: 'hl-building' });
  const q = h('input', { id: 'hl-q', type: 'search', value: remembered.q, maxlength: 100 });
  const closed = h(
    'select',
    { id: 'hl-closed' },
    ...(
      [
        ['false', 'hl.openOnly'],
        ['true', 'hl.closedOnly'],
        ['all', 'hl.all'],
      ] as const
    ).map(([v, w]) => h('option', { value: v, selected: remembered.closed === v }, st(w))),
  );
  const status = h('p', { class: 'fig-status', id: 'hl-status', role: 'status' });
  const body = h('div', { id: 'hl-body' });
  const more = h('button', { type: 'button', id: 'hl-more', hidden: true }, st('hl.more'));
  const newLink = h('a', { class: 'staff-button', href: '#/households/new', id: 'hl-new', hidden: true }, st('hl.new'));
  const form = h(
    'form',
    { class: 'staff-filters', role: 'search', id: 'hl-filters' },
    h('label', { class: 'fig-field' }, st('hl.compound'), ' ', compound),
    h('label', { class: 'fig-field' }, st('hl.building'), ' ', building),
    h('label', { class: 'fig-field' }, st('hl.q'), ' ', q),
    h('label', { class: 'fig-field' }, st('hl.show'), ' ', closed),
    h('button', { type: 'submit' }, st('m.search')),
  );
  const el = h(
    'section',
    { class: 'staff-view', id: 'households-view', 'aria-labelledby': 'hl-title' },
    h('div', { class: 'staff-head' }, h('h1', { id: 'hl-title' }, st('hl.title')), newLink),
    form,
    status,
    body,
    more,
  );

  const fillBuildings = () => {
    const c = compounds.find((x) => String(x.id) === compound.value);
    replace(
      building,
      h('option', { value: '' }, st('hl.allBuildings')),
      ...(c?.buildings ?? []).map((b) =>
        h('option', { value: b.id, selected: String(b.id) === remembered.buildingId }, b.name),
      ),
    );
  };
  compound.addEventListener('change', () => {
    remembered.compoundId = compound.value;
    remembered.buildingId = '';
    fillBuildings();
    void load(false);
  });
  for (const input of [building, closed]) input.addEventListener('change', () => void load(false));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load(false);
  });
  more.addEventListener('click', () => void load(true));

  /** Only the filters set are sent: a server before issue 15 knows `compoundId` alone. */
  function query(cursor: string | null): string {
    remembered.buildingId = building.value;
    remembered.q = q.value.trim();
    remembered.closed = closed.value as Filter['closed'];
    const p = new URLSearchParams();
    if (compound.value) p.set('compoundId', compound.value);
    if (remembered.buildingId) p.set('buildingId', remembered.buildingId);
    if (remembered.q) p.set('q', remembered.q);
    if (remembered.closed !== 'false') p.set('closed', remembered.closed);
    p.set('limit', '100');
    if (cursor) p.set('cursor', cursor);
    return p.toString();
  }

  async function start(): Promise<void> {
    status.textContent = st('m.loading');
    try {
      compounds = await loadCompounds();
    } catch (err) {
      status.textContent = errorText(err);
      return;
    }
    if (!compounds.some((c) => String(c.id) === remembered.compoundId)) remembered.compoundId = '';
    remembered.compoundId ||= String(compounds[0]?.id ?? '');
    replace(
      compound,
      ...compounds.map((c) => h('option', { value: c.id, selected: String(c.id) === remembered.compoundId }, c.name)),
    );
    fillBuildings();
    newLink.hidden = !compounds.some((c) => canEdit(ctx.user, c.id));
    await load(false);
  }

  async function load(append: boolean): Promise<void> {
    const mine = ++seq;
    status.textContent = st('m.loading');
    try {
      const r = await api<{ items: HouseholdRow[]; next: string | null }>(
        'GET',
        `/api/households?${query(append ? next : null)}`,
      );
      if (mine !== seq) return;
      next = r.next;
      more.hidden = next === null;
      status.textContent = '';
      const rows = r.items.map(row);
      if (append) body.querySelector('tbody')?.append(...rows);
      else
        replace(
          body,
          r.items.length === 0
            ? h('p', { id: 'hl-empty' }, st('hl.empty'))
            : scrollTable(
                'hl-table',
                [st('hl.name'), st('hl.address'), st('hl.state'), st('hl.devices'), st('hl.edit')],
                rows,
              ),
        );
    } catch (err) {
      if (mine !== seq) return;
      status.textContent = errorText(err);
      more.hidden = true;
    }
  }

  void start();
  return { el, destroy: () => void ++seq };
}

function row(x: HouseholdRow): HTMLElement {
  const closed = x.closed ?? null;
  return h(
    'tr',
    { 'data-household': x.id, 'data-closed': String(closed !== null) },
    h('th', { scope: 'row' }, x.name),
    h('td', null, addressOf(x)),
    h(
      'td',
      { class: closed ? 'staff-closed' : '' },
      closed ? `${st('hl.closed')} · ${st(`hc.${closed.reason}` as StaffWordKey)} · ${closed.on}` : st('hl.open'),
    ),
    h('td', null, x.devices ? String(x.devices.length) : '—'),
    h('td', null, h('a', { href: `#/households/${x.id}/edit` }, st('hl.edit'))),
  );
}

function newHouseholdView(ctx: Ctx): View {
  let alive = true;
  const el = h(
    'section',
    { class: 'staff-view', id: 'household-new', 'aria-labelledby': 'hf-title' },
    h('p', null, h('a', { href: '#/households' }, st('m.back'))),
    h('h1', { id: 'hf-title' }, st('hf.newTitle')),
  );
  const status = h('p', { class: 'fig-status', role: 'status' }, st('m.loading'));
  el.append(status);
  loadCompounds().then(
    (compounds) => {
      if (!alive) return;
      status.remove();
      el.append(
        householdForm({
          compounds: compounds.filter((c) => canEdit(ctx.user, c.id)),
          allowNewCompound: ctx.user.role === 'admin',
          onSaved: (saved) => {
            ctx.toast(st('hf.created', { id: saved.id }));
            ctx.navigate(`#/households/${saved.id}/edit`);
          },
        }),
      );
    },
    (err: unknown) => {
      if (alive) status.textContent = errorText(err);
    },
  );
  return { el, destroy: () => void (alive = false) };
}
