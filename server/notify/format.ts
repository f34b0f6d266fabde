import { DEFAULT_TIME_ZONE } from '../../protocol/ribbon.js';
import { assertNever } from '../domain/ribbon.js';
import type { NotificationMessage } from './types.js';
import { localDate, localDateTime } from '../domain/zoned-time.js';

/**
 * The human text of a notification: read on a phone in a work group (WeCom, DingTalk), so
 * short plain lines, Chinese first and English after ` / ` on the same line. The ribbon is
 * always told by word and by an emoji icon, never by colour alone (robots render no colour,
 * and not everyone tells red from yellow). Pure: times come from the message, the time zone
 * from the options.
 */

export type MessageInput = Omit<NotificationMessage, 'title' | 'text'>;
export type FormatOptions = {
  /** Time zone of the clock times shown (default DEFAULT_TIME_ZONE, as households: docs/design.md). */
  timeZone?: string;
};

type AlertKind = NonNullable<NotificationMessage['alert']>['kind'];

/** Word and icon of each alert kind (docs/design.md §1). Silence has no ribbon: an alarm clock. */
export const KIND_LABELS = {
  emergency: { icon: '🔴', zh: '红色紧急', en: 'RED' },
  service: { icon: '🟡', zh: '黄色服务', en: 'YELLOW' },
  missed_checkin: { icon: '⏰', zh: '未报平安', en: 'NO CHECK-IN' },
  device: { icon: '🔧', zh: '设备故障', en: 'DEVICE' },
} as const satisfies Record<AlertKind, { icon: string; zh: string; en: string }>;

const REPORT_LABEL = { icon: '📋', zh: '每日报告', en: 'DAILY REPORT' } as const;

/**
 * The figures of `report.daily`, read from `data`. Every key is optional; a missing or
 * non-numeric one is left out of the text. Percentages are 0-100.
 */
export type DailyReportFigures = {
  /** What the report covers (a compound, a community) and for which day (YYYY-MM-DD). */
  scope?: string;
  date?: string;
  households?: number;
  checkedIn?: number;
  missedCheckins?: number;
  away?: number;
  red?: number;
  yellow?: number;
  openAlerts?: number;
  redAckWithin60sPct?: number;
  redAckWithin180sPct?: number;
  devicesOffline?: number;
  lowBattery?: number;
};

export function formatMessage(input: MessageInput, options: FormatOptions = {}): { title: string; text: string } {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  switch (input.event) {
    case 'report.daily':
      return formatDailyReport(input, timeZone);
    case 'alert.opened':
    case 'alert.escalated':
    case 'alert.reminder':
    case 'alert.acknowledged':
    case 'alert.resolved':
      return formatAlert(input, input.event, timeZone);
    default:
      return assertNever(input.event);
  }
}

type AlertEvent = Exclude<NotificationMessage['event'], 'report.daily'>;

