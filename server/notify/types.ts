import type { PhoneNotice } from './phone.js';

/**
 * What a notification channel receives and answers (docs/design.md §2 `notify/`). A channel is an
 * adapter in the healthchecks style: one `send()`, and a failure says whether trying again can
 * help (`permanent: false`) or not (`permanent: true`: a wrong key, a refused signature, a
 * malformed request). The outbox worker decides when to retry; a channel never sleeps or loops.
 */

export const NOTIFY_EVENTS = [
  'alert.opened',
  'alert.escalated',
  'alert.reminder',
  'alert.acknowledged',
  'alert.resolved',
  'report.daily',
] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

export type NotificationMessage = {
  /** Stable id of the outbox row: receivers can deduplicate retries with it. */
  id: string;
  /** What happened, for machines. */
  event: NotifyEventName;
  alert?: {
    id: number;
    kind: 'emergency' | 'service' | 'missed_checkin' | 'device';
    status: 'open' | 'acknowledged' | 'resolved';
    tier: number;
    openedAt: string;
    reportCount: number;
    /**
     * When a person acknowledged it (ISO time); absent or null while nobody has. Lets a
     * reminder say how long an acknowledged alert has gone without an outcome.
     */
    acknowledgedAt?: string | null;
    /** The stored reason (device faults: "offline", "battery 12 %", "unreadable message: …"). */
    reason?: string | null;
  };
  household?: { id: number; name: string; compound: string; building: string; room: string };
  /** Whom it is for (a tier's people): shown and @-mentioned in group robots. */
  recipients: Array<{ name: string; phone: string | null; role: string }>;
  /** Human text, zh-CN first then English, already composed by formatMessage. */
  title: string;
  text: string;
  /** ISO time of the event. */
  at: string;
  /** For report.daily: the figures (see DailyReportFigures in format.ts). */
  data?: Record<string, unknown>;
  /** A person's own phone (SMS or call, server/notify/phone.ts): then `recipients` is that one person. */
  phone?: PhoneNotice;
};

export type SendResult =
  /** `ref`: the provider's id for what it accepted (an SMS's BizId, a call's CallId), for call results later. */
  | { ok: true; status?: number; ref?: string }
  | {
      ok: false;
      permanent: boolean;
      error: string;
      status?: number;
      /**
       * Transient failures only: the receiver's own word on when to try again (HTTP
       * Retry-After, or a robot's documented throttle window). A hint for the outbox; it
       * never shortens the backoff (see retryDelayMs' `atLeastMs`).
       */
      retryAfterMs?: number;
    };

export { CHANNEL_KINDS, type ChannelKind } from '../../protocol/community.js';
import type { ChannelKind } from '../../protocol/community.js';

export interface Channel {
  readonly kind: ChannelKind;
  /**
   * Delivers one message in one HTTP request. Never throws for delivery problems: network
   * errors, timeouts and an aborted `signal` are transient failures.
   */
  send(message: NotificationMessage, signal?: AbortSignal): Promise<SendResult>;
}
