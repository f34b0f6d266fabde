import { h, replace } from '../dom.js';
import { ta } from '../i18n-admin.js';
import { type Places, placeName, placeTree, type ScopeEntry } from './admin-kit.js';

/**
 * A login's scope (docs/api.md "Places and scopes"): entries at any level — the district, a
 * street, a community, a compound — each editable or read-only (a leader who watches). Chosen
 * from the tree of GET /api/places; the list below says what is chosen, each with its remove
 * button. `value()` is the `scope` of POST /api/users and PATCH /api/users/:id.
 */
export function scopeEditor(
  places: Places,
  idPrefix: string,
  initial: readonly ScopeEntry[] = [],
): { el: HTMLElement; value(): ScopeEntry[]; input: HTMLElement } {
  const entries: ScopeEntry[] = initial.map((e) => ({ ...e }));
  const select = h(
    'select',
    { id: `${idPrefix}-place`, 'aria-describedby': `${idPrefix}-place-error` },
    ...placeTree(places).map((p) =>
      h('option', { value: `${p.level}:${p.id}` }, `${'　'.repeat(p.depth)}${placeName(places, p.level, p.id)}`),
    ),
  );
  const readOnly = h('input', { type: 'checkbox', id: `${idPrefix}-readonly` });
  const add = h('button', { type: 'button', id: `${idPrefix}-add` }, ta('usr.scopeAdd'));
  const list = h('ul', { class: 'adm-scope', id: `${idPrefix}-list`, 'aria-live': 'polite' });
  const render = () =>
    replace(
      list,
      ...(entries.length === 0
        ? [h('li', { class: 'adm-note' }, ta('usr.scopeEmpty'))]
        : entries.map((e, i) => {
            const words = `${placeName(places, e.level, e.id)}${e.readOnly ? ` · ${ta('adm.readOnly')}` : ''}`;
            return h(
              'li',
              { 'data-level': e.level, 'data-id': e.id, 'data-readonly': String(e.readOnly) },
              h('span', null, words),
              h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  'aria-label': ta('usr.scopeRemove', { p: words }),
                  onclick: () => {
                    entries.splice(i, 1);
                    render();
                  },
                },
                ta('adm.remove'),
              ),
            );
          })),
    );
  add.addEventListener('click', () => {
    const [level, id] = select.value.split(':');
    if (level === undefined || id === undefined) return;
    const entry = { level: level as ScopeEntry['level'], id: Number(id), readOnly: readOnly.checked };
    const same = entries.findIndex((e) => e.level === entry.level && e.id === entry.id);
    if (same >= 0) entries[same] = entry;
    else entries.push(entry);
    render();
  });
  render();
  const el = h(
    'fieldset',
    { class: 'adm-scope-box' },
    h('legend', null, ta('usr.scope')),
    h(
      'div',
      { class: 'adm-scope-pick' },
      h('label', { for: `${idPrefix}-place` }, ta('usr.scopePlace')),
      select,
      h('label', { class: 'adm-check' }, readOnly, ta('adm.readOnly')),
      add,
    ),
    h('span', { class: 'form-error', id: `${idPrefix}-place-error` }),
    list,
  );
  return { el, value: () => entries.map((e) => ({ ...e })), input: select };
}

/** A scope in words for the list of logins: `东街道（街道）· 只读、甲小区（小区）`. */
export function scopeText(places: Places, scope: readonly ScopeEntry[] | undefined): string {
  if (!scope || scope.length === 0) return ta('usr.scopeNone');
  return scope
    .map((e) => `${placeName(places, e.level, e.id)}${e.readOnly ? ` · ${ta('adm.readOnly')}` : ''}`)
    .join('、');
}
