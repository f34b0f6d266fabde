import { api, ApiError } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, replace } from '../dom.js';
import { st } from '../i18n-staff.js';
import { printAlone, qrSvg } from './device-secret.js';
import { rosterType, rowErrors } from './import.js';
import { errorText, forbidden, isStaff, scrollTable } from './staff-helper.js';

/**
 * 批量添加设备 Fleet provisioning (#/fleet, issue 16): a CSV or .xlsx of households, checked first
 * (POST /api/devices/batch?dryRun=true: each bad row with its line and reason), then a device for
 * each (dryRun=false: all or none). The answer is the only place the secrets exist: it is kept in
 * this page's memory only, offered as the sheet (.xlsx, CSV) to download and as a page of labels
 * to print (A4, 12 a page: name, address, device id, the QR code of the server's label text).
 */
type RowError = { line: number; field?: string; reason: string; reasonEn?: string };
type Row = { line: number; householdId: number; name: string; address: string };
type Issued = Row & { deviceId: string; secret: string; label: string };
type Report = {
  ok: boolean;
  rows: number;
  created: number;
  households: Row[];
  errors: RowError[];
  errorsOmitted: number;
};
type Created = Report & { devices: Issued[]; sheet: { csv: string; xlsx: string } };

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function fleetView(ctx: Ctx): View {
  if (!isStaff(ctx.user)) return { el: forbidden('fleet-view'), destroy() {} };
  let alive = true;
  let checked: File | null = null;
  const urls: string[] = [];
  const file = h('input', { type: 'file', id: 'fl-file', accept: `.csv,.xlsx,text/csv,${XLSX}` });
  const check = h('button', { type: 'submit', id: 'fl-check' }, st('fl.check'));
  const run = h('button', { type: 'button', class: 'primary', id: 'fl-run', disabled: true }, st('fl.run'));
  const status = h('div', { class: 'fig-status', id: 'fl-status', role: 'status' });
  const result = h('div', { id: 'fl-result' });
  const form = h(
    'form',
    { class: 'staff-form card', id: 'fl-form' },
    h('p', { class: 'staff-hint' }, st('fl.help')),
    h('div', { class: 'staff-field' }, h('label', { for: 'fl-file' }, st('im.file')), file),
    h('div', { class: 'staff-row' }, check, run),
  );
  const el = h(
    'section',
    { class: 'staff-view', id: 'fleet-view', 'aria-labelledby': 'fl-title' },
    h('h1', { id: 'fl-title' }, st('fl.title')),
    form,
    status,
    result,
  );
  const reset = () => {
    checked = null;
    run.disabled = true;
    status.textContent = '';
    replace(result);
  };
  file.addEventListener('change', reset);

  async function send(dryRun: boolean): Promise<void> {
    const f = file.files?.[0];
    const type = f ? rosterType(f.name) : null;
    if (!f || type === null) {
      status.textContent = f ? st('im.badType') : st('im.noFile');
      return;
    }
    check.disabled = true;
    run.disabled = true;
    status.textContent = st('m.loading');
    try {
      const answer = await api<Report | Created>('POST', `/api/devices/batch?dryRun=${dryRun}`, undefined, {
        blob: f,
        type,
      });
      if (!alive) return;
      if ('devices' in answer) {
        // Created: the file may not be sent again (it would issue a second device each).
        checked = null;
        file.value = '';
        status.textContent = st('fl.done', { n: answer.devices.length });
        ctx.toast(st('fl.done', { n: answer.devices.length }));
        replace(result, created(answer));
        return;
      }
      checked = answer.ok ? f : null;
      run.disabled = checked === null;
      status.textContent = answer.ok ? st('fl.ready', { n: answer.created }) : st('im.notReady');
      replace(result, preview(answer));
    } catch (err) {
      if (!alive) return;
      checked = null;
      status.textContent = errorText(err);
      const body = err instanceof ApiError ? (err.body as Partial<Report> | null) : null;
      replace(result, body && Array.isArray(body.errors) ? preview(body as Report) : null);
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

  const download = (id: string, text: string, name: string, blob: Blob) => {
    const url = URL.createObjectURL(blob);
    urls.push(url);
    return h('a', { id, href: url, download: name, class: 'staff-link-button' }, text);
  };

  function created(r: Created): HTMLElement {
    const bytes = Uint8Array.from(atob(r.sheet.xlsx), (c) => c.charCodeAt(0));
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
    const sheet = labelSheet(r.devices);
    const open = h('button', { type: 'button', id: 'fl-labels' }, st('fl.labels'));
    const print = h('button', { type: 'button', id: 'fl-print', hidden: true }, st('fl.print'));
    open.addEventListener('click', () => {
      sheet.hidden = false;
      print.hidden = false;
      sheet.scrollIntoView({ block: 'start' });
    });
    print.addEventListener('click', () => window.print());
    printAlone(sheet, sheet, () => !sheet.hidden);
    return h(
      'div',
      { class: 'card staff-secret', id: 'fl-created' },
      h('p', { class: 'staff-note', role: 'alert', id: 'fl-once' }, st('fl.once')),
      h(
        'p',
        { class: 'staff-row' },
        download('fl-xlsx', st('fl.xlsx'), `设备与密钥-${stamp}.xlsx`, new Blob([bytes], { type: XLSX })),
        download(
          'fl-csv',
          st('fl.csv'),
          `设备与密钥-${stamp}.csv`,
          new Blob(['\uFEFF', r.sheet.csv], { type: 'text/csv' }),
        ),
        open,
        print,
      ),
      sheet,
    );
  }

  return {
    el,
    destroy: () => {
      alive = false;
      for (const url of urls) URL.revokeObjectURL(url);
    },
  };
}

function preview(r: Report): HTMLElement {
  return h(
    'div',
    null,
    ...rowErrors('fl-errors', r.errors, r.errorsOmitted),
    r.households.length > 0 ? h('h2', null, st('fl.previewTitle')) : null,
    r.households.length > 0
      ? scrollTable(
          'fl-preview',
          [st('im.line'), st('hl.name'), st('hl.address')],
          r.households.map((x) =>
            h(
              'tr',
              { 'data-household': x.householdId },
              h('td', null, String(x.line)),
              h('td', null, x.name),
              h('td', null, x.address),
            ),
          ),
        )
      : null,
  );
}

/** The labels, 12 to an A4 page when printed; each carries its label text beside the image (data-label). */
function labelSheet(devices: readonly Issued[]): HTMLElement {
  return h(
    'div',
    { class: 'fleet-sheet', id: 'fl-sheet', hidden: true },
    h('p', { class: 'fleet-sheet-note' }, st('fl.once')),
    h(
      'div',
      { class: 'fleet-labels' },
      ...devices.map((d) =>
        h(
          'figure',
          { class: 'fleet-label', 'data-device': d.deviceId, 'data-label': d.label },
          h('strong', null, d.name),
          h('span', null, d.address),
          h('span', null, `${st('fl.label.device')} `, h('code', null, d.deviceId)),
          qrSvg(d.label, `${st('sc.qr')} ${d.deviceId}`),
        ),
      ),
    ),
  );
}
