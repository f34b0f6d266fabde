import { api, type Role } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { ta } from '../i18n-admin.js';
import {
  allPages,
  clearErrors,
  failure,
  field,
  loadPlaces,
  notFor,
  type Places,
  rowButton,
  type ScopeEntry,
  showErrors,
  table,
} from './admin-kit.js';
import { scopeEditor, scopeText } from './scope-editor.js';
import { tokensSection } from './tokens.js';

/**
 * 账号 Logins (admin; GET/POST /api/users, PATCH /api/users/:id): who logs in, their role and
 * scope (places at any level, each editable or read-only), disabling and enabling (a disabled
 * login's sessions end at once), a new password; and the API tokens of scripts (views/tokens.ts).
 */
export type UserRow = {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  scope?: ScopeEntry[];
  disabled?: boolean | number | string | null;
};

const ROLES: readonly Role[] = ['staff', 'volunteer', 'admin'];

export function usersView(ctx: Ctx): View {
  const refused = notFor(['admin'], ctx.user.role, 'users-view');
  if (refused) return refused;
  let seq = 0;
  let places: Places = { areas: [], compounds: [] };
  let users: UserRow[] = [];

  const status = h('p', { class: 'fig-status', id: 'users-status', role: 'status' });
  const list = h('div', { id: 'users-list' });
  const panel = h('div', { id: 'users-panel' });
  const addBox = h('div', { id: 'users-add-box' });
  const tokensBox = h('div', { id: 'tokens-box' });
  const el = h(
    'section',
    { class: 'adm-view', id: 'users-view', 'aria-labelledby': 'users-title' },
    h('h1', { id: 'users-title' }, ta('usr.title')),
    status,
    list,
    panel,
    addBox,
    tokensBox,
  );
  const roleText = (r: Role) => ta(`usr.role.${r}`);
  const isDisabled = (u: UserRow) => u.disabled !== undefined && u.disabled !== null && u.disabled !== false;

  async function load(): Promise<void> {
    const mine = ++seq;
    status.textContent = ta('adm.loading');
    try {
      const [p, u] = await Promise.all([loadPlaces(), allPages<UserRow>('/api/users')]);
      if (mine !== seq) return;
      places = p;
      users = u;
      status.textContent = '';
      renderList();
      replace(addBox, addForm());
      replace(tokensBox, tokensSection(ctx, users));
    } catch (err) {
      if (mine === seq) status.textContent = failure(err);
    }
  }

  function renderList(): void {
    replace(
      list,
      table(
        'users-table',
        [
          ta('usr.username'),
          ta('usr.displayName'),
          ta('usr.role'),
          ta('usr.scope'),
          ta('usr.state'),
          ta('adm.actions'),
        ],
        users.map((u) =>
          h(
            'tr',
            { 'data-user': u.id, 'data-username': u.username },
            h('th', { scope: 'row' }, u.username),
            h('td', null, u.displayName),
            h('td', null, roleText(u.role)),
            h('td', { class: 'adm-scope-cell' }, u.role === 'admin' ? ta('adm.district') : scopeText(places, u.scope)),
            h('td', null, isDisabled(u) ? ta('usr.disabled') : ta('usr.active')),
            h(
              'td',
              { class: 'adm-row-actions' },
              u.role === 'admin' ? null : rowButton('usr.editScope', u.username, () => scopePanel(u)),
              rowButton(isDisabled(u) ? 'usr.enable' : 'usr.disable', u.username, (b) => void setDisabled(u, b)),
              rowButton('usr.resetPassword', u.username, () => passwordPanel(u)),
            ),
          ),
        ),
      ),
    );
  }

  async function setDisabled(u: UserRow, button: HTMLButtonElement): Promise<void> {
    const disable = !isDisabled(u);
    if (disable && !window.confirm(ta('usr.confirmDisable', { n: u.username }))) return;
    button.disabled = true;
    try {
      await api('PATCH', `/api/users/${u.id}`, { disabled: disable });
      ctx.toast(ta('adm.saved'));
      await load();
    } catch (err) {
      button.disabled = false;
      ctx.toast(failure(err), 'error');
    }
  }

  /** A small form under the list for one login: its title, fields, and what to send. */
  function openPanel(
    title: string,
    content: HTMLElement[],
    inputs: Record<string, HTMLElement>,
    body: () => unknown,
    u: UserRow,
  ): void {
    const error = h('p', { class: 'form-error', role: 'alert', id: 'users-panel-error' });
    const submit = h('button', { type: 'submit', class: 'primary' }, ta('adm.save'));
    const form = h(
      'form',
      { class: 'adm-form card', id: 'users-panel-form', 'aria-labelledby': 'users-panel-title' },
      h('h2', { id: 'users-panel-title' }, title),
      ...content,
      error,
      h(
        'div',
        { class: 'adm-buttons' },
        submit,
        h('button', { type: 'button', onclick: () => replace(panel) }, ta('adm.cancel')),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(Object.values(inputs), error);
      submit.disabled = true;
      api('PATCH', `/api/users/${u.id}`, body())
        .then(async () => {
          ctx.toast(ta('adm.saved'));
          replace(panel);
          await load();
        })
        .catch((err: unknown) => {
          submit.disabled = false;
          showErrors(err, inputs, error);
        });
    });
    replace(panel, form);
    form.querySelector<HTMLElement>('select, input')?.focus();
  }

  function scopePanel(u: UserRow): void {
    const editor = scopeEditor(places, 'usr-edit-scope', u.scope ?? []);
    openPanel(
      ta('usr.scopeTitle', { n: u.username }),
      [editor.el],
      { scope: editor.input },
      () => ({ scope: editor.value() }),
      u,
    );
  }

  function passwordPanel(u: UserRow): void {
    const password = h('input', {
      type: 'password',
      autocomplete: 'new-password',
      minlength: 10,
      maxlength: 200,
      required: true,
    });
    openPanel(
      ta('usr.passwordTitle', { n: u.username }),
      [field('usr-new-password', ta('usr.password'), password, ta('usr.passwordHint'))],
      { password },
      () => ({ password: password.value }),
      u,
    );
  }

  function addForm(): HTMLElement {
    const username = h('input', {
      required: true,
      maxlength: 50,
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
    });
    const displayName = h('input', { required: true, maxlength: 100, autocomplete: 'off' });
    const role = h('select', null, ...ROLES.map((r) => h('option', { value: r }, roleText(r))));
    const password = h('input', {
      type: 'password',
      autocomplete: 'new-password',
      minlength: 10,
      maxlength: 200,
      required: true,
    });
    const scope = scopeEditor(places, 'usr-scope');
    const inputs: Record<string, HTMLElement> = {
      username,
      displayName,
      role,
      password,
      scope: scope.input,
      compoundIds: scope.input,
    };
    const error = h('p', { class: 'form-error', role: 'alert', id: 'usr-error' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'usr-submit' }, ta('adm.add'));
    const form = h(
      'form',
      { class: 'adm-form card', id: 'users-form', 'aria-labelledby': 'usr-form-title' },
      h('h2', { id: 'usr-form-title' }, ta('usr.addTitle')),
      field('usr-username', ta('usr.username'), username, ta('usr.usernameHint')),
      field('usr-displayName', ta('usr.displayName'), displayName),
      field('usr-role', ta('usr.role'), role),
      field('usr-password', ta('usr.password'), password, ta('usr.passwordHint')),
      scope.el,
      error,
      h('div', { class: 'adm-buttons' }, submit),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(Object.values(inputs), error);
      submit.disabled = true;
      const entries = scope.value();
      api<UserRow>('POST', '/api/users', {
        username: username.value.trim(),
        displayName: displayName.value.trim(),
        role: role.value,
        password: password.value,
        compoundIds: [],
        ...(role.value === 'admin' || entries.length === 0 ? {} : { scope: entries }),
      })
        .then(async (made) => {
          ctx.toast(ta('usr.added', { n: made.username }));
          await load();
        })
        .catch((err: unknown) => {
          submit.disabled = false;
          showErrors(err, inputs, error);
        });
    });
    return form;
  }

  void load();
  return { el, destroy: () => void ++seq };
}
