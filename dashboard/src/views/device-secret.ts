import qrcode from 'qrcode-generator';
import { labelPayload } from '../../../protocol/label.js';
import { h } from '../dom.js';
import { st } from '../i18n-staff.js';
import { addressOf, type HouseholdRow } from './staff-helper.js';

/**
 * A device's secret, shown once (issue 15): the answer of POST /api/devices or …/rotate, kept in
 * this page's memory only — never stored, so a reload shows it no more. With it the installer's
 * QR code of `{"v":1,"host","port","tls","id","secret"}` (docs/protocol.md), drawn here as an
 * SVG (nothing fetched from elsewhere), and a label to print: household, address, device id, QR.
 */
export type Provisioned = {
  id: string;
  secret: string;
  householdId: number;
  /** Where a button connects; absent from a server before issue 15 (then no QR code). */
  connect?: { host: string; port: number; tls: boolean };
};

/** The QR code's text: the keys in the documented order. */
export function qrPayload(p: Provisioned & { connect: NonNullable<Provisioned['connect']> }): string {
  return labelPayload(p.connect, p);
}

const SVG = 'http://www.w3.org/2000/svg';

/** The QR code as an SVG: one path of dark squares, a quiet zone of 4 modules around it. */
export function qrSvg(text: string, label: string): SVGSVGElement {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const size = n + 8;
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const back = document.createElementNS(SVG, 'rect');
  back.setAttribute('width', String(size));
  back.setAttribute('height', String(size));
  back.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(back, path);
  return svg;
}

export function secretCard(p: Provisioned, x: HouseholdRow, onClose: () => void): HTMLElement {
  const connect = p.connect;
  const qr = connect ? qrSvg(qrPayload({ ...p, connect }), `${st('sc.qr')} ${p.id}`) : null;
  const print = h('button', { type: 'button', id: 'sc-print' }, st('sc.print'));
  const close = h('button', { type: 'button', id: 'sc-close' }, st('sc.close'));
  print.addEventListener('click', () => window.print());
  close.addEventListener('click', onClose);
  const label = h(
    'div',
    { class: 'device-label', id: 'sc-label' },
    h('strong', { class: 'device-label-name' }, x.name),
    h('span', null, addressOf(x)),
    h('span', null, `${st('dv.id')}${st('m.colon')}`, h('code', null, p.id)),
    qr,
  );
  const card = h(
    'section',
    { class: 'staff-secret card', id: 'sc-card', 'aria-labelledby': 'sc-title', 'data-device': p.id },
    h('h3', { id: 'sc-title' }, st('sc.title')),
    h('p', { class: 'staff-note', role: 'alert' }, st('sc.once')),
    h(
      'dl',
      { class: 'staff-dl' },
      h('dt', null, st('dv.id')),
      h('dd', null, h('code', { id: 'sc-id' }, p.id)),
      h('dt', null, st('sc.secret')),
      h('dd', null, h('code', { id: 'sc-secret', class: 'staff-secret-text' }, p.secret)),
      connect ? h('dt', null, st('sc.server')) : null,
      connect
        ? h('dd', { id: 'sc-server' }, `${connect.tls ? 'mqtts' : 'mqtt'}://${connect.host}:${connect.port}`)
        : null,
    ),
    connect ? null : h('p', { class: 'form-error', id: 'sc-no-qr' }, st('sc.noConnect')),
    label,
    h('div', { class: 'staff-row' }, print, close),
  );
  printAlone(card, label);
  return card;
}

/**
 * While the card is on screen, printing (its button or the browser's own) prints the label
 * alone: a copy of it is put beside the app, which the print stylesheet hides (staff.css), and
 * taken away after. A card no longer on screen stops listening. The fleet's labels page
 * (fleet.ts) prints its sheet of labels the same way.
 */
export function printAlone(card: HTMLElement, label: HTMLElement, when: () => boolean = () => true): void {
  const before = () => {
    if (!card.isConnected) {
      window.removeEventListener('beforeprint', before);
      window.removeEventListener('afterprint', after);
      return;
    }
    after();
    // Not shown (the fleet's labels before they are opened): the page prints as it is.
    if (!when()) return;
    document.body.append(h('div', { id: 'print-slot' }, label.cloneNode(true)));
    document.body.classList.add('print-label');
  };
  const after = () => {
    document.getElementById('print-slot')?.remove();
    document.body.classList.remove('print-label');
  };
  window.addEventListener('beforeprint', before);
  window.addEventListener('afterprint', after);
}
