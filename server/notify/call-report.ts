import { isPlainObject } from '../domain/guards.js';

/**
 * What the voice providers push back about a call (issue 13, "record call results on the
 * timeline"), read into one vocabulary. Pure: the body in, the results out; the route
 * (api/routes/hooks.ts) matches them to our calls and answers as each provider expects.
 *
 * - Alibaba Cloud, 语音服务 HTTP 批量推送: a JSON array of VoiceReport items (the call's end:
 *   status_code 200000 answered … 200119 frequency limit, maybe smart_status_code) and
 *   VoiceCallReport items (its progress: 200101 started, 200201 ringing, 200102 answered,
 *   200100 ended). Times are Beijing time, "YYYY-MM-DD HH:mm:ss".
 * - Tencent Cloud, 语音消息回调: one object, `voiceprompt_callback` (result 0 answered, 1 not
 *   answered, 2 failed; times in Unix seconds), `voice_failure_callback` (failure_code 1 关机,
 *   2 通话中, 5 无人接听, 8 空号, 20 无应答) or `voicekey_callback` (keys pressed: not a result).
 */

export const CALL_RESULTS = ['answered', 'busy', 'no_answer', 'unreachable', 'failed', 'throttled'] as const;
export type CallResultWord = (typeof CALL_RESULTS)[number];

/** One call's result; `at` in epoch ms by the provider's clock, null when it gave none we read. */
export type CallReport = { callId: string; result: CallResultWord; detail: string; at: number | null };

/** `reports` to record; `skipped`: items read but not results (progress, keys), or unreadable ones. */
export type ParsedCallbacks = { ok: true; reports: CallReport[]; skipped: number } | { ok: false; reason: string };

/** A batch is at most this many items (Alibaba pushes up to 100; more is not a provider). */
export const MAX_ITEMS = 500;
const MAX_DETAIL = 200;

const ALIYUN_FINAL: Record<string, { result: CallResultWord; detail: string }> = {
  '200000': { result: 'answered', detail: '已接听' },
  '200001': { result: 'answered', detail: '已接听，未听完即挂断' },
  '200002': { result: 'busy', detail: '占线' },
  '200003': { result: 'no_answer', detail: '未接听' },
  '200005': { result: 'unreachable', detail: '无法接通' },
  '200007': { result: 'unreachable', detail: '无法接通' },
  '200010': { result: 'unreachable', detail: '无法接通' },
  '200011': { result: 'unreachable', detail: '无法接通' },
  '200119': { result: 'throttled', detail: '呼叫频率受限' },
};
/** VoiceCallReport: only "answered" is a result; started, ringing and ended are progress. */
const ALIYUN_PROGRESS = new Set(['200101', '200201', '200100']);
const ALIYUN_SMART: Record<string, { result: CallResultWord; detail: string }> = {
  ANSWERED: { result: 'answered', detail: '已接听' },
  NO_ANSWER: { result: 'no_answer', detail: '未接听' },
  USER_BUSY: { result: 'busy', detail: '占线' },
};

export function parseAliyunVoiceReports(body: unknown): ParsedCallbacks {
  if (!Array.isArray(body)) return { ok: false, reason: 'an Alibaba Cloud voice report is a JSON array' };
  if (body.length > MAX_ITEMS) return { ok: false, reason: `at most ${MAX_ITEMS} items in a batch` };
  const reports: CallReport[] = [];
  let skipped = 0;
  for (const item of body) {
    const report = isPlainObject(item) ? aliyunItem(item) : null;
    if (report === null) skipped += 1;
    else reports.push(report);
  }
  return { ok: true, reports, skipped };
}

function aliyunItem(item: Record<string, unknown>): CallReport | null {
  const callId = text(item['call_id']);
  const code = text(item['status_code']);
  if (callId === null || code === null) return null;
  const at = beijingTime(item['end_time']) ?? beijingTime(item['status_time']);
  const said = text(item['status_msg']);
  if (code === '200102') return { callId, result: 'answered', detail: '已接听', at };
  if (ALIYUN_PROGRESS.has(code)) return null;
  const known = ALIYUN_FINAL[code] ?? ALIYUN_SMART[text(item['smart_status_code']) ?? ''];
  if (known !== undefined) return { callId, ...known, detail: cut(said ?? known.detail), at };
  return { callId, result: 'failed', detail: cut(`${said ?? '呼叫失败'} (${code})`), at };
}

const TENCENT_FAILURE: Record<number, CallResultWord> = {
  1: 'unreachable',
  2: 'busy',
  5: 'no_answer',
  8: 'unreachable',
  20: 'no_answer',
};

export function parseTencentVoiceCallback(body: unknown): ParsedCallbacks {
  if (!isPlainObject(body)) return { ok: false, reason: 'a Tencent Cloud voice callback is a JSON object' };
  const prompt = body['voiceprompt_callback'];
  if (isPlainObject(prompt)) {
    const callId = text(prompt['callid']);
    const result = text(prompt['result']);
    if (callId === null || result === null) return { ok: true, reports: [], skipped: 1 };
    const at = unixSeconds(prompt['end_calltime']) ?? unixSeconds(prompt['accept_time']);
    const word: CallResultWord = result === '0' ? 'answered' : result === '1' ? 'no_answer' : 'failed';
    const detail = result === '0' ? '已接听' : result === '1' ? '未接听' : `呼叫失败 (${cut(result, 20)})`;
    return { ok: true, reports: [{ callId, result: word, detail, at }], skipped: 0 };
  }
  const failure = body['voice_failure_callback'];
  if (isPlainObject(failure)) {
    const callId = text(failure['callid']);
    const code = Number(failure['failure_code']);
    if (callId === null || !Number.isInteger(code)) return { ok: true, reports: [], skipped: 1 };
    const reason = text(failure['failure_reason']) ?? `failure_code ${code}`;
    return {
      ok: true,
      reports: [{ callId, result: TENCENT_FAILURE[code] ?? 'failed', detail: cut(reason), at: null }],
      skipped: 0,
    };
  }
  // Keys pressed during the call: nothing to record, but a well-formed push all the same.
  if (isPlainObject(body['voicekey_callback'])) return { ok: true, reports: [], skipped: 1 };
  return { ok: false, reason: 'expected voiceprompt_callback, voice_failure_callback or voicekey_callback' };
}

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const s = value.trim();
  return s === '' || s.length > MAX_DETAIL ? null : s;
}

function cut(s: string, max = MAX_DETAIL): string {
  return [...s].slice(0, max).join('');
}

/** "2024-03-08 12:00:05" in Beijing time (UTC+8, no daylight saving) → epoch ms. */
function beijingTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)$/.exec(value.trim());
  if (m === null) return null;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return Number.isNaN(ms) ? null : ms;
}

function unixSeconds(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n * 1000 : null;
}
