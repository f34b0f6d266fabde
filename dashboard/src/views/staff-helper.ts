import '../styles/staff.css';
import { api, ApiError, type Household, type User } from '../api.js';
import { h } from '../dom.js';
import { lang } from '../i18n.js';
import { st } from '../i18n-staff.js';
import { serverText } from '../server-text.js';

/**
 * What the staff's screens (issue 15: households, devices, import) share: the shapes the API
 * answers, who may change what, fields with their error line, and errors in words.
 */

export { CLOSED_REASONS as CLOSE_REASONS } from '../../../protocol/live.js';

export type CheckIn = { everySec: number; graceSec: number } | { deadline: string };
export type Contact = { name: string; phone: string; relation?: string };
export type DeviceRow = {
  id: string;
  householdId: number;
  online: boolean;
  battery: number | null;
  lastSeenAt: string | null;
  retiredAt?: string | null;
};

/** A household as GET /api/households(/:id) answers it (its `closed`: issue 15). */
export type HouseholdRow = Household & {
  checkin?: CheckIn | null;
  contacts?: Contact[];
  devices?: DeviceRow[];
};

export type Compound = { id: number; name: string; buildings: Array<{ id: number; name: string; compoundId: number }> };

/** The compounds the user sees, with their buildings. */
export async function loadCompounds(): Promise<Compound[]> {
  return (await api<{ items: Compound[] }>('GET', '/api/compounds?limit=1000')).items;
}

/** Staff and admins; volunteers see none of these screens. */
export function isStaff(user: User): boolean {
  return user.role === 'admin' || user.role === 'staff';
}

/** Whether the user may change things in the compound (not through a read-only scope entry). */
export function canEdit(user: User, compoundId: number): boolean {
  if (user.role === 'admin') return true;
  if (user.role !== 'staff') return false;
  const readOnly = (user as { readOnlyCompoundIds?: number[] }).readOnlyCompoundIds ?? [];
  return !readOnly.includes(compoundId);
}

/** The screen a volunteer gets instead (the server refuses them anyway). */
export function forbidden(id: string): HTMLElement {
  return h('section', { class: 'staff-view', id }, h('p', { class: 'form-error', role: 'alert' }, st('m.forbidden')));
}

export function addressOf(x: { compound: string; building: string; room: string }): string {
  return [x.compound, x.building, x.room].filter((p) => p !== '').join(' ');
}

/** The schema's words for a field (fastify's validator, in English), in Chinese when known. */
const FIELD_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^must NOT have fewer than 1 characters?$/, '不能为空'],
  [/^must NOT have fewer than (\d+) characters$/, '至少 $1 个字符'],
  [/^must NOT have more than (\d+) characters$/, '不能超过 $1 个字符'],
  [/^must NOT have more than (\d+) items$/, '最多 $1 项'],
  [/^must match pattern .*$/, '格式不正确'],
  [/^must be integer$/, '须为整数'],
  [/^must be >= (\S+)$/, '不能小于 $1'],
  [/^must be <= (\S+)$/, '不能大于 $1'],
  [/^must have required property '(.*)'$/, '缺少必填项 $1'],
];

/** A field's problem in the reader's words. */
export function fieldText(message: string): string {
  if (lang() !== 'en')
    for (const [pattern, zh] of FIELD_WORDS) if (pattern.test(message)) return message.replace(pattern, zh);
  return serverText(message);
}

/** An error in the reader's words: the server's message (translated when known), or "no network". */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.offline) return st('m.offline');
    const text = serverText(err.message);
    const fields = err.fields.map((f) => `${f.path.replace(/^body\.?/, '')}: ${fieldText(f.message)}`);
    return st('m.failed', { m: [text, ...fields].filter((x) => x !== '').join('；') });
  }
  return st('m.failed', { m: err instanceof Error ? err.message : String(err) });
}

/** The household a 409 names (`error.details: [{householdId}]`), or null. */
export function conflictHousehold(err: unknown): number | null {
  if (!(err instanceof ApiError) || err.status !== 409) return null;
  const details = (err.body as { error?: { details?: Array<{ householdId?: unknown }> } } | null)?.error?.details;
  const id = Array.isArray(details) ? details[0]?.householdId : undefined;
  if (typeof id === 'number' && Number.isInteger(id)) return id;
  // A server that names it only in the message: "…住户 #12 …".
  const named = /#(\d+)/.exec(err.message);
  return named ? Number(named[1]) : null;
}

/** A labelled field with its own error line (`<id>-error`), found by its label as a screen reader finds it. */
export function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  input.id = id;
  input.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  return h(
    'div',
    { class: 'staff-field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', { id: `${id}-hint`, class: 'staff-hint' }, hint) : null,
    h('span', { class: 'form-error', id: `${id}-error` }),
  );
}

/** Marks the fields a 400 named (`body.<name>…`) and says what is wrong with each; true if any. */
export function markFields(err: unknown, inputs: Record<string, HTMLElement>): boolean {
  for (const input of Object.values(inputs)) {
    input.removeAttribute('aria-invalid');
    const span = document.getElementById(`${input.id}-error`);
    if (span) span.textContent = '';
  }
  if (!(err instanceof ApiError)) return false;
  let any = false;
  for (const f of err.fields) {
    const parts = f.path.replace(/^body\.?/, '').split('.');
    const input = inputs[parts.slice(0, 3).join('.')] ?? inputs[parts[0] ?? ''];
    if (input === undefined) continue;
    any = true;
    input.setAttribute('aria-invalid', 'true');
    const span = document.getElementById(`${input.id}-error`);
    if (span) span.textContent = fieldText(f.message);
  }
  return any;
}

/** A table in its own box that scrolls sideways on a phone (the page never does). */
export function scrollTable(id: string, heads: readonly string[], rows: readonly HTMLElement[]): HTMLElement {
  return h(
    'div',
    { class: 'staff-scroll' },
    h(
      'table',
      { class: 'staff-table', id },
      h('thead', null, h('tr', null, ...heads.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, ...rows),
    ),
  );
}

/** Today in the browser's zone, `YYYY-MM-DD`. */
export function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
