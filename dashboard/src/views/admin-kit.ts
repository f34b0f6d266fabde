import '../styles/admin.css';
import { api, ApiError, type Role } from '../api.js';
import type { View } from '../context.js';
import { h } from '../dom.js';
import { type AdminKey, ta } from '../i18n-admin.js';
import { serverText } from '../server-text.js';

/**
 * The parts the staff's screens share (people, users, channels, audit): a labelled field with
 * its own error line, the server's refusal put next to the fields it names, a table that scrolls
 * in its own box, whole lists read page by page, and the places tree of GET /api/places.
 */

/** What the server said, in words: offline, or its message (translated where known). */
export function failure(err: unknown): string {
  if (err instanceof ApiError && err.offline) return ta('adm.offline');
  const m = err instanceof Error ? err.message : String(err);
  return ta('adm.failed', { m: serverText(m) });
}

/** The page for a role it is not for (the server would refuse its requests anyway). */
export function notFor(roles: readonly Role[], role: Role, id: string): View | null {
  if (roles.includes(role)) return null;
  const el = h(
    'section',
    { class: 'adm-view', id },
    h(
      'p',
      { class: 'form-error', role: 'alert' },
      ta('adm.notFor', { r: ta(roles.includes('staff') ? 'adm.roleStaff' : 'adm.roleAdmin') }),
    ),
  );
  return { el, destroy() {} };
}

/** A labelled input with an error line under it (`<id>-error`, named by aria-describedby). */
export function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  input.id = id;
  input.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  return h(
    'div',
    { class: 'adm-field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', { class: 'adm-hint', id: `${id}-hint` }, hint) : null,
    h('span', { class: 'form-error', id: `${id}-error` }),
  );
}

/** Clears the field errors of a form before it is sent again. */
export function clearErrors(inputs: Iterable<HTMLElement>, formError: HTMLElement): void {
  for (const input of inputs) {
    input.removeAttribute('aria-invalid');
    const span = document.getElementById(`${input.id}-error`);
    if (span) span.textContent = '';
  }
  formError.textContent = '';
}

/**
 * A refusal shown where it belongs: each field the server named (`body.phone` → the input keyed
 * `phone`) gets its message; the form's own line says to correct them, or what went wrong.
 */
export function showErrors(err: unknown, inputs: Readonly<Record<string, HTMLElement>>, formError: HTMLElement): void {
  const fields = err instanceof ApiError ? err.fields : [];
  let placed = 0;
  for (const f of fields) {
    const key = f.path.replace(/^(body|querystring)\.?/, '');
    const input = inputs[key] ?? inputs[key.split('.')[0] ?? ''];
    if (input === undefined) continue;
    placed += 1;
    input.setAttribute('aria-invalid', 'true');
    const span = document.getElementById(`${input.id}-error`);
    if (span) span.textContent = serverText(f.message);
  }
  const unplaced = fields.filter((f) => !inputs[f.path.replace(/^(body|querystring)\.?/, '').split('.')[0] ?? '']);
  formError.textContent =
    placed > 0 && unplaced.length === 0
      ? ta('adm.fixFields')
      : unplaced.length > 0
        ? ta('adm.failed', { m: unplaced.map((f) => serverText(f.message)).join('；') })
        : failure(err);
}

/** A table in its own scrolling box (a phone scrolls the table, never the page). */
export function table(id: string, heads: readonly string[], rows: readonly HTMLElement[]): HTMLElement {
  return h(
    'div',
    { class: 'adm-scroll', tabindex: '0', role: 'region', 'aria-labelledby': `${id}-caption` },
    h(
      'table',
      { class: 'adm-table', id },
      h('caption', { class: 'sr-only', id: `${id}-caption` }, heads.join(' · ')),
      h('thead', null, h('tr', null, ...heads.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, ...rows),
    ),
  );
}

/** A small button in a row, named for screen readers with what it acts on. */
export function rowButton(word: AdminKey, about: string, onclick: (b: HTMLButtonElement) => void): HTMLButtonElement {
  const b = h(
    'button',
    { type: 'button', class: 'link', 'aria-label': ta('adm.about', { w: ta(word), x: about }) },
    ta(word),
  );
  b.addEventListener('click', () => onclick(b));
  return b;
}

/** Every item of a paged list ({items, next}), 1000 at a time. */
export async function allPages<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const page: { items: T[]; next: string | null } = await api(
      'GET',
      `${path}${sep}limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    out.push(...page.items);
    cursor = page.next;
  } while (cursor !== null && out.length < 20_000);
  return out;
}

export type AreaLevel = 'district' | 'street' | 'community';
export type Area = { id: number; level: AreaLevel; name: string; parentId: number | null };
export type CompoundPlace = { id: number; name: string; communityId: number | null; editable?: boolean };
export type Places = { areas: Area[]; compounds: CompoundPlace[] };
export type ScopeEntry = { level: AreaLevel | 'compound'; id: number; readOnly: boolean };

export function loadPlaces(): Promise<Places> {
  return api<Places>('GET', '/api/places');
}

/** Every place as a tree in reading order (district, its streets, their communities, their compounds), with depth. */
export function placeTree(p: Places): Array<{ level: ScopeEntry['level']; id: number; name: string; depth: number }> {
  const out: Array<{ level: ScopeEntry['level']; id: number; name: string; depth: number }> = [];
  const visit = (parentId: number | null, depth: number) => {
    for (const a of p.areas.filter((x) => x.parentId === parentId)) {
      out.push({ level: a.level, id: a.id, name: a.name, depth });
      if (a.level === 'community')
        for (const c of p.compounds.filter((x) => x.communityId === a.id))
          out.push({ level: 'compound', id: c.id, name: c.name, depth: depth + 1 });
      visit(a.id, depth + 1);
    }
  };
  const ids = new Set(p.areas.map((a) => a.id));
  // Roots: the district, or (for a narrower scope) areas whose parent is not in the list.
  for (const root of p.areas.filter((a) => a.parentId === null || !ids.has(a.parentId))) {
    out.push({ level: root.level, id: root.id, name: root.name, depth: 0 });
    if (root.level === 'community')
      for (const c of p.compounds.filter((x) => x.communityId === root.id))
        out.push({ level: 'compound', id: c.id, name: c.name, depth: 1 });
    visit(root.id, 1);
  }
  const listed = new Set(out.filter((x) => x.level === 'compound').map((x) => x.id));
  for (const c of p.compounds.filter((x) => !listed.has(x.id)))
    out.push({ level: 'compound', id: c.id, name: c.name, depth: 0 });
  return out;
}

/** A place's name and level in words, e.g. 东街道（街道）. */
export function placeName(p: Places, level: ScopeEntry['level'], id: number): string {
  const name =
    level === 'compound' ? p.compounds.find((c) => c.id === id)?.name : p.areas.find((a) => a.id === id)?.name;
  return `${name ?? `#${id}`}（${ta(`adm.level.${level}`)}）`;
}
