import { api, ApiError } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { lang } from '../i18n.js';
import { st } from '../i18n-staff.js';
import { serverText } from '../server-text.js';
import { errorText, forbidden, isStaff, scrollTable } from './staff-helper.js';

/**
 * 名单导入 Roster import (#/import, issue 15): a .csv or .xlsx file of households or people,
 * checked first (POST /api/import/<kind>?dryRun=true: counts, each bad row with its line, column
 * and reason in Chinese, the changes it would make such as 姓名变更), then imported when nothing
 * is wrong (dryRun=false: all rows or none). The template and the current roster to download.
 */
type Kind = 'households' | 'people';
type RowError = { line: number; field?: string; reason: string; reasonEn?: string };
type Change = { line: number; householdId?: number; fields?: string[]; text: string; textEn?: string };
/** The answer; the fields after `rows` differ between servers before and after issue 15. */
export type ImportReport = {
  dryRun: boolean;
  rows: number;
  creates?: number;
  created?: number;
  updates?: number;
  updated?: number;
  unchanged?: number;
  errors: RowError[];
  errorsOmitted?: number;
  changes?: Change[];
  ignoredColumns?: string[];
};

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const TEMPLATE: Record<Kind, string> = { households: '住户名单模板.xlsx', people: '人员名单模板.xlsx' };

/** The roster's columns by their key (server/app/roster/columns.ts): the header a person wrote. */
const COLUMNS: Readonly<Record<string, string>> = {
  street: '街道',
  community: '社区',
  household_id: '住户编号',
  compound: '小区',
  building: '楼栋',
  room: '房号',
  name: '姓名',
  timezone: '时区',
  checkin: '报平安方式',
  quiet_hours: '免打扰时段',
  contact_name: '紧急联系人',
  contact_phone: '联系电话',
  relation: '关系',
  phone: '电话',
  role: '角色',
  tier: '层级',
};

/** A column as the reader calls it: its Chinese header (English: the key). */
export function columnText(key: string | undefined): string {
  if (key === undefined || key === '') return '—';
  return lang() === 'en' ? key : (COLUMNS[key] ?? key);
}

/** A file's bad rows (a roster's, a fleet's): a title, each row's line, column and reason, and how many more. */
export function rowErrors(id: string, errors: readonly RowError[], omitted: number): Array<HTMLElement | null> {
  if (errors.length === 0) return [];
  const en = lang() === 'en';
  return [
    h('h2', null, st('im.errorsTitle')),
    scrollTable(
      id,
      [st('im.line'), st('im.field'), st('im.reason')],
      errors.map((e) =>
        h(
          'tr',
          { 'data-line': e.line },
          h('td', null, String(e.line)),
          h('td', null, columnText(e.field)),
          h('td', { class: 'im-reason' }, en && e.reasonEn ? e.reasonEn : serverText(e.reason)),
        ),
      ),
    ),
    omitted > 0 ? h('p', null, st('im.omitted', { n: omitted })) : null,
  ];
}

/** The content type a file is sent with, from its name; null: not a roster file. */
export function rosterType(name: string): string | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.xlsx')) return XLSX;
  if (lower.endsWith('.csv')) return 'text/csv';
  return null;
}

