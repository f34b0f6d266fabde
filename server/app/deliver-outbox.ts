import type { Logger } from 'pino';
import { MAX_ATTEMPTS, retryDelayMs, shouldRetry } from '../notify/backoff.js';
import type { PhoneNotice } from '../notify/phone.js';
import type { NotificationMessage, SendResult } from '../notify/types.js';
import type { DeviceAck } from '../../protocol/mqtt.js';
import type { ChannelLookup, DeviceAckPublisher, OutboxRow, OutboxStore } from './ports.js';

export type DeliveryResult = { sent: number; retried: number; failed: number };

/** What an outbox row was: an SMS or a call to a person, a group robot (webhook, WeCom, DingTalk), a device's ack, nowhere. */
export type DeliveryMedium = 'sms' | 'call' | 'robot' | 'device' | 'none';

/** The outbox calls delivery makes, and no more: what a test's fake has to provide. */
export type DeliveryOutbox = Pick<OutboxStore, 'due' | 'claim' | 'markSent' | 'markRetry' | 'markFailed' | 'insert'>;

/**
 * A call is tried this many times at most: the next round of calls comes every minute anyway,
 * and a call placed ten minutes late after backoff would only ring beside a newer one.
 */
export const CALL_MAX_ATTEMPTS = 3;

/** A claimed row not settled within this time (a crash mid-send) is tried again. */
export const DELIVERY_LEASE_MS = 60_000;

/**
 * Delivers due outbox rows: channel messages (webhook, WeCom, DingTalk) and device acks. Each row
 * is claimed first (its next attempt moved to a lease), so a crash mid-send retries it after the
 * lease: delivery is at least once, and receivers deduplicate with the message id. A transient
 * failure is retried with exponential backoff and jitter; a permanent one, or the last of
 * MAX_ATTEMPTS, leaves the row 'failed' (counted in /metrics).
 */
