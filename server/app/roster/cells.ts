import type { Tier } from '../../domain/alert.js';
import {
  checkSchedule,
  DEFAULT_CHECKIN,
  MAX_POLICY_SEC,
  MIN_EVERY_SEC,
  type CheckInPolicy,
  type QuietHours,
} from '../../domain/check-in.js';
import { mainlandMobile, NOT_A_MOBILE } from '../../domain/phone.js';
import { assertNever } from '../../domain/ribbon.js';
import { parseTimeOfDay } from '../../domain/zoned-time.js';
import type { PersonRole } from '../ports.js';
import { normalizeName } from './columns.js';
import { type RowError, rowError, type Said, said } from './format.js';

// One cell at a time: what a person may write in a column, and how the export writes it back
// (so that an export imports back unchanged).

export const MAX_NAME = 100;
/**
 * A phone cell: the one rule the API and the admin tool apply (server/domain/phone.ts) — a
 * mainland mobile, kept as its 11 digits (so the export writes what is stored); a problem in
 * words otherwise. `what` says whose number it is.
 */
export function parsePhone(
  text: string,
  what: readonly [zh: string, en: string],
): { ok: true; value: string } | ({ ok: false } & Said) {
  if (text === '')
    return {
      ok: false,
      ...said(
        `为空：${what[0]}必须有手机号（用于短信和电话通知）`,
        `is empty: ${what[1]} needs a mobile number (for text messages and calls)`,
      ),
    };
  const phone = mainlandMobile(text);
  return phone === null
    ? {
        ok: false,
        ...said(
          `"${text}" ${NOT_A_MOBILE}`,
          `"${text}" is not a mainland China mobile number: 11 digits starting 13–19 (+86, spaces or hyphens allowed)`,
        ),
      }
    : { ok: true, value: phone };
}

const DURATION_UNITS: ReadonlyArray<[RegExp, number]> = [
  [/^(天|days?|d)/, 86_400],
  [/^(小时|hours?|hrs?|h|时)/, 3_600],
  [/^(分钟|minutes?|mins?|m|分)/, 60],
  [/^(秒|seconds?|secs?|s)/, 1],
];

/** "24h", "1h30m", "2小时" → seconds; null if it is not a duration. */
function parseDuration(text: string): number | null {
  let rest = text;
  let total = 0;
  while (rest !== '') {
    const number = /^\d{1,7}/.exec(rest);
    if (number === null) return null;
    rest = rest.slice(number[0].length);
    const unit = DURATION_UNITS.find(([re]) => re.test(rest));
    if (unit === undefined) return null;
    rest = rest.replace(unit[0], '');
    total += Number(number[0]) * unit[1];
  }
  return text === '' ? null : total;
}

const CHECKIN_HELP = [
  '请写"24h+2h"（每 24 小时报一次平安，宽限 2 小时）或"每日10:00"（每天 10:00 前）；留空则用默认值 (24h+2h)',
  'write "24h+2h" (a check-in every 24 hours, 2 hours\' grace) or "每日10:00" / "daily 10:00" (every day by 10:00); leave it empty for the default (24h+2h)',
] as const;

/**
 * The check-in column: empty → null (the default policy); "24h+2h" / "每24小时+2小时" /
 * "1d" (interval: every, plus grace; units d/天, h/小时, m/分钟, s/秒) → interval;
 * "每日10:00" / "每天 9:30" / "daily 10:00" / "10:00" → a daily deadline (local time).
 */
export function parseCheckIn(text: string): { ok: true; value: CheckInPolicy | null } | ({ ok: false } & Said) {
  const t = text.normalize('NFKC').toLowerCase().replace(/\s/g, '');
  if (t === '') return { ok: true, value: null };
  const deadline = /^(?:每日|每天|daily|everyday)?(\d{1,2}):(\d{2})(?:前|之前)?$/.exec(t);
  if (deadline !== null) {
    const time = `${(deadline[1] as string).padStart(2, '0')}:${deadline[2] as string}`;
    if (parseTimeOfDay(time) === null)
      return {
        ok: false,
        ...said(
          `"${text}"：${time} 不是 00:00 到 23:59 之间的时刻`,
          `"${text}": ${time} is not a time of day from 00:00 to 23:59`,
        ),
      };
    return { ok: true, value: { kind: 'deadline', time } };
  }
  const interval = /^(?:每|every)?([^+]+)(?:\+([^+]+))?$/.exec(t);
  const everySec = interval ? parseDuration(interval[1] as string) : null;
  const graceSec = interval?.[2] === undefined ? 0 : parseDuration(interval[2]);
  if (everySec === null || graceSec === null)
    return {
      ok: false,
      ...said(`"${text}" 无法识别：${CHECKIN_HELP[0]}`, `"${text}" is not understood: ${CHECKIN_HELP[1]}`),
    };
  if (everySec < MIN_EVERY_SEC || everySec > MAX_POLICY_SEC)
    return {
      ok: false,
      ...said(`"${text}"：间隔应在 1 秒到 30 天之间`, `"${text}": the interval must be from 1 second to 30 days`),
    };
  if (graceSec > MAX_POLICY_SEC)
    return { ok: false, ...said(`"${text}"：宽限时间最多 30 天`, `"${text}": the grace must be at most 30 days`) };
  return { ok: true, value: { kind: 'interval', everySec, graceSec } };
}

