import { createHmac, timingSafeEqual } from 'node:crypto';
import { DEFAULT_TIMEOUT_MS, checkHttpUrl, checkTimeoutMs, classifyStatus, httpFailure, postJson } from './http.js';
import type { Channel, NotificationMessage, SendResult } from './types.js';

/**
 * The generic webhook: the whole NotificationMessage as JSON, signed.
 *
 * Request — `POST <url>` with
 *   content-type:        application/json
 *   x-ribbon-event:      the message's `event` (alert.opened, …)
 *   x-ribbon-delivery:   the message's `id`; the same on every retry, so receivers deduplicate by it
 *   x-ribbon-timestamp:  Unix time in seconds when this attempt was signed
 *   x-ribbon-signature:  sha256=<hex of HMAC-SHA256(key = secret, data = `${timestamp}.${body}`)>
 *
 * To verify (what `verifyWebhookSignature` does): take the raw body bytes exactly as received
 * (before any JSON parsing), compute HMAC-SHA256 with the shared secret over the timestamp
 * header, a `.`, then the body; compare the hex with the header in constant time; and refuse a
 * timestamp more than 5 minutes from your clock, so a captured request cannot be replayed
 * later. Signing the timestamp with the body binds the two.
 *
 * Answer 2xx when stored. After 408, 425, 429, 5xx or no answer within the time limit the
 * outbox tries again with backoff (a Retry-After you send is passed on as the least wait);
 * any other status is final. Redirects are not followed.
 */

export type WebhookChannelOptions = {
  url: string;
  secret: string;
  timeoutMs?: number;
  /** Epoch milliseconds; tests pass their own. */
  now?: () => number;
};

export const SIGNATURE_PREFIX = 'sha256=';

export function createWebhookChannel(options: WebhookChannelOptions): Channel {
  const { url, secret, timeoutMs = DEFAULT_TIMEOUT_MS, now = Date.now } = options;
  checkHttpUrl(url, 'webhook url');
  checkTimeoutMs(timeoutMs);
  if (secret.length === 0) throw new TypeError('webhook secret must not be empty');
  return {
    kind: 'webhook',
    async send(message: NotificationMessage, signal?: AbortSignal): Promise<SendResult> {
      const body = JSON.stringify(message);
      const timestamp = String(Math.floor(now() / 1000));
      const outcome = await postJson({
        url,
        body,
        timeoutMs,
        signal,
        headers: {
          'x-ribbon-event': message.event,
          'x-ribbon-delivery': message.id,
          'x-ribbon-timestamp': timestamp,
          'x-ribbon-signature': signWebhook(secret, timestamp, body),
        },
      });
      if (outcome.type === 'failed') return { ok: false, permanent: false, error: outcome.error };
      if (classifyStatus(outcome.status) === 'ok') return { ok: true, status: outcome.status };
      return httpFailure(outcome.status, outcome.headers, outcome.body, now());
    },
  };
}

/** The `x-ribbon-signature` value for this timestamp (Unix seconds, as sent) and body. */
export function signWebhook(secret: string, timestamp: string, body: string | Uint8Array): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * For receivers (and our tests): true when `header` is the signature of `timestamp` + `body`
 * under `secret` and the timestamp is within `toleranceSec` of `now` (epoch milliseconds, as
 * Date.now() gives). `body` must be the raw bytes received, not re-serialized JSON.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string | Uint8Array,
  header: string,
  now: number,
  toleranceSec = 300,
): boolean {
  if (secret.length === 0 || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSec) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (match === null || match[1] === undefined) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  // Both are 32 bytes here, as timingSafeEqual requires; the comparison time does not depend
  // on where they differ.
  return timingSafeEqual(given, expected);
}
