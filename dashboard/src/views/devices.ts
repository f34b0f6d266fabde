import { api } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { clock } from '../i18n.js';
import { st } from '../i18n-staff.js';
import { secretCard, type Provisioned } from './device-secret.js';
import {
  addressOf,
  canEdit,
  type DeviceRow,
  errorText,
  forbidden,
  type HouseholdRow,
  isStaff,
  loadCompounds,
  scrollTable,
} from './staff-helper.js';

/**
 * 设备 Devices (issue 15). A household's devices with their status, and what staff do to them:
 * add one (the secret shown once, as text and as the installer's QR code, with a label to print),
 * give one a new secret (shown the same way), retire one (after a confirm), move one to another
 * household found by name or room. On the household's manage page, and at #/devices/:householdId
 * (#/devices: find the household first).
 */
export function devicesView(ctx: Ctx, params: readonly string[]): View {
  if (!isStaff(ctx.user)) return { el: forbidden('devices-view'), destroy() {} };
  let alive = true;
  const id = Number(params[0]);
  const status = h('p', { class: 'fig-status', id: 'dv-status', role: 'status' });
  const body = h('div', { id: 'dv-body' });
  const el = h(
    'section',
    { class: 'staff-view', id: 'devices-view', 'aria-labelledby': 'dv-title' },
    h('h1', { id: 'dv-title' }, st('dv.title')),
    status,
    body,
  );
  if (Number.isInteger(id) && id > 0) {
    status.textContent = st('m.loading');
    api<HouseholdRow>('GET', `/api/households/${id}`).then(
      (x) => {
        if (!alive) return;
        status.textContent = '';
        replace(
          body,
          h('p', null, h('a', { href: `#/households/${x.id}/edit` }, `${x.name} · ${addressOf(x)}`)),
          devicePanel(ctx, x, { editable: canEdit(ctx.user, x.compoundId) && !x.closed }),
        );
      },
      (err: unknown) => {
        if (alive) status.textContent = errorText(err);
      },
    );
  } else
    replace(
      body,
      householdPicker('dv-pick', st('dv.pick'), (x) => ctx.navigate(`#/devices/${x.id}`)),
      compoundDevices(() => alive),
    );
  return { el, destroy: () => void (alive = false) };
}

/**
 * Every device of a compound with its household and status (GET /api/devices?compoundId=, and
 * the compound's households for their names); a row leads to its household's devices.
 */
function compoundDevices(alive: () => boolean): HTMLElement {
  const select = h('select', { id: 'dv-compound' });
  const note = h('p', { class: 'fig-status', role: 'status' }, st('m.loading'));
  const table = h('div', { id: 'dv-all' });
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    note.textContent = st('m.loading');
    try {
      const q = `compoundId=${encodeURIComponent(select.value)}&limit=1000`;
      const [devices, households] = await Promise.all([
        api<{ items: DeviceRow[] }>('GET', `/api/devices?${q}`),
        api<{ items: HouseholdRow[] }>('GET', `/api/households?${q}`),
      ]);
      if (!alive() || mine !== seq) return;
      const byId = new Map(households.items.map((x) => [x.id, x]));
      note.textContent = devices.items.length === 0 ? st('dv.none') : '';
      replace(
        table,
        devices.items.length === 0
          ? null
          : scrollTable(
              'dv-all-table',
              [st('dv.id'), st('dv.household'), st('dv.status'), st('dv.lastSeen')],
              devices.items.map((d) => {
                const x = byId.get(d.householdId);
                return h(
                  'tr',
                  { 'data-device': d.id },
                  h('th', { scope: 'row' }, h('code', null, d.id)),
                  h(
                    'td',
                    null,
                    h(
                      'a',
                      { href: `#/devices/${d.householdId}` },
                      x ? `${x.name} · ${addressOf(x)}` : `#${d.householdId}`,
                    ),
                  ),
                  h('td', { class: d.online ? 'dv-on' : 'dv-off' }, statusText(d)),
                  h('td', null, clock(d.lastSeenAt)),
                );
              }),
            ),
      );
    } catch (err) {
      if (alive() && mine === seq) {
        note.textContent = errorText(err);
        replace(table);
      }
    }
  };
  select.addEventListener('change', () => void load());
  loadCompounds().then(
    (compounds) => {
      if (!alive()) return;
      replace(select, ...compounds.map((c) => h('option', { value: c.id }, c.name)));
      if (compounds.length > 0) void load();
      else note.textContent = st('hl.empty');
    },
    (err: unknown) => {
      if (alive()) note.textContent = errorText(err);
    },
  );
  return h(
    'section',
    { 'aria-labelledby': 'dv-all-title' },
    h('h2', { id: 'dv-all-title' }, st('dv.compound')),
    h('label', { class: 'fig-field' }, st('hl.compound'), ' ', select),
    note,
    table,
  );
}

function statusText(d: DeviceRow): string {
  if (d.retiredAt) return st('dv.retired');
  const state = d.online ? st('dv.online') : st('dv.offline');
  return d.battery !== null ? `${state} · ${st('dv.battery', { n: d.battery })}` : state;
}

