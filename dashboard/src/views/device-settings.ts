import { api } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { ta } from '../i18n-admin.js';
import { td } from '../i18n-device-settings.js';
import { clearErrors, failure, field, loadPlaces, notFor, type Places, showErrors, table } from './admin-kit.js';

/**
 * 设备设置 Device settings (GET/PUT/DELETE /api/device-settings; docs/api.md "Device settings",
 * docs/rules.md): a button's heartbeat interval and offline grace per compound, model, both or
 * default. Staff set their own compounds' rows; an admin also the model-wide and default rows.
 * Minutes on screen, seconds on the wire. Apart from 设备 (the inventory): settings, not devices.
 */
type Row = {
  compoundId: number | null;
  compoundName: string | null;
  model: string | null;
  heartbeatSec: number | null;
  graceSec: number | null;
  updatedBy: string;
  editable: boolean;
};
type Listing = { items: Row[]; builtIn: { heartbeatSec: number; graceSec: number } };

const minutes = (sec: number | null): string => (sec === null ? td('ds.inherit') : td('ds.minutes', { n: sec / 60 }));

export function deviceSettingsView(ctx: Ctx): View {
  const refused = notFor(['staff', 'admin'], ctx.user.role, 'device-settings-view');
  if (refused) return refused;
  const admin = ctx.user.role === 'admin';
  let seq = 0;
  const status = h('p', { class: 'fig-status', id: 'device-settings-status', role: 'status' });
  const intro = h('p', { class: 'adm-note', id: 'device-settings-intro' });
  const list = h('div', { id: 'device-settings-list' });
  const formBox = h('div', { id: 'device-settings-form-box' });
  const el = h(
    'section',
    { class: 'adm-view', id: 'device-settings-view', 'aria-labelledby': 'device-settings-title' },
    h('h1', { id: 'device-settings-title' }, td('ds.title')),
    intro,
    h('p', { class: 'adm-note' }, td('ds.when')),
    admin ? null : h('p', { class: 'adm-note', id: 'device-settings-staff' }, td('ds.staffNote')),
    status,
    list,
    formBox,
  );

  const scopeName = (r: Row) => `${r.compoundName ?? td('ds.allCompounds')} · ${r.model ?? td('ds.allModels')}`;

  async function load(): Promise<void> {
    const mine = ++seq;
    status.textContent = ta('adm.loading');
    try {
      const [listing, places] = await Promise.all([api<Listing>('GET', '/api/device-settings'), loadPlaces()]);
      if (mine !== seq) return;
      status.textContent = '';
      intro.textContent = td('ds.intro', {
        hb: listing.builtIn.heartbeatSec / 60,
        g: listing.builtIn.graceSec / 60,
      });
      renderList(listing.items);
      if (formBox.childElementCount === 0) renderForm(places);
    } catch (err) {
      if (mine === seq) status.textContent = failure(err);
    }
  }

  function renderList(rows: readonly Row[]): void {
    const heads = [
      td('ds.compound'),
      td('ds.model'),
      td('ds.heartbeat'),
      td('ds.grace'),
      td('ds.by'),
      ta('adm.actions'),
    ];
    replace(
      list,
      rows.length === 0
        ? h('p', null, ta('adm.none'))
        : table(
            'device-settings-table',
            heads,
            rows.map((r) => {
              const remove = h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  'aria-label': ta('adm.about', { w: td('ds.remove'), x: scopeName(r) }),
                },
                td('ds.remove'),
              );
              remove.addEventListener('click', () => void removeRow(r, remove));
              return h(
                'tr',
                { 'data-scope': `${r.compoundId ?? ''}/${r.model ?? ''}` },
                h('th', { scope: 'row' }, r.compoundName ?? td('ds.allCompounds')),
                h('td', null, r.model ?? td('ds.allModels')),
                h('td', null, minutes(r.heartbeatSec)),
                h('td', null, minutes(r.graceSec)),
                h('td', null, r.updatedBy),
                h('td', null, r.editable ? remove : ta('adm.readOnly')),
              );
            }),
          ),
    );
  }

  async function removeRow(r: Row, button: HTMLButtonElement): Promise<void> {
    if (!window.confirm(td('ds.confirmRemove', { n: scopeName(r) }))) return;
    button.disabled = true;
    const q = new URLSearchParams();
    if (r.compoundId !== null) q.set('compoundId', String(r.compoundId));
    if (r.model !== null) q.set('model', r.model);
    try {
      await api('DELETE', `/api/device-settings?${q.toString()}`);
      ctx.toast(td('ds.removed'));
      await load();
    } catch (err) {
      button.disabled = false;
      ctx.toast(failure(err), 'error');
    }
  }

  function renderForm(places: Places): void {
    const compounds = places.compounds.filter((c) => admin || c.editable !== false);
    const compound = h(
      'select',
      null,
      admin ? h('option', { value: '' }, td('ds.allCompounds')) : null,
      ...compounds.map((c) => h('option', { value: c.id }, c.name)),
    );
    const model = h('input', { maxlength: 32, autocomplete: 'off', spellcheck: 'false' });
    const number = (max: number) => h('input', { type: 'number', min: 1, max, step: 'any', inputmode: 'decimal' });
    const heartbeat = number(1440);
    const grace = number(60);
    const inputs = { compoundId: compound, model, heartbeatSec: heartbeat, graceSec: grace };
    const error = h('p', { class: 'form-error', role: 'alert', id: 'ds-error' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'ds-submit' }, td('ds.save'));
    const form = h(
      'form',
      // The server's bounds and words decide (Chinese first), not the browser's own bubble.
      { class: 'adm-form card', id: 'device-settings-form', 'aria-labelledby': 'ds-form-title', novalidate: true },
      h('h2', { id: 'ds-form-title' }, td('ds.setTitle')),
      field('ds-compound', td('ds.compound'), compound),
      field('ds-model', `${td('ds.model')}${ta('adm.optional')}`, model, td('ds.modelHint')),
      field('ds-heartbeat', td('ds.heartbeat'), heartbeat, td('ds.hbHint')),
      field('ds-grace', td('ds.grace'), grace, td('ds.graceHint')),
      error,
      h('div', { class: 'adm-buttons' }, submit),
    );
    const seconds = (input: HTMLInputElement) =>
      input.value.trim() === '' ? null : Math.round(Number(input.value) * 60);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(Object.values(inputs), error);
      submit.disabled = true;
      const body = {
        compoundId: compound.value === '' ? null : Number(compound.value),
        model: model.value.trim() === '' ? null : model.value.trim(),
        heartbeatSec: seconds(heartbeat),
        graceSec: seconds(grace),
      };
      api<{ devicesTold: number }>('PUT', '/api/device-settings', body)
        .then(async (saved) => {
          submit.disabled = false;
          ctx.toast(td('ds.saved', { n: saved.devicesTold }));
          await load();
        })
        .catch((err: unknown) => {
          submit.disabled = false;
          showErrors(err, inputs, error);
        });
    });
    replace(formBox, form);
  }

  void load();
  return { el, destroy: () => void ++seq };
}
