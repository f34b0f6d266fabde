import qrcode from 'qrcode-generator';
import type { IssuedDevice } from './provision.js';

// The batch's labels (issue 16): one A4 page holds 12 (3 × 4), each with the household's name and
// address, the device id and the QR code of the label's text (protocol/label.ts, the text the
// single device's card encodes too). A standalone HTML file — the CLI writes it beside the sheet —
// with nothing loaded from elsewhere. Each label also carries its text in `data-label`, beside the
// image, so a test (or a person) can read what the code says.

/** The QR code's dark modules: one path of horizontal runs, a quiet zone of 4 modules around it. */
export function qrMatrixPath(text: string): { size: number; d: string } {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) {
    let c = 0;
    while (c < n) {
      if (!qr.isDark(r, c)) {
        c += 1;
        continue;
      }
      const start = c;
      while (c < n && qr.isDark(r, c)) c += 1;
      d += `M${start + 4} ${r + 4}h${c - start}v1h-${c - start}z`;
    }
  }
  return { size: n + 8, d };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const STYLE = `
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 0; color: #000; }
.note { border: 2px solid #000; padding: 3mm; margin: 0 0 4mm; font-size: 11pt; }
.sheet { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; }
.label { border: 1px dashed #555; padding: 3mm; height: 66mm; display: flex; flex-direction: column;
  align-items: center; text-align: center; break-inside: avoid; page-break-inside: avoid; overflow: hidden; }
.label strong { font-size: 13pt; }
.label span, .label code { font-size: 9pt; }
.label svg { width: 36mm; height: 36mm; margin-top: auto; }
@media print { .note { break-after: avoid; } }
`;

/** The labels page of a batch (zh first, en second). */
export function fleetLabelsPage(devices: readonly IssuedDevice[], title = '设备标签 Device labels'): string {
  const labels = devices.map((d) => {
    const qr = qrMatrixPath(d.label);
    return `<figure class="label" data-device="${escapeHtml(d.deviceId)}" data-label="${escapeHtml(d.label)}">
<strong>${escapeHtml(d.name)}</strong><span>${escapeHtml(d.address)}</span><span>设备 Device <code>${escapeHtml(d.deviceId)}</code></span>
<svg class="qr" viewBox="0 0 ${qr.size} ${qr.size}" role="img" aria-label="二维码 QR ${escapeHtml(d.deviceId)}" shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg"><rect width="${qr.size}" height="${qr.size}" fill="#fff"/><path d="${qr.d}" fill="#000"/></svg>
</figure>`;
  });
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<p class="note">密钥只在本页和同批的表格中出现：数据库只保存它的哈希，无法再次显示。贴好标签后请妥善保管或销毁本页。<br>
The secrets appear only on this page and in the batch's sheet: the database keeps only their hashes and cannot show them again. Keep this page safe, or destroy it once the labels are on the buttons.</p>
<main class="sheet">
${labels.join('\n')}
</main>
</body></html>
`;
}
