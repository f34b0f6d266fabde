import type { NewOutboxRow, OutboxRow, OutboxStatus, OutboxStore, OutboxTarget, Recipient } from '../app/ports.js';
import type { PhoneStatus } from '../app/reach.js';
import type { Tier } from '../domain/alert.js';
import type { Db } from './db.js';

type Row = {
  id: number;
  target: OutboxTarget;
  channel_id: number | null;
  device_id: string | null;
  alert_id: number | null;
  event: string;
  recipients: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  provider_ref: string | null;
};

function toRow(r: Row): OutboxRow {
  return {
    id: r.id,
    target: r.target,
    channelId: r.channel_id,
    deviceId: r.device_id,
    alertId: r.alert_id,
    event: r.event,
    recipients: JSON.parse(r.recipients) as Recipient[],
    payload: JSON.parse(r.payload) as unknown,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    providerRef: r.provider_ref,
  };
}

/** Why a notification was recorded as not sent when its compound has no channel. */
export const NO_CHANNEL = 'no notification channel configured';

export function createOutboxStore(db: Db): OutboxStore {
  const insert = db.prepare<
    [
      OutboxTarget,
      number | null,
      string | null,
      number | null,
      string,
      string,
      string,
      OutboxStatus,
      number | null,
      string | null,
      number,
    ]
  >(
    `INSERT INTO outbox (target, channel_id, device_id, alert_id, event, recipients, payload, status, next_attempt_at, last_error, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const due = db.prepare<[number, number], Row>(
    "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
  );
  const claim = db.prepare<[number, number, number]>(
    "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ? AND status = 'pending' AND next_attempt_at = ?",
  );
  const sent = db.prepare<[number, string | null, number]>(
    "UPDATE outbox SET status = 'sent', sent_at = ?, provider_ref = ?, last_error = NULL WHERE id = ?",
  );
  const phones = db.prepare<[number], { tier: number; medium: 'sms' | 'call'; status: OutboxStatus; failing: number }>(
    `SELECT json_extract(payload, '$.phone.tier') AS tier, json_extract(payload, '$.phone.medium') AS medium, status,
       last_error IS NOT NULL AS failing
     FROM outbox WHERE alert_id = ? AND json_extract(payload, '$.phone') IS NOT NULL`,
  );
  const reachGauges = db.prepare<[], { unreached: number; oldest: number | null }>(
    `SELECT count(*) FILTER (WHERE reach = 'unreached') AS unreached, min(opened_at) AS oldest
     FROM alerts WHERE status = 'open' AND kind = 'emergency'`,
  );
  const retry = db.prepare<[number, string, number]>(
    "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'",
  );
  const failed = db.prepare<[string, number]>(
    "UPDATE outbox SET status = 'failed', next_attempt_at = NULL, last_error = ? WHERE id = ?",
  );
  const get = db.prepare<[number], Row>('SELECT * FROM outbox WHERE id = ?');
  const byAlert = db.prepare<[number], Row>('SELECT * FROM outbox WHERE alert_id = ? ORDER BY id');
  const all = db.prepare<[], Row>('SELECT * FROM outbox ORDER BY id');
  const counts = db.prepare<[], { target: OutboxTarget; status: OutboxStatus; n: number }>(
    'SELECT target, status, count(*) AS n FROM outbox GROUP BY target, status',
  );

  function write(row: NewOutboxRow, recipients: string, payload: string, now: number): number {
    const status = row.status ?? 'pending';
    return Number(
      insert.run(
        row.target,
        row.channelId,
        row.deviceId,
        row.alertId,
        row.event,
        recipients,
        payload,
        status,
        status === 'pending' ? Math.max(now, row.notBefore ?? now) : null,
        row.lastError ?? null,
        now,
      ).lastInsertRowid,
    );
  }

  return {
    insert(row: NewOutboxRow, now: number): number {
      return write(row, JSON.stringify(row.recipients), JSON.stringify(row.payload), now);
    },
    /**
     * The same notification to each of these channels, serialised once. With no channel it is
     * recorded all the same, as one 'failed' row (NO_CHANNEL), so "nobody was told" shows in the
     * outbox and in /metrics. Returns the row ids.
     */
    insertForChannels(
      channelIds: readonly number[],
      row: Pick<NewOutboxRow, 'alertId' | 'event' | 'recipients' | 'payload'>,
      now: number,
    ): number[] {
      const recipients = JSON.stringify(row.recipients);
      const payload = JSON.stringify(row.payload);
      const base = { ...row, deviceId: null };
      if (channelIds.length === 0)
        return [
          write(
            { ...base, target: 'none', channelId: null, status: 'failed', lastError: NO_CHANNEL },
            recipients,
            payload,
            now,
          ),
        ];
      return channelIds.map((channelId) => write({ ...base, target: 'channel', channelId }, recipients, payload, now));
    },
    due(now: number, limit: number): OutboxRow[] {
      return due.all(now, limit).map(toRow);
    },
    /**
     * Claims a row for one delivery attempt: moves its next attempt to `leaseUntil` (so a crash
     * mid-send retries it after the lease) and counts the attempt. False if someone else has it.
     */
    claim(id: number, expectedNextAttempt: number, leaseUntil: number): boolean {
      return claim.run(leaseUntil, id, expectedNextAttempt).changes === 1;
    },
    markSent(id: number, now: number, providerRef: string | null = null): void {
      sent.run(now, providerRef, id);
    },
    markRetry(id: number, nextAttemptAt: number, error: string): void {
      retry.run(nextAttemptAt, error, id);
    },
    markFailed(id: number, error: string): void {
      failed.run(error, id);
    },
    get(id: number): OutboxRow | null {
      const row = get.get(id);
      return row ? toRow(row) : null;
    },
    forAlert(alertId: number): OutboxRow[] {
      return byAlert.all(alertId).map(toRow);
    },
    all(): OutboxRow[] {
      return all.all().map(toRow);
    },
    counts(): Array<{ target: OutboxTarget; status: OutboxStatus; n: number }> {
      return counts.all();
    },
    phoneStatuses(alertId: number): PhoneStatus[] {
      return phones
        .all(alertId)
        .map((r) => ({ tier: r.tier as Tier, medium: r.medium, status: r.status, failing: r.failing === 1 }));
    },
    reachGauges() {
      const r = reachGauges.get() as { unreached: number; oldest: number | null };
      return { unreachedOpen: r.unreached, oldestOpenEmergencyAt: r.oldest };
    },
  };
}
