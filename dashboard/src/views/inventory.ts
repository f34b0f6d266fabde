import { api } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, icon, replace } from '../dom.js';
import { clock } from '../i18n.js';
import { st } from '../i18n-staff.js';
import { addressOf, errorText, forbidden, isStaff, loadCompounds, scrollTable } from './staff-helper.js';

/**
 * 设备清单 Device inventory (#/inventory, issue 16): every device in use of the user's compounds
 * with its model and firmware (as its heartbeats report them), last seen, battery, connection,
 * household and address (GET /api/devices, which filters and sorts on the server: compound,
 * model, offline, low battery; by id or by last seen). A page of 200, then "load more".
 */
type Item = {
  id: string;
  householdId: number;
  online: boolean;
  battery: number | null;
  lastSeenAt: string | null;
  model: string | null;
  firmware: string | null;
  household?: { name: string; compound: string; building: string; room: string };
};

const LOW = 20;

export function inventoryView(ctx: Ctx): View {
  if (!isStaff(ctx.user)) return { el: forbidden('inventory-view'), destroy() {} };
  let alive = true;
  let seq = 0;
  let next: string | null = null;
  const compound = h('select', { id: 'iv-compound' }, h('option', { value: '' }, st('iv.allCompounds')));
  const model = h('select', { id: 'iv-model' }, h('option', { value: '' }, st('iv.allModels')));
  const connection = h(
    'select',
    { id: 'iv-connection' },
    h('option', { value: '' }, st('iv.any')),
    h('option', { value: 'false' }, st('dv.offline')),
    h('option', { value: 'true' }, st('dv.online')),
  );
  const low = h('input', { type: 'checkbox', id: 'iv-low' });
  const sort = h(
    'select',
    { id: 'iv-sort' },
    h('option', { value: 'id' }, st('iv.sort.id')),
    h('option', { value: 'lastSeen' }, st('iv.sort.lastSeen')),
    h('option', { value: '-lastSeen' }, st('iv.sort.recent')),
  );
  const status = h('p', { class: 'fig-status', id: 'iv-status', role: 'status' });
  const body = h('tbody', { id: 'iv-rows' });
  const more = h('button', { type: 'button', id: 'iv-more', hidden: true }, st('hl.more'));
  const table = scrollTable(
    'iv-table',
    [
      st('dv.id'),
      st('iv.model'),
      st('iv.firmware'),
      st('dv.lastSeen'),
      st('iv.batteryCol'),
      st('iv.connection'),
      st('dv.household'),
      st('hl.address'),
    ],
    [],
  );
  table.querySelector('tbody')?.replaceWith(body);
  const filters = h(
    'div',
    { class: 'staff-grid card', id: 'iv-filters' },
    h('label', { class: 'staff-field' }, st('hl.compound'), compound),
    h('label', { class: 'staff-field' }, st('iv.model'), model),
    h('label', { class: 'staff-field' }, st('iv.connection'), connection),
    h('label', { class: 'staff-field' }, st('iv.sort'), sort),
    h('label', { class: 'staff-check' }, low, ' ', st('iv.low')),
  );
  const el = h(
    'section',
    { class: 'staff-view', id: 'inventory-view', 'aria-labelledby': 'iv-title' },
    h('h1', { id: 'iv-title' }, st('iv.title')),
    filters,
    status,
    table,
    more,
  );

  const query = (cursor: string | null) => {
    const q = new URLSearchParams({ limit: '200', sort: sort.value });
    if (compound.value !== '') q.set('compoundId', compound.value);
    if (model.value !== '') q.set('model', model.value);
    if (connection.value !== '') q.set('online', connection.value);
    if (low.checked) q.set('lowBattery', 'true');
    if (cursor !== null) q.set('cursor', cursor);
    return `/api/devices?${q}`;
  };
  const load = async (append: boolean) => {
    const mine = ++seq;
    status.textContent = st('m.loading');
    try {
      const page = await api<{ items: Item[]; next: string | null }>('GET', query(append ? next : null));
      if (!alive || mine !== seq) return;
      next = page.next;
      more.hidden = next === null;
      if (append) body.append(...page.items.map(row));
      else replace(body, ...page.items.map(row));
      status.textContent = body.children.length === 0 ? st('iv.empty') : '';
    } catch (err) {
      if (alive && mine === seq) status.textContent = errorText(err);
    }
  };
  for (const input of [compound, model, connection, sort, low])
    input.addEventListener('change', () => void load(false));
  more.addEventListener('click', () => void load(true));

  Promise.all([loadCompounds(), api<{ items: string[] }>('GET', '/api/devices/models')]).then(
    ([compounds, models]) => {
      if (!alive) return;
      compound.append(...compounds.map((c) => h('option', { value: c.id }, c.name)));
      model.append(...models.items.map((m) => h('option', { value: m }, m)));
    },
    (err: unknown) => {
      if (alive) status.textContent = errorText(err);
    },
  );
  void load(false);
  return { el, destroy: () => void (alive = false) };

  function row(d: Item): HTMLElement {
    const isLow = d.battery !== null && d.battery < LOW;
    return h(
      'tr',
      { 'data-device': d.id, class: d.online ? '' : 'iv-offline' },
      h('th', { scope: 'row' }, h('code', null, d.id)),
      h('td', { class: 'iv-model' }, d.model ?? '—'),
      h('td', null, d.firmware ?? '—'),
      h('td', { class: 'iv-seen' }, d.lastSeenAt === null ? st('iv.never') : clock(d.lastSeenAt)),
      h(
        'td',
        { class: isLow ? 'iv-low dv-off' : '' },
        isLow ? icon('fault', 'iv-icon') : null,
        d.battery === null ? '—' : `${d.battery}%`,
      ),
      // By word and icon, not colour alone.
      h(
        'td',
        { class: d.online ? 'dv-on' : 'dv-off' },
        d.online ? null : icon('offline', 'iv-icon'),
        d.online ? st('dv.online') : st('dv.offline'),
      ),
      h('td', null, h('a', { href: `#/devices/${d.householdId}` }, d.household?.name ?? `#${d.householdId}`)),
      h('td', null, d.household ? addressOf(d.household) : '—'),
    );
  }
}