/** Find an open household by name or room (GET /api/households?q=) and pick it. */
export function householdPicker(
  id: string,
  label: string,
  onPick: (x: HouseholdRow) => void,
  exceptId: number | null = null,
): HTMLElement {
  let seq = 0;
  const q = h('input', { type: 'search', id: `${id}-q`, maxlength: 100, placeholder: st('dv.pickHint') });
  const go = h('button', { type: 'submit' }, st('m.search'));
  const results = h('ul', { class: 'staff-picks', id: `${id}-results` });
  const note = h('p', { class: 'fig-status', role: 'status' });
  const form = h(
    'form',
    { class: 'staff-picker', role: 'search', id },
    h('label', { for: `${id}-q` }, label),
    h('div', { class: 'staff-row' }, q, go),
    note,
    results,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const mine = ++seq;
    const text = q.value.trim();
    note.textContent = st('m.loading');
    api<{ items: HouseholdRow[] }>(
      'GET',
      `/api/households?limit=20${text ? `&q=${encodeURIComponent(text)}` : ''}`,
    ).then(
      (r) => {
        if (mine !== seq) return;
        const items = r.items.filter((x) => x.id !== exceptId && !x.closed);
        note.textContent = items.length === 0 ? st('hl.empty') : '';
        replace(
          results,
          ...items.map((x) => {
            const b = h(
              'button',
              { type: 'button', class: 'link', 'data-household': x.id },
              `${x.name} · ${addressOf(x)}`,
            );
            b.addEventListener('click', () => onPick(x));
            return h('li', null, b);
          }),
        );
      },
      (err: unknown) => {
        if (mine === seq) note.textContent = errorText(err);
      },
    );
  });
  return form;
}

/** The devices of one household, with what may be done to each. */
export function devicePanel(ctx: Ctx, x: HouseholdRow, opts: { editable: boolean }): HTMLElement {
  let devices: DeviceRow[] = (x.devices ?? []).filter((d) => !d.retiredAt);
  const slot = h('div', { id: 'dv-secret-slot' });
  const list = h('div', { id: 'dv-list' });
  const error = h('p', { class: 'form-error', role: 'alert', id: 'dv-error' });
  const add = h('button', { type: 'button', class: 'primary', id: 'dv-add' }, st('dv.add'));
  const el = h(
    'section',
    { class: 'staff-devices card', id: 'dv-panel', 'aria-labelledby': 'dv-panel-title' },
    h('h2', { id: 'dv-panel-title' }, st('dv.of', { name: x.name })),
    list,
    error,
    opts.editable ? add : null,
    slot,
  );

  const show = (answer: Provisioned) =>
    replace(
      slot,
      secretCard(answer, x, () => replace(slot)),
    );

  async function refresh(): Promise<void> {
    try {
      const fresh = await api<HouseholdRow>('GET', `/api/households/${x.id}`);
      devices = (fresh.devices ?? []).filter((d) => !d.retiredAt);
      render();
    } catch (err) {
      error.textContent = errorText(err);
    }
  }

  const act = (button: HTMLButtonElement, work: () => Promise<void>) => {
    button.disabled = true;
    error.textContent = '';
    work().then(
      () => void refresh(),
      (err: unknown) => {
        button.disabled = false;
        error.textContent = errorText(err);
      },
    );
  };

  add.addEventListener('click', () =>
    act(add, async () => {
      show(await api<Provisioned>('POST', '/api/devices', { householdId: x.id }));
      add.disabled = false;
    }),
  );

  function render(): void {
    replace(
      list,
      devices.length === 0
        ? h('p', { id: 'dv-none' }, st('dv.none'))
        : scrollTable(
            'dv-table',
            [st('dv.id'), st('dv.status'), st('dv.lastSeen'), ...(opts.editable ? [st('dv.actions')] : [])],
            devices.map(row),
          ),
    );
  }

  function row(d: DeviceRow): HTMLElement {
    const rotate = h('button', { type: 'button', class: 'dv-rotate' }, st('dv.rotate'));
    const retire = h('button', { type: 'button', class: 'dv-retire danger' }, st('dv.retire'));
    const move = h('button', { type: 'button', class: 'dv-move' }, st('dv.move'));
    const extra = h('div', { class: 'dv-extra' });
    rotate.addEventListener('click', () =>
      act(rotate, async () => {
        show(await api<Provisioned>('POST', `/api/devices/${encodeURIComponent(d.id)}/rotate`));
      }),
    );
    retire.addEventListener('click', () => {
      if (!window.confirm(st('dv.retireConfirm', { id: d.id }))) return;
      act(retire, async () => {
        await api('DELETE', `/api/devices/${encodeURIComponent(d.id)}`);
        ctx.toast(st('dv.retired.done', { id: d.id }));
      });
    });
    move.addEventListener('click', () => {
      replace(
        extra,
        householdPicker(
          `dv-move-${d.id}`,
          st('dv.moveTo'),
          (to) =>
            act(move, async () => {
              await api('PATCH', `/api/devices/${encodeURIComponent(d.id)}`, { householdId: to.id });
              ctx.toast(st('dv.moved', { id: d.id, name: to.name }));
            }),
          x.id,
        ),
      );
      extra.querySelector('input')?.focus();
    });
    return h(
      'tr',
      { 'data-device': d.id },
      h('th', { scope: 'row' }, h('code', null, d.id)),
      h('td', { class: d.online ? 'dv-on' : 'dv-off' }, statusText(d)),
      h('td', null, clock(d.lastSeenAt)),
      opts.editable ? h('td', { class: 'dv-actions' }, rotate, retire, move, extra) : null,
    );
  }

  render();
  return el;
}
