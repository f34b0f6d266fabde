import { api } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { st, type StaffWordKey } from '../i18n-staff.js';
import { devicePanel } from './devices.js';
import { householdForm } from './household-form.js';
import {
  addressOf,
  canEdit,
  CLOSE_REASONS,
  errorText,
  field,
  type HouseholdRow,
  loadCompounds,
  markFields,
  today,
} from './staff-helper.js';

/**
 * One household's manage page (#/households/:id/edit, issue 15): its details (the form), its
 * devices (devices.ts), and closing it — a reason, a date and a note, then a confirm step that
 * says its devices are retired (POST /api/households/:id/close). A closed household says when and
 * why; an admin may reopen one closed by mistake.
 */
export function householdEditView(ctx: Ctx, id: number): View {
  let seq = 0;
  const status = h('p', { class: 'fig-status', id: 'he-status', role: 'status' }, st('m.loading'));
  const body = h('div', { id: 'he-body' });
  const el = h(
    'section',
    { class: 'staff-view', id: 'household-edit', 'aria-labelledby': 'he-title' },
    h('p', null, h('a', { href: '#/households' }, st('m.back'))),
    h('h1', { id: 'he-title' }, st('hf.editTitle')),
    status,
    body,
  );

  async function load(): Promise<void> {
    const mine = ++seq;
    try {
      const [x, compounds] = await Promise.all([api<HouseholdRow>('GET', `/api/households/${id}`), loadCompounds()]);
      if (mine !== seq) return;
      status.textContent = '';
      render(x, compounds);
    } catch (err) {
      if (mine === seq) status.textContent = errorText(err);
    }
  }

  function render(x: HouseholdRow, compounds: Awaited<ReturnType<typeof loadCompounds>>): void {
    const editable = canEdit(ctx.user, x.compoundId);
    const closed = x.closed ?? null;
    replace(
      body,
      h('p', { class: 'staff-who', id: 'he-name' }, h('strong', null, x.name), ` #${x.id} · ${addressOf(x)}`),
      editable ? null : h('p', { class: 'staff-note', id: 'he-read-only' }, st('m.readOnly')),
      closed
        ? h(
            'p',
            { class: 'staff-closed-line', id: 'he-closed' },
            st('hc.closedLine', { on: closed.on, reason: st(`hc.${closed.reason}` as StaffWordKey) }),
            closed.note ? ` · ${closed.note}` : '',
            ctx.user.role === 'admin' ? ' ' : null,
            ctx.user.role === 'admin' ? reopenButton(x) : null,
          )
        : null,
      householdForm({
        compounds,
        allowNewCompound: false,
        household: x,
        readOnly: !editable || closed !== null,
        onSaved: (saved) => {
          ctx.toast(st('m.saved'));
          const c = compounds.find((c) => c.id === saved.compoundId);
          // A new building was made by the move: the next render's list has it.
          if (c && !c.buildings.some((b) => b.name === saved.building)) void load();
          else render({ ...x, ...saved }, compounds);
        },
      }),
      devicePanel(ctx, x, { editable: editable && closed === null }),
      editable && closed === null ? closeForm(x) : null,
      personalData(x),
    );
  }

  /** Issue 15, point 5: everything stored about it as a file; a closed one's personal data removed (admin). */
  function personalData(x: HouseholdRow): HTMLElement {
    const anonymise = h('button', { type: 'button', class: 'danger', id: 'pd-anonymise' }, st('pd.anonymise'));
    anonymise.addEventListener('click', () => {
      if (!window.confirm(st('pd.confirm', { name: x.name }))) return;
      anonymise.disabled = true;
      api('POST', `/api/households/${x.id}/anonymise`).then(
        () => {
          ctx.toast(st('pd.done'));
          void load();
        },
        (err: unknown) => {
          anonymise.disabled = false;
          ctx.toast(errorText(err), 'error');
        },
      );
    });
    return h(
      'section',
      { class: 'staff-form card', id: 'pd-section', 'aria-labelledby': 'pd-title' },
      h('h2', { id: 'pd-title' }, st('pd.title')),
      x.anonymised ? h('p', { id: 'pd-anonymised' }, st('pd.anonymised')) : null,
      h(
        'p',
        null,
        h('a', { href: `/api/households/${x.id}/personal-data`, download: '', id: 'pd-export' }, st('pd.export')),
      ),
      ctx.user.role === 'admin' && x.closed !== null && !x.anonymised ? anonymise : null,
    );
  }

  function reopenButton(x: HouseholdRow): HTMLButtonElement {
    const button = h('button', { type: 'button', id: 'he-reopen' }, st('hc.reopen'));
    button.addEventListener('click', () => {
      button.disabled = true;
      api('POST', `/api/households/${x.id}/reopen`).then(
        () => {
          ctx.toast(st('hc.reopened'));
          void load();
        },
        (err: unknown) => {
          button.disabled = false;
          ctx.toast(errorText(err), 'error');
        },
      );
    });
    return button;
  }

  function closeForm(x: HouseholdRow): HTMLElement {
    const reason = h(
      'select',
      { required: true },
      ...CLOSE_REASONS.map((r) => h('option', { value: r }, st(`hc.${r}` as StaffWordKey))),
    );
    const on = h('input', { type: 'date', required: true, value: today(), max: today() });
    const note = h('input', { maxlength: 500 });
    const error = h('p', { class: 'form-error', role: 'alert', id: 'hc-error' });
    const start = h('button', { type: 'submit', class: 'danger', id: 'hc-start' }, st('hc.start'));
    const confirm = h('div', { class: 'staff-confirm', id: 'hc-confirm', role: 'alertdialog', hidden: true });
    const inputs = { reason, on, note };
    const form = h(
      'form',
      { class: 'staff-form card staff-danger', id: 'hc-form', 'aria-labelledby': 'hc-title' },
      h('h2', { id: 'hc-title' }, st('hc.title')),
      h('p', { class: 'staff-hint' }, st('hc.about')),
      h(
        'div',
        { class: 'staff-grid' },
        field('hc-reason', st('hc.reason'), reason),
        field('hc-on', st('hc.on'), on),
        field('hc-note', st('hc.note'), note),
      ),
      error,
      start,
      confirm,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const devices = x.devices?.filter((d) => !d.retiredAt).length ?? 0;
      const yes = h('button', { type: 'button', class: 'danger', id: 'hc-yes' }, st('hc.yes'));
      const no = h('button', { type: 'button', id: 'hc-no' }, st('m.cancel'));
      replace(
        confirm,
        h('p', { id: 'hc-confirm-text' }, st('hc.confirm', { name: x.name, address: addressOf(x), n: devices })),
        yes,
        ' ',
        no,
      );
      confirm.setAttribute('aria-labelledby', 'hc-confirm-text');
      confirm.hidden = false;
      start.hidden = true;
      no.addEventListener('click', () => {
        confirm.hidden = true;
        start.hidden = false;
        start.focus();
      });
      yes.addEventListener('click', () => {
        yes.disabled = true;
        const body = { reason: reason.value, on: on.value, ...(note.value.trim() ? { note: note.value.trim() } : {}) };
        api<HouseholdRow>('POST', `/api/households/${x.id}/close`, body).then(
          () => {
            ctx.toast(st('hc.done', { name: x.name }));
            ctx.navigate('#/households');
          },
          (err: unknown) => {
            confirm.hidden = true;
            start.hidden = false;
            markFields(err, inputs);
            error.textContent = errorText(err);
          },
        );
      });
      yes.focus();
    });
    return form;
  }

  void load();
  return { el, destroy: () => void ++seq };
}
