import type { AlertKind, AlertStatus } from '../../../protocol/ribbon.js';
import { ERRORS } from '../../../protocol/errors.js';
import type { Alert, Household } from '../../app/ports.js';
import { assertNever } from '../../domain/ribbon.js';

/**
 * The HTML of the one-tap page (ack-page.ts): plain server-rendered pages, zh-CN first and
 * English second, that work in any phone browser without a script. Styles come from `ack.css`
 * beside the page (the strict CSP allows no inline style), linked relatively, as are the forms'
 * targets: a server behind a proxy's path prefix still works. Every text from the database is
 * escaped.
 */

/**
 * Where a page is answered, for its relative links: under `/a/` (a link's page, `/a/<token>`) or
 * at `/a` itself (the 处理码 form), where `ack.css` would be `/ack.css` and `../` above the root.
 */
export type PageAt = 'link' | 'entry';
const PATHS: Record<PageAt, { css: string; dashboard: string }> = {
  link: { css: 'ack.css', dashboard: '../' },
  entry: { css: 'a/ack.css', dashboard: './' },
};

export const ACK_ACTIONS = ['ack', 'arrive', 'resolve'] as const;
export type AckAction = (typeof ACK_ACTIONS)[number];

export type AckPageModel = {
  token: string;
  alert: Alert;
  household: Household;
  /** The name the action is recorded under. */
  you: string;
  /** When the link stops working (epoch ms, from the token). */
  expiresAt: number;
  now: number;
  /** The action just recorded (after the redirect), for the line 已记录. */
  done: AckAction | null;
  /** Why the action was refused, in words (plain text: escaped here). */
  refusal: string | null;
  /** The note typed before a refusal, given back in the box. */
  note: string;
};

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

const KIND: Record<AlertKind, readonly [string, string]> = {
  emergency: ['紧急求助', 'Emergency'],
  service: ['需要服务', 'Service request'],
  missed_checkin: ['未报平安', 'No check-in'],
  device: ['设备异常', 'Device problem'],
};

const STATUS: Record<AlertStatus, readonly [string, string]> = {
  open: ['还没有人响应', 'Nobody has answered yet'],
  acknowledged: ['已有人处理', 'Someone is on it'],
  resolved: ['已解决', 'Resolved'],
};

const ACTION_WORDS: Record<AckAction, readonly [string, string]> = {
  ack: ['我去处理', "I'm going"],
  arrive: ['已到达', 'Arrived'],
  resolve: ['已解决', 'Resolved'],
};

/** "12 分钟前" and its English, from `from` to `now`. */
export function ago(from: number, now: number): readonly [string, string] {
  const minutes = Math.max(0, Math.floor((now - from) / 60_000));
  if (minutes < 1) return ['刚刚', 'just now'];
  if (minutes < 60) return [`${minutes} 分钟前`, `${minutes} min ago`];
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 24)
    return [
      rest === 0 ? `${hours} 小时前` : `${hours} 小时 ${rest} 分钟前`,
      rest === 0 ? `${hours} h ago` : `${hours} h ${rest} min ago`,
    ];
  const days = Math.floor(hours / 24);
  return [`${days} 天前`, `${days} d ago`];
}

/** The local clock time in the household's zone ("02:10", or with the date "12/3 02:10"). */
function clockTime(at: number, timeZone: string, withDate: boolean): string {
  return new Intl.DateTimeFormat('zh-CN', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(withDate ? { month: 'numeric', day: 'numeric' } : {}),
  }).format(at);
}

const en = (text: string): string => `<span class="en">${escapeHtml(text)}</span>`;
const both = ([zh, english]: readonly [string, string]): string => `${escapeHtml(zh)} ${en(english)}`;

/** A refusal of the alert's rules (protocol/errors.ts code) in words a person reads. */
export function refusalWords(code: string, alert: Alert): string {
  const by = (name: string | null) => (name === null ? '' : `（${name}）`);
  switch (code) {
    case ERRORS.alertAlreadyAcknowledged.code:
      return `已有人在处理${by(alert.acknowledgedBy)}，不必重复确认。 Someone else has already acknowledged it.`;
    case ERRORS.alertAlreadyArrived.code:
      return `已有人记录到达${by(alert.arrivedBy)}。 The arrival is already recorded.`;
    case ERRORS.alertResolved.code:
      return `这条求助已经解决${by(alert.resolvedBy)}，无需再操作。 It is already resolved.`;
    case ERRORS.alertNotEmergency.code:
      return '只有紧急求助需要记录到达。 Only an emergency has an arrival.';
    case ERRORS.noteRequired.code:
      return '请先写下处理结果，再点“已解决”。 Write the outcome first, then tap Resolved.';
    default:
      return '没能记录，请稍后再试，或打开仪表盘处理。 It could not be recorded: try again, or use the dashboard.';
  }
}