export function createOutboxDelivery(deps: {
  stores: { outbox: DeliveryOutbox };
  channelFor: ChannelLookup;
  publishDeviceAck: DeviceAckPublisher;
  now: () => number;
  log: Logger;
  /**
   * An SMS or call of this alert was accepted or failed for good (its reach may have changed,
   * or its tier may have nobody left to reach). Called after the row is marked.
   */
  onPhoneSettled?: (alertId: number) => void;
  /**
   * Whether an SMS or call for this alert is still wanted (its alert still open): one waiting
   * out a retry, a backlog or a daytime window is not sent once someone has acknowledged.
   */
  phoneWanted?: (alertId: number) => boolean;
  /** Each attempt's end, for /metrics: by medium, sent / retry (a transient failure) / failed (for good) / dropped (no longer wanted). */
  onAttempt?: (medium: DeliveryMedium, result: 'sent' | 'retry' | 'failed' | 'dropped') => void;
  random?: () => number;
  maxAttempts?: number;
  batch?: number;
}) {
  const { stores, log } = deps;
  const random = deps.random ?? Math.random;
  const maxAttempts = deps.maxAttempts ?? MAX_ATTEMPTS;
  /** Sends under way, each on its own: a slow receiver holds only its own rows (issue 13). */
  const inFlight = new Set<Promise<void>>();
  /** …and their rows: never claimed again here while this process still has them (a lease run out under a jumped clock). */
  const rowsInFlight = new Set<number>();
  const aborts = new AbortController();
  let stopped = false;

  async function send(row: OutboxRow): Promise<SendResult> {
    switch (row.target) {
      case 'device': {
        if (row.deviceId === null) return { ok: false, permanent: true, error: 'device row without a device id' };
        deps.publishDeviceAck(row.deviceId, row.payload as DeviceAck);
        return { ok: true };
      }
      case 'channel': {
        const channel = row.channelId === null ? null : deps.channelFor(row.channelId);
        if (channel === null)
          return { ok: false, permanent: true, error: `channel ${row.channelId} is gone or invalid` };
        const message = { ...(row.payload as Omit<NotificationMessage, 'id'>), id: `ribbon-outbox-${row.id}` };
        return channel.send(message, aborts.signal);
      }
      case 'none':
        return { ok: false, permanent: true, error: 'nowhere to send it' };
      default:
        return { ok: false, permanent: true, error: `unknown target ${String(row.target)}` };
    }
  }

  /** One claimed row: sent, then marked (sent, retry later, failed for good; a phone fails over). */
  async function deliverRow(row: OutboxRow, result: DeliveryResult): Promise<void> {
    const attempt = row.attempts + 1;
    const phone = phoneOf(row);
    if (phone !== null && row.alertId !== null && deps.phoneWanted?.(row.alertId) === false) {
      stores.outbox.markFailed(row.id, NOT_WANTED);
      result.failed += 1;
      deps.onAttempt?.(phone.medium, 'dropped');
      return;
    }
    let outcome: SendResult;
    try {
      outcome = await send(row);
    } catch (err) {
      outcome = { ok: false, permanent: false, error: err instanceof Error ? err.message : String(err) };
    }
    // (Stopping: the database stays open until every send under way has been recorded here; an
    // aborted one is a transient failure, retried after the restart.)
    const limit = phone?.medium === 'call' ? Math.min(maxAttempts, CALL_MAX_ATTEMPTS) : maxAttempts;
    const medium: DeliveryMedium = phone?.medium ?? (row.target === 'channel' ? 'robot' : row.target);
    if (outcome.ok) {
      stores.outbox.markSent(row.id, deps.now(), outcome.ref ?? null);
      result.sent += 1;
      deps.onAttempt?.(medium, 'sent');
      if (phone !== null && row.alertId !== null) deps.onPhoneSettled?.(row.alertId);
    } else if (outcome.permanent || !shouldRetry(attempt, limit)) {
      stores.outbox.markFailed(row.id, outcome.error);
      result.failed += 1;
      deps.onAttempt?.(medium, 'failed');
      log.error(
        { outboxId: row.id, alertId: row.alertId, target: row.target, attempt, error: outcome.error },
        'notification failed for good',
      );
      const [next, ...rest] = phone?.fallbacks ?? [];
      if (phone !== null && next !== undefined) {
        // Fail over: the same SMS or call through the next channel of its medium, at once.
        stores.outbox.insert(
          {
            target: 'channel',
            channelId: next,
            deviceId: null,
            alertId: row.alertId,
            event: row.event,
            recipients: row.recipients,
            payload: { ...(row.payload as object), phone: { ...phone, fallbacks: rest } },
          },
          deps.now(),
        );
        await Promise.all(startDue(result));
      } else if (phone !== null && row.alertId !== null) deps.onPhoneSettled?.(row.alertId);
    } else {
      const delay = retryDelayMs(attempt, { atLeastMs: outcome.retryAfterMs ?? 0 }, random);
      stores.outbox.markRetry(row.id, deps.now() + delay, outcome.error);
      result.retried += 1;
      deps.onAttempt?.(medium, 'retry');
      // A failing phone is no way to a person for now: the alert's reach may have changed.
      if (phone !== null && row.alertId !== null) deps.onPhoneSettled?.(row.alertId);
      log.warn(
        { outboxId: row.id, target: row.target, attempt, retryInMs: delay, error: outcome.error },
        'notification failed; will retry',
      );
    }
  }

  /**
   * Claims what is due now and starts each send on its own, without waiting for the sends
   * already under way (at most MAX_IN_FLIGHT at once). Resolves, with the count of the rows it
   * started, once those and the sends under way when it was called have settled — so whoever
   * awaits it (a test) finds everything due then delivered; the scheduler and the kick on news
   * do not await it. Concurrent calls never send a row twice: a claim is a conditional UPDATE.
   */
  async function deliverDue(): Promise<DeliveryResult> {
    const result: DeliveryResult = { sent: 0, retried: 0, failed: 0 };
    const underWay = [...inFlight];
    await Promise.all([...startDue(result), ...underWay]);
    return result;
  }

  /** Claims what is due and starts each row's send; the promises of those rows (counted into `result`). */
  function startDue(result: DeliveryResult): Array<Promise<void>> {
    if (stopped) return [];
    const room = MAX_IN_FLIGHT - inFlight.size;
    if (room <= 0) return [];
    const now = deps.now();
    const claimed = stores.outbox
      .due(now, Math.min(room, deps.batch ?? 100))
      .filter(
        (row) =>
          !rowsInFlight.has(row.id) &&
          row.nextAttemptAt !== null &&
          stores.outbox.claim(row.id, row.nextAttemptAt, now + DELIVERY_LEASE_MS),
      );
    return claimed.map((row) => {
      rowsInFlight.add(row.id);
      const done = deliverRow(row, result).catch((err: unknown) => {
        log.error({ err, outboxId: row.id }, 'outbox delivery failed');
      });
      inFlight.add(done);
      void done.finally(() => {
        inFlight.delete(done);
        rowsInFlight.delete(row.id);
      });
      return done;
    });
  }

  return {
    deliverDue,
    /** Ends the sends under way (each is left to its lease) and waits for them; then delivers nothing more. */
    async stop(): Promise<void> {
      stopped = true;
      aborts.abort();
      await Promise.all([...inFlight]);
    },
  };
}

/** Why an SMS or call was not sent: its alert no longer needs it. */
export const NOT_WANTED = '不再发送：已有人响应或已解决 / not sent: the alert was acknowledged or resolved';

/** At most this many sends at once: a burst of reds beyond it waits for the next call (every second, or on news). */
export const MAX_IN_FLIGHT = 400;

export type OutboxDelivery = ReturnType<typeof createOutboxDelivery>;

/** The phone notice of an SMS or call row (server/notify/phone.ts); null for the rest. */
function phoneOf(row: OutboxRow): PhoneNotice | null {
  const payload = row.payload as { phone?: PhoneNotice } | null;
  return row.target === 'channel' && payload !== null && typeof payload === 'object' && payload.phone !== undefined
    ? payload.phone
    : null;
}