function formatAlert(input: MessageInput, event: AlertEvent, timeZone: string): { title: string; text: string } {
  const alert = input.alert;
  const who = place(input.household);
  if (alert === undefined) {
    // A bug upstream, but a notification must still say something readable.
    return { title: `【提醒 ALERT】${who}`, text: `${EVENT_WORDS[event].zh} / ${EVENT_WORDS[event].en}` };
  }
  const label = KIND_LABELS[alert.kind];
  const tag =
    event === 'alert.opened' ? '' : `${EVENT_WORDS[event].icon} ${EVENT_WORDS[event].zh} ${EVENT_WORDS[event].en} · `;
  const title = `${label.icon}【${label.zh} ${label.en}】${tag}${who}`;

  const openedMs = Date.parse(alert.openedAt);
  const atMs = Date.parse(input.at);
  const sinceOpened = duration(atMs - openedMs);
  const lines: string[] = [];
  switch (event) {
    case 'alert.opened':
      lines.push(
        `${OPENED[alert.kind].zh}，已通知第${alert.tier}级 / ${OPENED[alert.kind].en}, tier ${alert.tier} notified`,
      );
      lines.push(`${TODO[alert.kind].zh} / ${TODO[alert.kind].en}`);
      break;
    case 'alert.escalated':
      lines.push(
        `${sinceOpened.zh}无人响应，已升级通知第${alert.tier}级 / Not acknowledged for ${sinceOpened.en}, escalated to tier ${alert.tier}`,
      );
      lines.push(`${TODO[alert.kind].zh} / ${TODO[alert.kind].en}`);
      break;
    case 'alert.reminder': {
      const ackMs = alert.acknowledgedAt == null ? Number.NaN : Date.parse(alert.acknowledgedAt);
      if (alert.status === 'acknowledged' && !Number.isNaN(ackMs)) {
        const sinceAck = duration(atMs - ackMs);
        lines.push(`已响应${sinceAck.zh}仍未解决 / Acknowledged ${sinceAck.en} ago, not resolved yet`);
        lines.push('处理完请在看板上填写结果结案 / When done, resolve it on the dashboard with a note');
      } else if (alert.status === 'acknowledged') {
        lines.push('已响应但仍未解决 / Acknowledged but not resolved yet');
        lines.push('处理完请在看板上填写结果结案 / When done, resolve it on the dashboard with a note');
      } else {
        lines.push(
          `${sinceOpened.zh}仍无人响应（第${alert.tier}级） / Still not acknowledged after ${sinceOpened.en} (tier ${alert.tier})`,
        );
        lines.push(`${TODO[alert.kind].zh} / ${TODO[alert.kind].en}`);
      }
      break;
    }
    case 'alert.acknowledged': {
      const ackMs = alert.acknowledgedAt == null ? atMs : Date.parse(alert.acknowledgedAt);
      const took = duration(ackMs - openedMs);
      lines.push(`已有人响应，正在处理（用时${took.zh}） / Acknowledged after ${took.en}, help is on the way`);
      break;
    }
    case 'alert.resolved':
      lines.push(`已解决（共${sinceOpened.zh}） / Resolved after ${sinceOpened.en}`);
      break;
    default:
      return assertNever(event);
  }
  if (alert.reason != null && alert.reason.trim() !== '') lines.push(`原因 / Reason: ${alert.reason.trim()}`);
  const opened = clock(openedMs, timeZone);
  lines.push(
    opened === null
      ? `开始 / Since: ${alert.openedAt}`
      : `开始于 ${opened}（${sinceOpened.zh}前） / Since ${opened} (${sinceOpened.en} ago)`,
  );
  if (alert.kind === 'emergency' || alert.kind === 'service') {
    lines.push(`按键 ${alert.reportCount} 次 / Presses: ${alert.reportCount}`);
  }
  const to = recipients(input.recipients);
  if (to !== null) lines.push(`通知 To: ${to}`);
  return { title, text: lines.join('\n') };
}

const EVENT_WORDS = {
  'alert.opened': { icon: '🆕', zh: '新警报', en: 'NEW' },
  'alert.escalated': { icon: '⏫', zh: '升级', en: 'ESCALATED' },
  'alert.reminder': { icon: '🔁', zh: '提醒', en: 'REMINDER' },
  'alert.acknowledged': { icon: '🙋', zh: '已响应', en: 'ACKNOWLEDGED' },
  'alert.resolved': { icon: '✅', zh: '已解决', en: 'RESOLVED' },
} as const satisfies Record<AlertEvent, { icon: string; zh: string; en: string }>;

const OPENED = {
  emergency: { zh: '按下红色求助按钮', en: 'Pressed RED' },
  service: { zh: '按下黄色服务按钮', en: 'Pressed YELLOW' },
  missed_checkin: { zh: '今天没有报平安', en: 'No check-in today' },
  device: { zh: '求助按钮设备异常', en: 'Button device fault' },
} as const satisfies Record<AlertKind, { zh: string; en: string }>;

const TODO = {
  emergency: { zh: '请立即上门', en: 'Go to the door now' },
  service: { zh: '请今天上门询问需要什么', en: 'Visit today and ask what is needed' },
  missed_checkin: { zh: '请上门或致电确认平安', en: 'Visit or call to make sure all is well' },
  device: { zh: '请检查按钮的电池和网络', en: "Check the button's battery and network" },
} as const satisfies Record<AlertKind, { zh: string; en: string }>;