function formatDuration(sec: number): string {
  if (sec % 3_600 === 0) return `${sec / 3_600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/** The check-in column as exported (read back by `parseCheckIn`); null → empty (the default). */
export function formatCheckIn(policy: CheckInPolicy | null): string {
  if (policy === null) return '';
  switch (policy.kind) {
    case 'interval':
      return policy.graceSec === 0
        ? formatDuration(policy.everySec)
        : `${formatDuration(policy.everySec)}+${formatDuration(policy.graceSec)}`;
    case 'deadline':
      return `每日${policy.time}`;
    default:
      return assertNever(policy);
  }
}

/** "22:00-07:00" (also `~`, `至`, `到`); empty, "无" or "none" → null. */
export function parseQuietHours(text: string): { ok: true; value: QuietHours } | ({ ok: false } & Said) {
  const t = text.normalize('NFKC').toLowerCase().replace(/\s/g, '');
  if (t === '' || t === '无' || t === 'none') return { ok: true, value: null };
  const m = /^(\d{1,2}:\d{2})[-~–—至到](\d{1,2}:\d{2})$/.exec(t);
  const start = m?.[1]?.padStart(5, '0');
  const end = m?.[2]?.padStart(5, '0');
  if (start === undefined || end === undefined || parseTimeOfDay(start) === null || parseTimeOfDay(end) === null) {
    return {
      ok: false,
      ...said(
        `"${text}" 无法识别：请写"22:00-07:00"（22:00 到 07:00 不因未报平安而报警），或留空`,
        `"${text}" is not understood: write "22:00-07:00" (no check-in alarm from 22:00 to 07:00), or leave it empty`,
      ),
    };
  }
  return { ok: true, value: { start, end } };
}

export function formatQuietHours(q: QuietHours): string {
  return q === null ? '' : `${q.start}-${q.end}`;
}

export const ROLE_WORDS: Record<PersonRole, string> = {
  volunteer: '志愿者',
  center_household: '党员中心户',
  grid_worker: '网格员',
  party_branch: '党支部',
  duty_officer: '值班员',
  staff: '工作人员',
};
const ROLE_ALIASES: Record<PersonRole, readonly string[]> = {
  volunteer: ['志愿者', '楼栋志愿者'],
  center_household: ['党员中心户', '中心户'],
  grid_worker: ['网格员'],
  party_branch: ['党支部', '支部'],
  duty_officer: ['值班员', '值班人员', '社区值班员'],
  staff: ['工作人员', '社区工作人员'],
};
/** docs/rules.md "The tiers"; staff have no usual tier and must give one. */
export const DEFAULT_TIER: Record<PersonRole, Tier | null> = {
  volunteer: 1,
  center_household: 1,
  grid_worker: 2,
  party_branch: 2,
  duty_officer: 3,
  staff: null,
};

const ROLE_BY_NAME = new Map<string, PersonRole>(
  (Object.keys(ROLE_ALIASES) as PersonRole[]).flatMap((role) =>
    [role, ...ROLE_ALIASES[role]].map((name) => [normalizeName(name), role] as const),
  ),
);

export function parseRole(text: string): PersonRole | null {
  return ROLE_BY_NAME.get(normalizeName(text)) ?? null;
}

/** "1", "一级", "第2梯队", "tier 3" → the tier; null if it is none of 1–3. */
export function parseTier(text: string): Tier | null {
  const m = /^(?:tier|第)?([123一二三])(?:级|层|梯队)?$/.exec(normalizeName(text));
  if (m === null) return null;
  return ({ '1': 1, '2': 2, '3': 3, 一: 1, 二: 2, 三: 3 } as const)[m[1] as '1' | '2' | '3' | '一' | '二' | '三'];
}

export function checkName(value: string, field: string, line: number, errors: RowError[], required = true): void {
  if (value === '') {
    if (required) errors.push(rowError(line, field, said('为空（必填）', 'is empty (required)')));
  } else if (value.length > MAX_NAME)
    errors.push(rowError(line, field, said(`超过 ${MAX_NAME} 个字符`, `is longer than ${MAX_NAME} characters`)));
}

/** A stored policy as the domain reads it; null for NULL (the default) or one that does not check. */
export function storedPolicy(policy: unknown): CheckInPolicy | null {
  if (policy === null) return null;
  const checked = checkSchedule({ policy, timeZone: 'UTC', quietHours: null, awayUntil: null });
  return checked.ok ? checked.value.policy : null;
}

export function storedQuietHours(quietHours: unknown): QuietHours {
  if (quietHours === null) return null;
  const checked = checkSchedule({ policy: DEFAULT_CHECKIN, timeZone: 'UTC', quietHours, awayUntil: null });
  return checked.ok ? checked.value.quietHours : null;
}