function layout(title: string, bodyClass: string, main: string, at: PageAt = 'link'): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${PATHS[at].css}">
</head>
<body class="${bodyClass}">
<main>
${main}
</main>
</body>
</html>
`;
}

function people(alert: Alert, now: number): string {
  const rows: string[] = [];
  if (alert.acknowledgedBy !== null && alert.acknowledgedAt !== null)
    rows.push(
      `<li>${escapeHtml(alert.acknowledgedBy)} 正在处理 · ${escapeHtml(ago(alert.acknowledgedAt, now)[0])} ${en(`on it, ${ago(alert.acknowledgedAt, now)[1]}`)}</li>`,
    );
  if (alert.arrivedBy !== null && alert.arrivedAt !== null)
    rows.push(
      `<li>${escapeHtml(alert.arrivedBy)} 已到达 · ${escapeHtml(ago(alert.arrivedAt, now)[0])} ${en(`arrived, ${ago(alert.arrivedAt, now)[1]}`)}</li>`,
    );
  if (alert.resolvedBy !== null)
    rows.push(
      `<li>${escapeHtml(alert.resolvedBy)} 已解决${alert.resolutionNote ? `：${escapeHtml(alert.resolutionNote)}` : ''} ${en('resolved')}</li>`,
    );
  if (rows.length === 0) return `<p class="nobody">还没有人在路上。 ${en('Nobody is on the way yet.')}</p>`;
  return `<ul class="people">${rows.join('')}</ul>`;
}

function button(token: string, action: AckAction): string {
  return `<form method="post" action="${escapeHtml(token)}"><button class="btn ${action}" type="submit" name="action" value="${action}">${escapeHtml(ACTION_WORDS[action][0])}${en(ACTION_WORDS[action][1])}</button></form>`;
}

function actions(m: AckPageModel): string {
  const { alert } = m;
  if (alert.status === 'resolved') return '';
  const forms: string[] = [];
  if (alert.status === 'open') forms.push(button(m.token, 'ack'));
  if (alert.kind === 'emergency' && alert.arrivedAt === null) forms.push(button(m.token, 'arrive'));
  forms.push(
    `<form method="post" action="${escapeHtml(m.token)}" class="resolve">` +
      `<label for="note">处理结果（必填） ${en('Outcome (required)')}</label>` +
      `<textarea id="note" name="note" rows="3" maxlength="2000" required>${escapeHtml(m.note)}</textarea>` +
      `<button class="btn resolve" type="submit" name="action" value="resolve">${escapeHtml(ACTION_WORDS.resolve[0])}${en(ACTION_WORDS.resolve[1])}</button>` +
      '</form>',
  );
  return `<section class="actions">${forms.join('\n')}</section>`;
}

function since(kind: AlertKind): readonly [string, string] {
  switch (kind) {
    case 'emergency':
    case 'service':
      return ['按下于', 'pressed'];
    case 'missed_checkin':
    case 'device':
      return ['发现于', 'noticed'];
    default:
      return assertNever(kind);
  }
}

/** The page of a good link: the household, how long ago, who is on it, and the buttons. */
export function renderAckPage(m: AckPageModel): string {
  const { alert, household: h, now } = m;
  const [kindZh, kindEn] = KIND[alert.kind];
  const address = [h.compound, h.building, h.room].filter((p) => p !== '').join(' ');
  const [sinceZh, sinceEn] = since(alert.kind);
  const [agoZh, agoEn] = ago(alert.openedAt, now);
  const until = clockTime(m.expiresAt, h.timezone, true);
  const done =
    m.done === null
      ? ''
      : `<p class="done" role="status">已记录：${escapeHtml(ACTION_WORDS[m.done][0])} ${en(`Recorded: ${ACTION_WORDS[m.done][1]}`)}</p>`;
  const refusal = m.refusal === null ? '' : `<p class="refusal" role="alert">${escapeHtml(m.refusal)}</p>`;
  const main = `<header class="banner"><h1>${escapeHtml(kindZh)} ${en(kindEn)}</h1></header>