export function importView(ctx: Ctx): View {
  if (!isStaff(ctx.user)) return { el: forbidden('import-view'), destroy() {} };
  let alive = true;
  /** The file last checked and found good: only that one may be imported. */
  let checked: File | null = null;
  const kind = h(
    'select',
    { id: 'im-kind' },
    h('option', { value: 'households' }, st('im.households')),
    h('option', { value: 'people' }, st('im.people')),
  );
  const file = h('input', { type: 'file', id: 'im-file', accept: `.csv,.xlsx,text/csv,${XLSX}` });
  const check = h('button', { type: 'submit', id: 'im-check' }, st('im.check'));
  const run = h('button', { type: 'button', class: 'primary', id: 'im-run', disabled: true }, st('im.import'));
  const links = h('p', { class: 'staff-links', id: 'im-links' });
  const status = h('div', { class: 'fig-status', id: 'im-status', role: 'status' });
  const result = h('div', { id: 'im-result' });
  const form = h(
    'form',
    { class: 'staff-form card', id: 'im-form' },
    h(
      'div',
      { class: 'staff-grid' },
      h('div', { class: 'staff-field' }, h('label', { for: 'im-kind' }, st('im.kind')), kind),
      h('div', { class: 'staff-field' }, h('label', { for: 'im-file' }, st('im.file')), file),
    ),
    h('div', { class: 'staff-row' }, check, run),
  );
  const el = h(
    'section',
    { class: 'staff-view', id: 'import-view', 'aria-labelledby': 'im-title' },
    h('h1', { id: 'im-title' }, st('im.title')),
    links,
    form,
    status,
    result,
  );

  const renderLinks = () => {
    const k = kind.value as Kind;
    replace(
      links,
      h(
        'a',
        { href: `/api/import/${k}/template.xlsx`, download: TEMPLATE[k], id: 'im-template' },
        st('im.template', { f: TEMPLATE[k] }),
      ),
      ' · ',
      st('im.export'),
      ' ',
      h('a', { href: `/api/export/${k}?format=xlsx`, download: '', id: 'im-export-xlsx' }, 'Excel (.xlsx)'),
      ' · ',
      h('a', { href: `/api/export/${k}?format=csv`, download: '', id: 'im-export-csv' }, 'CSV'),
    );
  };
  const reset = () => {
    checked = null;
    run.disabled = true;
    replace(result);
    status.textContent = '';
  };
  kind.addEventListener('change', () => {
    renderLinks();
    reset();
  });
  file.addEventListener('change', reset);

  async function send(dryRun: boolean): Promise<void> {
    const f = file.files?.[0];
    if (!f) {
      status.textContent = st('im.noFile');
      return;
    }
    const type = rosterType(f.name);
    if (type === null) {
      status.textContent = st('im.badType');
      return;
    }
    check.disabled = true;
    run.disabled = true;
    status.textContent = st('m.loading');
    try {
      const report = await api<ImportReport>('POST', `/api/import/${kind.value}?dryRun=${dryRun}`, undefined, {
        blob: f,
        type,
      });
      if (!alive) return;
      checked = dryRun && report.errors.length === 0 ? f : null;
      run.disabled = checked === null;
      status.textContent = dryRun
        ? report.errors.length === 0
          ? st('im.ready')
          : st('im.notReady')
        : st('im.done', { rows: report.rows });
      render(report);
      if (!dryRun) ctx.toast(st('im.done', { rows: report.rows }));
    } catch (err) {
      if (!alive) return;
      checked = null;
      // A refused import carries its report beside the error: show both.
      const body = err instanceof ApiError ? (err.body as Partial<ImportReport> | null) : null;
      status.textContent = errorText(err);
      if (body && Array.isArray(body.errors)) render(body as ImportReport);
      else replace(result);
    } finally {
      check.disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send(true);
  });
  run.addEventListener('click', () => {
    if (checked !== null && file.files?.[0] === checked) void send(false);
  });

  function render(r: ImportReport): void {
    const creates = r.creates ?? r.created ?? 0;
    const omitted = r.errorsOmitted ?? 0;
    const en = lang() === 'en';
    replace(
      result,
      h(
        'p',
        { id: 'im-summary' },
        st('im.summary', {
          rows: r.rows,
          creates,
          updates: r.updates ?? r.updated ?? r.changes?.length ?? 0,
          unchanged: r.unchanged ?? 0,
          errors: r.errors.length + omitted,
        }),
      ),
      r.ignoredColumns && r.ignoredColumns.length > 0
        ? h('p', { class: 'staff-hint' }, st('im.ignored', { c: r.ignoredColumns.join('、') }))
        : null,
      ...rowErrors('im-errors', r.errors, omitted),
      r.changes && r.changes.length > 0 ? h('h2', null, st('im.changesTitle')) : null,
      r.changes && r.changes.length > 0
        ? scrollTable(
            'im-changes',
            [st('im.line'), st('dv.household'), st('im.change')],
            r.changes.map((c) =>
              h(
                'tr',
                { 'data-line': c.line },
                h('td', null, String(c.line)),
                h(
                  'td',
                  null,
                  c.householdId ? h('a', { href: `#/households/${c.householdId}/edit` }, `#${c.householdId}`) : '—',
                ),
                h('td', null, en && c.textEn ? c.textEn : c.text),
              ),
            ),
          )
        : null,
    );
  }

  renderLinks();
  return { el, destroy: () => void (alive = false) };
}