function formatDailyReport(input: MessageInput, timeZone: string): { title: string; text: string } {
  const data = input.data ?? {};
  const scope = text(data['scope']) ?? (input.household === undefined ? '' : input.household.compound);
  const date = text(data['date']) ?? day(Date.parse(input.at), timeZone) ?? input.at;
  const title = `${REPORT_LABEL.icon}【${REPORT_LABEL.zh} ${REPORT_LABEL.en}】${[scope, date].filter((s) => s !== '').join(' ')}`;

  const n = (key: keyof DailyReportFigures): number | null => count(data[key]);
  const lines: string[] = [];
  const households = n('households');
  const checkedIn = n('checkedIn');
  if (checkedIn !== null && households !== null)
    lines.push(`🔵 报平安 ${checkedIn}/${households} 户 / Checked in: ${checkedIn} of ${households}`);
  else if (checkedIn !== null) lines.push(`🔵 报平安 ${checkedIn} 户 / Checked in: ${checkedIn}`);
  else if (households !== null) lines.push(`住户 ${households} 户 / Households: ${households}`);
  const missed = n('missedCheckins');
  if (missed !== null) lines.push(`${KIND_LABELS.missed_checkin.icon} 未报平安 ${missed} 户 / No check-in: ${missed}`);
  const away = n('away');
  if (away !== null) lines.push(`外出 ${away} 户 / Away: ${away}`);
  const red = n('red');
  const yellow = n('yellow');
  if (red !== null || yellow !== null) {
    const zh = [
      red === null ? null : `🔴 红色紧急 ${red} 次`,
      yellow === null ? null : `🟡 黄色服务 ${yellow} 次`,
    ].filter((s) => s !== null);
    const en = [red === null ? null : `RED ${red}`, yellow === null ? null : `YELLOW ${yellow}`].filter(
      (s) => s !== null,
    );
    lines.push(`${zh.join('，')} / ${en.join(', ')}`);
  }
  const ack60 = n('redAckWithin60sPct');
  const ack180 = n('redAckWithin180sPct');
  if (ack60 !== null || ack180 !== null) {
    const zh = [ack60 === null ? null : `60秒内 ${ack60}%`, ack180 === null ? null : `180秒内 ${ack180}%`].filter(
      (s) => s !== null,
    );
    const en = [
      ack60 === null ? null : `${ack60}% within 60 s`,
      ack180 === null ? null : `${ack180}% within 180 s`,
    ].filter((s) => s !== null);
    lines.push(`红色响应：${zh.join('，')} / RED acknowledged: ${en.join(', ')}`);
  }
  const open = n('openAlerts');
  if (open !== null) lines.push(`未结案 ${open} 件 / Open alerts: ${open}`);
  const offline = n('devicesOffline');
  const low = n('lowBattery');
  if (offline !== null || low !== null) {
    const zh = [offline === null ? null : `离线 ${offline} 台`, low === null ? null : `电量低 ${low} 台`].filter(
      (s) => s !== null,
    );
    const en = [offline === null ? null : `${offline} offline`, low === null ? null : `${low} low battery`].filter(
      (s) => s !== null,
    );
    lines.push(`${KIND_LABELS.device.icon} 设备：${zh.join('，')} / Devices: ${en.join(', ')}`);
  }
  if (lines.length === 0) lines.push('暂无数据 / No figures');
  return { title, text: lines.join('\n') };
}

function place(household: MessageInput['household']): string {
  if (household === undefined) return '未知住户 unknown household';
  return [household.compound, household.building, household.room, household.name]
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(' ');
}

function recipients(list: MessageInput['recipients']): string | null {
  if (list.length === 0) return null;
  const shown = list.slice(0, 8).map((r) => (r.role.trim() === '' ? r.name : `${r.name}(${r.role})`));
  const more = list.length > shown.length ? ` +${list.length - shown.length}` : '';
  return shown.join('、') + more;
}

/** A duration in both languages: 45秒 / 45 s, 2分钟 / 2 min, 1小时5分钟 / 1 h 5 min, 2天3小时 / 2 d 3 h. */
export function duration(ms: number): { zh: string; en: string } {
  const total = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  if (total < 60) return { zh: `${total}秒`, en: `${total} s` };
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return { zh: `${minutes}分钟`, en: `${minutes} min` };
  const hours = Math.floor(minutes / 60);
  const restMin = minutes % 60;
  if (hours < 24) {
    return restMin === 0
      ? { zh: `${hours}小时`, en: `${hours} h` }
      : { zh: `${hours}小时${restMin}分钟`, en: `${hours} h ${restMin} min` };
  }
  const days = Math.floor(hours / 24);
  const restH = hours % 24;
  return restH === 0
    ? { zh: `${days}天`, en: `${days} d` }
    : { zh: `${days}天${restH}小时`, en: `${days} d ${restH} h` };
}

/** `MM-DD HH:mm` in the time zone (the same in both languages). */
function clock(ms: number, timeZone: string): string | null {
  return Number.isNaN(ms) ? null : localDateTime(ms, timeZone).slice(5);
}

function day(ms: number, timeZone: string): string | null {
  return Number.isNaN(ms) ? null : localDate(ms, timeZone);
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 10) / 10 : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
