/**
 * Per-device limits on unreadable messages, pure (issue 16): a device with valid credentials
 * that sends junk (bad JSON, bad fields, a payload nothing can read) must not fill the rejected
 * log or the alert list. Each device has a tally; in each window (fixed, starting with the first
 * unreadable message after the previous window ended) its first `keepPerDevice` unreadable
 * messages are kept raw in the rejected log, and the rest are only counted:
 *
 *   unreadable, fewer than keepPerDevice kept in this window ──▶ keep (raw row, device alert as before)
 *   unreadable, keepPerDevice already kept in this window ─────▶ count only (no row; the first such
 *                                                                 one of the window is `overLimit`)
 *   window over (or the clock stepped back) ──────────────────▶ a new window: keeping again
 *
 * `since` and `total` never reset: "this device sent 48,211 unreadable messages since …".
 * Readable messages of the same device never pass here: a red from a device that also sends
 * junk is a press like any other.
 */

export type RejectLimits = Readonly<{
  /** Unreadable messages kept raw per device per window; the rest are only counted. */
  keepPerDevice: number;
  /** The window's length (ms). */
  windowMs: number;
  /** Rows of the rejected log at most, all devices together; the oldest go first. */
  maxRows: number;
}>;

export const DEFAULT_REJECT_LIMITS: RejectLimits = Object.freeze({
  keepPerDevice: 100,
  windowMs: 3_600_000,
  // At the 4 KiB packet cap, about 200 MB of payloads at most.
  maxRows: 50_000,
});

/** One device's unreadable messages (stored in device_rejects). */
export type RejectTally = Readonly<{
  deviceId: string;
  /** The first unreadable message on record (ms). */
  since: number;
  /** Unreadable messages since `since`, kept and counted. */
  total: number;
  /** Of `total`, those only counted (not kept). */
  counted: number;
  /** The current window began here (ms). */
  windowStart: number;
  keptInWindow: number;
  countedInWindow: number;
  /** The latest unreadable message (ms). */
  lastAt: number;
}>;

export type RejectDecision = {
  tally: RejectTally;
  /** Keep the message raw (true) or only count it (false). */
  keep: boolean;
  /** The first message of this window past the limit: say so once (log, the alert's reason). */
  overLimit: boolean;
};

/** One more unreadable message from this device at `now`: keep it or only count it. */
export function tallyReject(
  deviceId: string,
  tally: RejectTally | null,
  limits: Pick<RejectLimits, 'keepPerDevice' | 'windowMs'>,
  now: number,
): RejectDecision {
  const base: RejectTally = tally ?? {
    deviceId,
    since: now,
    total: 0,
    counted: 0,
    windowStart: now,
    keptInWindow: 0,
    countedInWindow: 0,
    lastAt: now,
  };
  // A clock stepped back starts a window too: a device must not stay muted for the step.
  const fresh = now >= base.windowStart + limits.windowMs || now < base.windowStart;
  const current = fresh ? { ...base, windowStart: now, keptInWindow: 0, countedInWindow: 0 } : base;
  const keep = current.keptInWindow < limits.keepPerDevice;
  const next: RejectTally = {
    ...current,
    total: current.total + 1,
    counted: current.counted + (keep ? 0 : 1),
    keptInWindow: current.keptInWindow + (keep ? 1 : 0),
    countedInWindow: current.countedInWindow + (keep ? 0 : 1),
    lastAt: Math.max(current.lastAt, now),
  };
  return { tally: next, keep, overLimit: !keep && current.countedInWindow === 0 };
}

/** The start of the reason part a device's tally writes on its household's `device` alert. */
export function overLimitReasonKey(deviceId: string): string {
  return `设备 ${deviceId} 无法读取的消息过多`;
}

/**
 * The alert's reason part for a device over its limit, with its count (rewritten as the count
 * grows): Chinese first, English second.
 */
export function overLimitReason(tally: RejectTally, limits: Pick<RejectLimits, 'keepPerDevice' | 'windowMs'>): string {
  const since = new Date(tally.since).toISOString();
  const per = limits.windowMs % 3_600_000 === 0 ? `${limits.windowMs / 3_600_000} h` : `${limits.windowMs / 1000} s`;
  return (
    `${overLimitReasonKey(tally.deviceId)}：自 ${since} 起共 ${tally.total} 条，每 ${per} 只保留前 ${limits.keepPerDevice} 条 / ` +
    `device ${tally.deviceId} sent ${tally.total} unreadable messages since ${since}; only the first ${limits.keepPerDevice} per ${per} are kept`
  );
}

/**
 * `reason` (parts joined by `separator`) with the part starting with `key` replaced by `part`,
 * put first: a stored reason is cut at its end when long, and the count must stay readable.
 */
export function replaceReasonPart(reason: string | null, key: string, part: string, separator: string): string {
  const parts = (reason ?? '').split(separator).filter((p) => p !== '' && !p.startsWith(key));
  return [part, ...parts].join(separator);
}
