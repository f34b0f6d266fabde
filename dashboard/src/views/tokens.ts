import { api } from '../api.js';
import type { Ctx } from '../context.js';
import { h, replace } from '../dom.js';
import { ta } from '../i18n-admin.js';
import { allPages, clearErrors, failure, field, rowButton, showErrors, table } from './admin-kit.js';
import { stampText } from './audit-helper.js';
import type { UserRow } from './users.js';

/**
 * API tokens of scripts (admin; GET/POST /api/tokens, DELETE /api/tokens/:id), on the logins
 * screen: the list (never the token itself), issuing one — shown here once, to be copied — and
 * revoking.
 */
type Token = {
  id: number;
  userId: number;
  name: string;
  createdAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
};

export function tokensSection(ctx: Ctx, users: readonly UserRow[]): HTMLElement {
  const status = h('p', { class: 'fig-status', id: 'tokens-status', role: 'status' });
  const list = h('div', { id: 'tokens-list' });
  const shown = h('div', { id: 'token-shown', 'aria-live': 'polite' });
  const who = (id: number) => users.find((u) => u.id === id)?.username ?? `#${id}`;
  const when = (at: string | null) => (at === null ? '—' : stampText(at));

  async function load(): Promise<void> {
    status.textContent = ta('adm.loading');
    try {
      const tokens = await allPages<Token>('/api/tokens');
      status.textContent = '';
      replace(
        list,
        tokens.length === 0
          ? h('p', null, ta('adm.none'))
          : table(
              'tokens-table',
              [
                ta('tok.name'),
                ta('tok.user'),
                ta('tok.created'),
                ta('tok.lastUsed'),
                ta('usr.state'),
                ta('adm.actions'),
              ],
              tokens.map((t) =>
                h(
                  'tr',
                  { 'data-token': t.id },
                  h('th', { scope: 'row' }, t.name),
                  h('td', null, who(t.userId)),
                  h('td', null, when(t.createdAt)),
                  h('td', null, when(t.lastUsedAt)),
                  h('td', null, t.revokedAt === null ? ta('tok.valid') : `${ta('tok.revoked')} ${when(t.revokedAt)}`),
                  h(
                    'td',
                    null,
                    t.revokedAt === null ? rowButton('tok.revoke', t.name, (b) => void revoke(t, b)) : null,
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      status.textContent = failure(err);
    }
  }

  async function revoke(t: Token, button: HTMLButtonElement): Promise<void> {
    if (!window.confirm(ta('tok.confirmRevoke', { n: t.name }))) return;
    button.disabled = true;
    try {
      await api('DELETE', `/api/tokens/${t.id}`);
      replace(shown);
      await load();
    } catch (err) {
      button.disabled = false;
      ctx.toast(failure(err), 'error');
    }
  }

  const user = h(
    'select',
    null,
    ...users.map((u) => h('option', { value: u.id }, `${u.username}（${u.displayName}）`)),
  );
  const name = h('input', { required: true, maxlength: 100, autocomplete: 'off' });
  const inputs: Record<string, HTMLElement> = { userId: user, name };
  const error = h('p', { class: 'form-error', role: 'alert', id: 'tok-error' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'tok-submit' }, ta('tok.issue'));
  const form = h(
    'form',
    { class: 'adm-form card', id: 'tokens-form', 'aria-labelledby': 'tok-form-title' },
    h('h3', { id: 'tok-form-title' }, ta('tok.issue')),
    field('tok-user', ta('tok.user'), user),
    field('tok-name', ta('tok.name'), name),
    error,
    h('div', { class: 'adm-buttons' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(Object.values(inputs), error);
    submit.disabled = true;
    api<{ id: number; token: string }>('POST', '/api/tokens', { userId: Number(user.value), name: name.value.trim() })
      .then(async (made) => {
        submit.disabled = false;
        name.value = '';
        const box = h('input', {
          readonly: true,
          value: made.token,
          id: 'token-value',
          'aria-labelledby': 'token-shown-label',
        });
        replace(shown, h('div', { class: 'adm-once card' }, h('p', { id: 'token-shown-label' }, ta('tok.shown')), box));
        box.select();
        await load();
      })
      .catch((err: unknown) => {
        submit.disabled = false;
        showErrors(err, inputs, error);
      });
  });

  void load();
  return h(
    'section',
    { class: 'adm-section', 'aria-labelledby': 'tokens-title' },
    h('h2', { id: 'tokens-title' }, ta('tok.title')),
    status,
    list,
    shown,
    form,
  );
}