${done}${refusal}
<section class="where">
<p class="household">${escapeHtml(h.name)}</p>
<p class="address">${escapeHtml(address)}</p>
<p class="since">${sinceZh} ${escapeHtml(clockTime(alert.openedAt, h.timezone, now - alert.openedAt >= 12 * 60 * 60_000))} · <strong>${escapeHtml(agoZh)}</strong> ${en(`${sinceEn} ${agoEn}`)}</p>
</section>
<section class="state">
<p class="status">${both(STATUS[alert.status])}</p>
${people(alert, now)}
</section>
${actions(m)}
<footer><p>记录为：${escapeHtml(m.you)}。此链接只给你本人，有效至 ${escapeHtml(until)}。 ${en(`Recorded as ${m.you}. This link is yours alone and works until ${until}.`)}</p></footer>`;
  return layout(`${kindZh} · ${h.name} — 彩带之约`, `kind-${alert.kind} status-${alert.status}`, main);
}

export type PlainPage = 'invalid' | 'expired' | 'tooMany' | 'badRequest' | 'origin' | 'failed';

const PLAIN: Record<PlainPage, { title: string; zh: string; en: string }> = {
  invalid: {
    title: '链接无效',
    zh: '这个链接无效或已失效，什么也没有改变。请打开彩带之约仪表盘处理，或致电社区。',
    en: 'This link is not valid (any more); nothing was changed. Open the dashboard, or call the community.',
  },
  expired: {
    title: '链接已过期',
    zh: '这个链接已过期，什么也没有改变。请打开彩带之约仪表盘处理，或致电社区。',
    en: 'This link has expired; nothing was changed. Open the dashboard, or call the community.',
  },
  tooMany: {
    title: '操作太频繁',
    zh: '操作太频繁，请稍等一分钟再试。什么也没有改变。',
    en: 'Too many taps: wait a minute and try again. Nothing was changed.',
  },
  badRequest: {
    title: '请求无效',
    zh: '请求无效，什么也没有改变。请重新打开短信里的链接。',
    en: 'The request was not understood; nothing was changed. Open the link in the SMS again.',
  },
  origin: {
    title: '请求被拒绝',
    zh: '这个请求不是从本页面发出的，已拒绝，什么也没有改变。请重新打开短信里的链接。',
    en: 'This request did not come from this page and was refused; nothing was changed. Open the link in the SMS again.',
  },
  failed: {
    title: '暂时无法记录',
    zh: '服务器暂时无法记录，请稍后再试，或打开仪表盘处理，或致电社区。',
    en: 'The server could not record it just now: try again, use the dashboard, or call the community.',
  },
};

/** A plain page that says what went wrong and what to do instead; it has no buttons. */
export function renderPlainPage(which: PlainPage, at: PageAt = 'link'): string {
  const p = PLAIN[which];
  const main = `<header class="banner plain"><h1>${escapeHtml(p.title)}</h1></header>
<p class="message">${escapeHtml(p.zh)}</p>
<p class="message">${en(p.en)}</p>
<p><a class="dashboard" href="${PATHS[at].dashboard}">打开仪表盘 ${en('Open the dashboard')}</a></p>`;
  return layout(`${p.title} — 彩带之约`, 'plain', main, at);
}

/** The longest input the field takes: 8 characters and a few spaces or hyphens between them. */
export const ACK_CODE_FIELD_MAX = 12;

/**
 * The page at `/a` (a Tencent SMS's fixed address): one field for the 处理码 and 打开, posting to
 * `/a` itself. `wrong`: a code was tried and opened nothing (malformed, unknown or expired: the
 * person is told the same); what they typed is given back in the field (escaped, cut to the
 * field's length).
 */
export function renderCodePage(m: { typed: string; wrong: boolean }): string {
  const problem = m.wrong
    ? `<p class="refusal" role="alert">处理码不对或已过期，什么也没有改变。请核对短信里的处理码再试，或打开仪表盘处理。 ${en('The code is wrong or has expired; nothing was changed. Check the code in the SMS and try again, or open the dashboard.')}</p>\n`
    : '';
  const typed = escapeHtml(m.typed.slice(0, ACK_CODE_FIELD_MAX));
  const main = `<header class="banner plain"><h1>输入处理码 ${en('Enter the code')}</h1></header>
${problem}<form method="post" action="a" class="code">
<p class="hint">处理码在通知短信里：8 位字母和数字。 ${en('The code is in the SMS: 8 letters and digits.')}</p>
<label for="code">处理码 ${en('Code')}</label>
<input id="code" name="code" type="text" value="${typed}" maxlength="${ACK_CODE_FIELD_MAX}" required autofocus autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" inputmode="text" enterkeyhint="go">
<button class="btn open" type="submit">打开${en('Open')}</button>
</form>
<p class="message"><a class="dashboard" href="${PATHS.entry.dashboard}">打开仪表盘 ${en('Open the dashboard')}</a></p>`;
  return layout('输入处理码 — 彩带之约', 'plain code-entry', main, 'entry');
}
