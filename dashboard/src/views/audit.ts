import { api } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { type AdminKey, ta } from '../i18n-admin.js';
import { clearErrors, failure, field, notFor, showErrors, table } from './admin-kit.js';
import {
  ACTIONS,
  type AuditFilters,
  type AuditRow,
  actionText,
  auditQuery,
  NO_FILTERS,
  recordText,
  resultText,
  stampText,
  userText,
} from './audit-helper.js';

/**
 * 操作记录 The audit log (admin; GET /api/audit, newest first, paged): who did what, to which
 * record, with what result, from where — each row in words (views/audit-helper.ts). Filters by
 * user, action (method), route prefix, record, status and local dates; 更多 reads the next page.
 */
// The methods GET /api/audit filters by. Rows of the admin CLI (method CLI) are found by their
// user, `os:<name>`, until the server takes CLI as a method too.
const METHODS = ['POST', 'PATCH', 'PUT', 'DELETE', 'GET'] as const;

export function auditView(ctx: Ctx): View {
  const refused = notFor(['admin'], ctx.user.role, 'audit-view');
  if (refused) return refused;
  let seq = 0;
  let filters: AuditFilters = { ...NO_FILTERS };
  let next: string | null = null;

  const username = h('input', { autocomplete: 'off', autocapitalize: 'none', maxlength: 100 });
  const method = h(
    'select',
    null,
    h('option', { value: '' }, ta('adm.all')),
    ...METHODS.map((m) => h('option', { value: m }, ta(`aud.m.${m}` as AdminKey))),
  );
  const route = h('input', { autocomplete: 'off', list: 'aud-routes', maxlength: 300, placeholder: '/api/people' });
  const routes = h(
    'datalist',
    { id: 'aud-routes' },
    ...[...new Set(Object.keys(ACTIONS).map((k) => k.split(' ')[1] ?? ''))].map((r) => h('option', { value: r })),
  );
  const record = h('input', { autocomplete: 'off', maxlength: 300, placeholder: 'person:12' });
  const status = h('input', { pattern: '[1-5]([0-9]{2}|xx)', maxlength: 3, autocomplete: 'off', placeholder: '4xx' });
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const inputs: Record<string, HTMLElement> = { username, method, route, record, status, from, to };
  const error = h('p', { class: 'form-error', role: 'alert', id: 'aud-error' });
  const search = h('button', { type: 'submit', class: 'primary', id: 'aud-search' }, ta('aud.search'));
  const reset = h('button', { type: 'reset', id: 'aud-reset' }, ta('aud.reset'));
  const form = h(
    'form',
    { class: 'adm-form adm-filters-form card', id: 'audit-filters', 'aria-label': ta('aud.search') },
    field('aud-username', ta('aud.user'), username),
    field('aud-method', ta('aud.method'), method),
    field('aud-route', ta('aud.route'), route),
    routes,
    field('aud-record', ta('aud.record'), record),
    field('aud-status', ta('aud.status'), status, ta('aud.statusHint')),
    field('aud-from', ta('aud.from'), from),
    field('aud-to', ta('aud.to'), to),
    error,
    h('div', { class: 'adm-buttons' }, search, reset),
  );
  const note = h('p', { class: 'fig-status', id: 'audit-status', role: 'status' });
  const body = h('tbody');
  const more = h('button', { type: 'button', id: 'audit-more', hidden: true }, ta('aud.more'));
  const box = table(
    'audit-table',
    [ta('aud.at'), ta('aud.user'), ta('aud.action'), ta('aud.record'), ta('aud.result'), ta('aud.address')],
    [],
  );
  box.querySelector('tbody')?.replaceWith(body);
  const el = h(
    'section',
    { class: 'adm-view adm-wide', id: 'audit-view', 'aria-labelledby': 'audit-title' },
    h('h1', { id: 'audit-title' }, ta('aud.title')),
    // On a phone the filters fold away under their summary, so the rows are on the first screen.
    h(
      'details',
      { class: 'adm-details', open: !window.matchMedia('(max-width: 700px)').matches },
      h('summary', null, ta('aud.filters')),
      form,
    ),
    note,
    box,
    more,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    filters = {
      username: username.value,
      method: method.value,
      route: route.value,
      record: record.value,
      status: status.value,
      from: from.value,
      to: to.value,
    };
    void load(false);
  });
  form.addEventListener('reset', () => {
    filters = { ...NO_FILTERS };
    // After the browser has emptied the fields.
    queueMicrotask(() => void load(false));
  });
  more.addEventListener('click', () => void load(true));

  function row(r: AuditRow): HTMLElement {
    return h(
      'tr',
      {
        'data-audit': r.id,
        'data-method': r.method,
        'data-route': r.route,
        class: r.status >= 400 ? 'adm-refused' : null,
      },
      h('td', { class: 'adm-nowrap' }, h('time', { datetime: r.at }, stampText(r.at))),
      h('td', null, userText(r)),
      h('td', { title: `${r.method} ${r.route}` }, actionText(r)),
      h('td', null, recordText(r)),
      h('td', { class: 'adm-nowrap' }, resultText(r.status)),
      h('td', null, r.address ?? '—'),
    );
  }

  async function load(append: boolean): Promise<void> {
    const mine = ++seq;
    clearErrors(Object.values(inputs), error);
    note.textContent = ta('adm.loading');
    more.disabled = true;
    try {
      const page = await api<{ items: AuditRow[]; next: string | null }>(
        'GET',
        `/api/audit?${auditQuery(filters, append ? next : null)}`,
      );
      if (mine !== seq) return;
      next = page.next;
      if (append) body.append(...page.items.map(row));
      else replace(body, ...page.items.map(row));
      const shown = body.childElementCount;
      note.textContent = shown === 0 ? ta('aud.empty') : next === null ? ta('aud.end') : '';
      more.hidden = next === null;
      more.disabled = false;
    } catch (err) {
      if (mine !== seq) return;
      note.textContent = '';
      more.disabled = false;
      if (!append) replace(body);
      showErrors(err, inputs, error);
      if (error.textContent === '') error.textContent = failure(err);
    }
  }

  void load(false);
  return { el, destroy: () => void ++seq };
}
