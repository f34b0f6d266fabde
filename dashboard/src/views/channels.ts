import { api, ApiError } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { type AdminKey, ta } from '../i18n-admin.js';
import {
  allPages,
  clearErrors,
  failure,
  field,
  loadPlaces,
  notFor,
  type Places,
  rowButton,
  showErrors,
  table,
} from './admin-kit.js';
import {
  CHANNEL_FIELDS,
  CHANNEL_KINDS,
  type ChannelKind,
  channelBody,
  fieldWord,
  settingsText,
} from './channel-kinds.js';

/**
 * 通知渠道 Channels (GET/POST /api/channels, DELETE /api/channels/:id; docs/api.md "Channels"):
 * where notifications go. Staff read the channels of their compounds and those for all; an admin
 * adds one of each kind (its settings from views/channel-kinds.ts; secrets write-only, listed as
 * 已设置) and retires one. A voice channel's callback URL is answered once, when it is added: it
 * is shown then, to be pasted into the provider's console.
 */
type Channel = {
  id: number;
  kind: ChannelKind;
  name: string;
  compoundId: number | null;
  compound: string | null;
  medium: 'sms' | 'call' | 'group';
  config: Record<string, unknown>;
  callbackUrl?: string;
};

export function channelsView(ctx: Ctx): View {
  const refused = notFor(['staff', 'admin'], ctx.user.role, 'channels-view');
  if (refused) return refused;
  const admin = ctx.user.role === 'admin';
  let seq = 0;
  let places: Places = { areas: [], compounds: [] };

  const status = h('p', { class: 'fig-status', id: 'channels-status', role: 'status' });
  const list = h('div', { id: 'channels-list' });
  const once = h('div', { id: 'channel-callback', 'aria-live': 'polite' });
  const formBox = h('div', { id: 'channels-form-box' });
  const el = h(
    'section',
    { class: 'adm-view', id: 'channels-view', 'aria-labelledby': 'channels-title' },
    h('h1', { id: 'channels-title' }, ta('ch.title')),
    admin ? null : h('p', { class: 'adm-note', id: 'channels-readonly' }, ta('ch.readOnly')),
    status,
    list,
    once,
    formBox,
  );
  const kindText = (k: ChannelKind) => ta(`ch.kind.${k}` as AdminKey);

  async function load(): Promise<void> {
    const mine = ++seq;
    status.textContent = ta('adm.loading');
    try {
      const [p, channels] = await Promise.all([loadPlaces(), allPages<Channel>('/api/channels')]);
      if (mine !== seq) return;
      places = p;
      status.textContent = '';
      renderList(channels);
      if (admin && formBox.childElementCount === 0) renderForm('webhook');
    } catch (err) {
      if (mine === seq) status.textContent = failure(err);
    }
  }

  function renderList(channels: readonly Channel[]): void {
    const heads = [ta('ch.name'), ta('ch.kind'), ta('ch.compound'), ta('ch.medium'), ta('ch.settings')];
    replace(
      list,
      channels.length === 0
        ? h('p', null, ta('adm.none'))
        : table(
            'channels-table',
            admin ? [...heads, ta('adm.actions')] : heads,
            channels.map((c) =>
              h(
                'tr',
                { 'data-channel': c.id, 'data-kind': c.kind },
                h('th', { scope: 'row' }, c.name),
                h('td', null, kindText(c.kind)),
                h('td', null, c.compound ?? ta('adm.allCompounds')),
                h('td', null, ta(`ch.medium.${c.medium}`)),
                h('td', { class: 'adm-settings' }, settingsText(c.config, ta('ch.set'))),
                admin
                  ? h(
                      'td',
                      null,
                      rowButton('ch.retire', c.name, (b) => void retire(c, b)),
                    )
                  : null,
              ),
            ),
          ),
    );
  }

  async function retire(c: Channel, button: HTMLButtonElement): Promise<void> {
    if (!window.confirm(ta('ch.confirmRetire', { n: c.name }))) return;
    button.disabled = true;
    try {
      await api('DELETE', `/api/channels/${c.id}`);
      ctx.toast(ta('ch.retired', { n: c.name }));
      await load();
    } catch (err) {
      button.disabled = false;
      ctx.toast(failure(err), 'error');
    }
  }

  function renderForm(kind: ChannelKind): void {
    const kindSelect = h('select', null, ...CHANNEL_KINDS.map((k) => h('option', { value: k }, kindText(k))));
    kindSelect.value = kind;
    kindSelect.addEventListener('change', () => renderForm(kindSelect.value as ChannelKind));
    const name = h('input', { maxlength: 100, autocomplete: 'off' });
    const compound = h(
      'select',
      null,
      h('option', { value: '' }, ta('adm.allCompounds')),
      ...places.compounds.map((c) => h('option', { value: c.id }, c.name)),
    );
    const inputs: Record<string, HTMLElement> = { kind: kindSelect, name, compound };
    const settings = CHANNEL_FIELDS[kind].map((f) => {
      const input = h('input', {
        type: f.secret ? 'password' : f.type === 'url' ? 'url' : 'text',
        inputmode: f.type === 'number' ? 'numeric' : null,
        // Write-only: the browser must not offer to save or fill a provider's secret.
        autocomplete: f.secret ? 'new-password' : 'off',
        required: !f.optional,
        spellcheck: 'false',
      });
      inputs[f.key] = input;
      const label = `${ta(fieldWord(f.key))}${f.optional ? ta('adm.optional') : ''}`;
      return field(`ch-${f.key.replace('.', '-')}`, label, input);
    });
    const error = h('p', { class: 'form-error', role: 'alert', id: 'ch-error' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'ch-submit' }, ta('adm.add'));
    const form = h(
      'form',
      { class: 'adm-form card', id: 'channels-form', 'aria-labelledby': 'ch-form-title' },
      h('h2', { id: 'ch-form-title' }, ta('ch.addTitle')),
      field('ch-kind', ta('ch.kind'), kindSelect),
      field('ch-name', `${ta('ch.name')}${ta('adm.optional')}`, name),
      field('ch-compound', ta('ch.compound'), compound),
      ...settings,
      h('p', { class: 'adm-note' }, ta('ch.secretNote')),
      error,
      h('div', { class: 'adm-buttons' }, submit),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(Object.values(inputs), error);
      submit.disabled = true;
      const values: Record<string, string> = {};
      for (const f of CHANNEL_FIELDS[kind]) values[f.key] = (inputs[f.key] as HTMLInputElement).value;
      const body = channelBody(kind, name.value, compound.value === '' ? null : Number(compound.value), values);
      api<Channel>('POST', '/api/channels', body)
        .then(async (made) => {
          ctx.toast(ta('ch.added', { n: made.name }));
          replace(once);
          if (made.callbackUrl) {
            const url = h('input', {
              readonly: true,
              value: made.callbackUrl,
              id: 'channel-callback-url',
              'aria-labelledby': 'channel-callback-label',
            });
            replace(
              once,
              h('div', { class: 'adm-once card' }, h('p', { id: 'channel-callback-label' }, ta('ch.callback')), url),
            );
          }
          renderForm(kind);
          await load();
        })
        .catch((err: unknown) => {
          submit.disabled = false;
          showErrors(err, inputs, error);
          markNamedSetting(err, inputs);
        });
    });
    replace(formBox, form);
  }

  void load();
  return { el, destroy: () => void ++seq };
}

/**
 * The server names a bad setting at the start of its reason (`accessKeySecret is required for
 * aliyun-sms`, path `body`): that input is marked too, so the eye finds it.
 */
function markNamedSetting(err: unknown, inputs: Readonly<Record<string, HTMLElement>>): void {
  const reason = err instanceof ApiError ? err.fields.find((f) => f.path === 'body')?.message : undefined;
  if (reason === undefined) return;
  const key = Object.keys(inputs)
    .sort((a, b) => b.length - a.length)
    .find((k) => reason.startsWith(`${k} `));
  const input = key === undefined ? undefined : inputs[key];
  if (input === undefined) return;
  input.setAttribute('aria-invalid', 'true');
  const span = document.getElementById(`${input.id}-error`);
  if (span) span.textContent = reason;
}
