import { classifyStatus, httpFailure, snippet, type PostOutcome } from './http.js';
import type { NotificationMessage, SendResult } from './types.js';

/**
 * What the two group robots (WeCom, DingTalk) share: both answer HTTP 200 with
 * `{"errcode":0,"errmsg":"ok"}` on success and a non-zero errcode on failure, and both
 * @-mention by mobile number.
 */

export type ErrcodeClass = { permanent: boolean; retryAfterMs?: number; meaning: string };

/** The phones to @-mention: each once, in recipient order, blanks skipped. */
export function mentionPhones(recipients: NotificationMessage['recipients']): string[] {
  const seen = new Set<string>();
  for (const r of recipients) {
    const phone = r.phone?.trim() ?? '';
    if (phone !== '') seen.add(phone);
  }
  return [...seen];
}

/** Turns a robot's HTTP answer into a SendResult, using `classify` for non-zero errcodes. */
export function robotResult(
  outcome: PostOutcome,
  classify: (errcode: number) => ErrcodeClass,
  nowMs: number,
): SendResult {
  if (outcome.type === 'failed') return { ok: false, permanent: false, error: outcome.error };
  if (classifyStatus(outcome.status) !== 'ok') return httpFailure(outcome.status, outcome.headers, outcome.body, nowMs);
  let parsed: unknown;
  try {
    parsed = JSON.parse(outcome.body);
  } catch {
    // A proxy's or captive portal's page, or a cut-off answer: the robot itself may be fine.
    return {
      ok: false,
      permanent: false,
      status: outcome.status,
      error: `answer is not JSON: ${snippet(outcome.body)}`,
    };
  }
  const errcode = typeof parsed === 'object' && parsed !== null ? (parsed as { errcode?: unknown }).errcode : undefined;
  const errmsg = typeof parsed === 'object' && parsed !== null ? (parsed as { errmsg?: unknown }).errmsg : undefined;
  if (typeof errcode !== 'number') {
    return {
      ok: false,
      permanent: false,
      status: outcome.status,
      error: `answer has no errcode: ${snippet(outcome.body)}`,
    };
  }
  if (errcode === 0) return { ok: true, status: outcome.status };
  const c = classify(errcode);
  const error = `errcode ${errcode} (${c.meaning})${typeof errmsg === 'string' ? `: ${snippet(errmsg)}` : ''}`;
  if (c.permanent || c.retryAfterMs === undefined)
    return { ok: false, permanent: c.permanent, status: outcome.status, error };
  return { ok: false, permanent: false, status: outcome.status, error, retryAfterMs: c.retryAfterMs };
}
