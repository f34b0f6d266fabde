import { addChannel, callbackPath } from '../app/channels.js';
import { scheduleOf } from '../app/check-ins.js';
import { setCheckInSchedule } from '../app/set-check-in-schedule.js';
import { mediumOf } from '../notify/phone.js';
import type { SqliteStores } from '../store/index.js';
import { findScope } from './places.js';
import { both, missingOption, UsageError } from './usage-error.js';

/**
 * `add-channel` and `set-checkin` (server/admin/main.ts dispatches): their options checked,
 * the rules the API's (app/channels.ts, app/set-check-in-schedule.ts), every message in Chinese
 * and English.
 */

type Out = { write(text: string): void };
type Values = Partial<
  Record<
    | 'kind'
    | 'url'
    | 'secret'
    | 'config'
    | 'endpoint'
    | 'name'
    | 'compound'
    | 'household'
    | 'deadline'
    | 'every'
    | 'grace'
    | 'quiet'
    | 'away-until'
    | 'timezone',
    string
  >
> & { json?: boolean };

function need(command: string, values: Values, name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw missingOption(command, name);
  return value;
}

/** A whole number ≥ 0, or exit 2. */
export function wholeNumber(option: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new UsageError(`--${option} 应为整数`, `--${option} takes a whole number`);
  return n;
}

function jsonObject(option: string, raw: string): Record<string, unknown> {
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch {
    input = null;
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new UsageError(`--${option} 应为 JSON 对象`, `--${option} must be a JSON object`);
  return input as Record<string, unknown>;
}

export function addChannelCommand(
  values: Values,
  s: SqliteStores,
  now: number,
  publicBase: () => string,
  out: Out,
): number {
  const kind = need('add-channel', values, 'kind');
  let settings: Record<string, unknown>;
  if (mediumOf(kind) !== null) {
    if (values.url !== undefined || values.secret !== undefined)
      throw new UsageError(
        `${kind} 用 --config（及 --endpoint），不用 --url 或 --secret`,
        `${kind} takes --config (and --endpoint), not --url or --secret`,
      );
    settings = {
      ...jsonObject('config', need('add-channel', values, 'config')),
      ...(values.endpoint ? { endpoint: values.endpoint } : {}),
    };
  } else {
    if (values.config !== undefined || values.endpoint !== undefined)
      throw new UsageError(
        `${kind} 用 --url（及 --secret），不用 --config 或 --endpoint`,
        `${kind} takes --url (and --secret), not --config or --endpoint`,
      );
    settings = {
      url: need('add-channel', values, 'url'),
      ...(values.secret !== undefined ? { secret: values.secret } : {}),
    };
  }
  const compoundId = values.compound === undefined ? null : findScope(s, values.compound, undefined).compoundId;
  const added = addChannel(s, { name: values.name, compoundId, config: { ...settings, kind } }, now);
  if (!added.ok) throw new UsageError(`通知渠道设置不正确：${added.reason}`, `channel: ${added.reason}`);
  const id = added.channel.id;
  const callbackUrl = added.callbackKey === null ? null : `${publicBase()}${callbackPath(id, added.callbackKey)}`;
  if (values.json) {
    out.write(`${JSON.stringify({ id, ...(callbackUrl === null ? {} : { callbackUrl }) })}\n`);
    return 0;
  }
  out.write(both(`已添加通知渠道 ${id}`, `channel ${id} added`));
  if (callbackUrl !== null) {
    out.write(`回调地址 callback URL ${callbackUrl}\n`);
    out.write(
      both(
        '只显示这一次：请粘贴到服务商控制台，用于接收通话结果',
        "shown only now: paste it into the provider's console for call results",
      ),
    );
  }
  return 0;
}

export function setCheckInCommand(values: Values, s: SqliteStores, out: Out): number {
  const householdId = wholeNumber('household', need('set-checkin', values, 'household'));
  const stored = s.places.schedule(householdId);
  if (stored === null) throw new UsageError(`住户 ${householdId} 不存在`, `household ${householdId} does not exist`);
  const current = scheduleOf(stored);
  const interval = current.policy.kind === 'interval' ? current.policy : { everySec: 86_400, graceSec: 7_200 };
  let policy = current.policy;
  if (values.deadline !== undefined) policy = { kind: 'deadline', time: values.deadline };
  else if (values.every !== undefined || values.grace !== undefined) {
    policy = {
      kind: 'interval',
      everySec: values.every !== undefined ? wholeNumber('every', values.every) : interval.everySec,
      graceSec: values.grace !== undefined ? wholeNumber('grace', values.grace) : interval.graceSec,
    };
  }
  let quietHours = current.quietHours;
  if (values.quiet !== undefined) {
    const m = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(values.quiet);
    if (values.quiet !== 'none' && m === null)
      throw new UsageError('--quiet 应为 HH:MM-HH:MM 或 none', '--quiet takes HH:MM-HH:MM or none');
    quietHours = m === null ? null : { start: m[1] as string, end: m[2] as string };
  }
  const away = values['away-until'];
  const awayUntil = away === undefined ? current.awayUntil : away === 'none' ? null : away;
  const set = setCheckInSchedule(s, householdId, { policy, timeZone: values.timezone, quietHours, awayUntil });
  if (!set.ok) throw new UsageError(`报平安设置不正确：${set.reason}`, `check-in: ${set.reason}`);
  const due = new Date(set.dueAt).toISOString();
  out.write(
    values.json
      ? `${JSON.stringify({ ...set.schedule, checkInDueAt: due })}\n`
      : both(
          `住户 ${householdId} 的报平安已设置，下次截止 ${due}`,
          `check-in of household ${householdId} set; next due ${due}`,
        ),
  );
  return 0;
}
