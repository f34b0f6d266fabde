import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  createOutboxDelivery,
  DELIVERY_LEASE_MS,
  type DeliveryOutbox,
  NOT_WANTED,
} from '../../../../server/app/deliver-outbox.js';
import type { OutboxRow } from '../../../../server/app/ports.js';
import type { DeviceAck } from '../../../../protocol/mqtt.js';
import type { Channel, NotificationMessage, SendResult } from '../../../../server/notify/types.js';

// Outbox delivery on its ports alone: rows in memory, channels that answer as told, a fake now.
// (test/integration/notify/channels.test.ts drives the same use case over SQLite and real HTTP.)

const NOW = Date.parse('2026-03-02T09:00:00+08:00');

function pending(id: number, over: Partial<OutboxRow> = {}): OutboxRow {
  return {
    id,
    target: 'channel',
    channelId: 7,
    deviceId: null,
    alertId: 1,
    event: 'alert.opened',
    recipients: [],
    payload: { event: 'alert.opened', title: '红色求助', text: '阳光小区 1号楼 101', recipients: [], at: 'x' },
    status: 'pending',
    attempts: 0,
    nextAttemptAt: NOW,
    lastError: null,
    createdAt: NOW,
    sentAt: null,
    providerRef: null,
    ...over,
  };
}

/** The outbox's five calls over an array, with the same conditions as the SQL in store/outbox.ts. */
function fakeOutbox(rows: OutboxRow[]): DeliveryOutbox {
  const find = (id: number): OutboxRow => {
    const row = rows.find((r) => r.id === id);
    if (!row) throw new Error(`no outbox row ${id}`);
    return row;
  };
  return {
    due: (now, limit) =>
      rows
        .filter((r) => r.status === 'pending' && r.nextAttemptAt !== null && r.nextAttemptAt <= now)
        .slice(0, limit)
        .map((r) => ({ ...r })),
    claim(id, expected, leaseUntil) {
      const row = find(id);
      if (row.status !== 'pending' || row.nextAttemptAt !== expected) return false;
      row.nextAttemptAt = leaseUntil;
      row.attempts += 1;
      return true;
    },
    markSent(id, now) {
      Object.assign(find(id), { status: 'sent', sentAt: now, lastError: null });
    },
    markRetry(id, nextAttemptAt, error) {
      const row = find(id);
      if (row.status === 'pending') Object.assign(row, { nextAttemptAt, lastError: error });
    },
    markFailed(id, error) {
      Object.assign(find(id), { status: 'failed', nextAttemptAt: null, lastError: error });
    },
    insert(row, now) {
      const id = Math.max(0, ...rows.map((r) => r.id)) + 1;
      rows.push({
        ...pending(id, { ...row, recipients: [...row.recipients], createdAt: now }),
        nextAttemptAt: Math.max(now, row.notBefore ?? now),
      });
      return id;
    },
  };
}

function channelAnswering(answer: SendResult | Error, sent: NotificationMessage[] = []): Channel {
  return {
    kind: 'webhook',
    async send(message) {
      sent.push(message);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

function setUp(rows: OutboxRow[], channel: Channel | null, maxAttempts?: number) {
  const acks: Array<{ deviceId: string; ack: DeviceAck }> = [];
  const delivery = createOutboxDelivery({
    stores: { outbox: fakeOutbox(rows) },
    channelFor: (id) => (id === 7 ? channel : null),
    publishDeviceAck: (deviceId, ack) => acks.push({ deviceId, ack }),
    now: () => NOW,
    log: pino({ level: 'silent' }),
    random: () => 0.5,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
  return { delivery, acks };
}

describe('deliver-outbox on a fake outbox', () => {
  it('when a channel takes the message, then the row is sent, once, with the outbox id as message id', async () => {
    const rows = [pending(41)];
    const sent: NotificationMessage[] = [];
    const { delivery } = setUp(rows, channelAnswering({ ok: true }, sent));

    expect(await delivery.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(sent.map((m) => m.id)).toEqual(['ribbon-outbox-41']);
    expect(rows[0]).toMatchObject({ status: 'sent', sentAt: NOW, attempts: 1 });
    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
  });

  it.each([
    // answer, max attempts, then: status, next attempt, last error
    [{ ok: false, permanent: false, error: 'HTTP 503' }, 8, 'pending', NOW + 1000, 'HTTP 503'],
    [
      { ok: false, permanent: false, error: 'throttled', retryAfterMs: 30_000 },
      8,
      'pending',
      NOW + 30_000,
      'throttled',
    ],
    [new Error('socket hang up'), 8, 'pending', NOW + 1000, 'socket hang up'],
    [{ ok: false, permanent: true, error: 'HTTP 401' }, 8, 'failed', null, 'HTTP 401'],
    [{ ok: false, permanent: false, error: 'HTTP 503' }, 1, 'failed', null, 'HTTP 503'],
  ] as const)(
    'when the channel answers %j (at most %i attempts), then the row is %s, next at %s',
    async (answer, maxAttempts, status, nextAttemptAt, lastError) => {
      const rows = [pending(1)];
      const { delivery } = setUp(rows, channelAnswering(answer instanceof Error ? answer : { ...answer }), maxAttempts);

      const result = await delivery.deliverDue();

      expect(result).toEqual(
        status === 'failed' ? { sent: 0, retried: 0, failed: 1 } : { sent: 0, retried: 1, failed: 0 },
      );
      expect(rows[0]).toMatchObject({ status, nextAttemptAt, lastError, attempts: 1 });
    },
  );

  it('when the channel is gone, then the row fails for good without a send', async () => {
    const rows = [pending(2, { channelId: 99 })];
    const { delivery } = setUp(rows, channelAnswering({ ok: true }));

    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(rows[0]).toMatchObject({ status: 'failed', lastError: 'channel 99 is gone or invalid' });
  });

  it('when a row is for a device, then its ack is published to that device', async () => {
    const ack: DeviceAck = { seq: 5, status: 'received' };
    const rows = [pending(3, { target: 'device', channelId: null, deviceId: 'rb-0001', payload: ack })];
    const { delivery, acks } = setUp(rows, null);

    expect(await delivery.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(acks).toEqual([{ deviceId: 'rb-0001', ack }]);
  });

  it('when a row is not yet due or is held by another worker, then it is left alone', async () => {
    const rows = [pending(4, { nextAttemptAt: NOW + 1 }), pending(5)];
    const outbox = fakeOutbox(rows);
    // Another worker claims row 5 between this one's select and its claim.
    const racing: DeliveryOutbox = {
      ...outbox,
      due: (now, limit) => {
        const due = outbox.due(now, limit);
        outbox.claim(5, NOW, NOW + DELIVERY_LEASE_MS);
        return due;
      },
    };
    const sent: NotificationMessage[] = [];
    const delivery = createOutboxDelivery({
      stores: { outbox: racing },
      channelFor: () => channelAnswering({ ok: true }, sent),
      publishDeviceAck: () => {},
      now: () => NOW,
      log: pino({ level: 'silent' }),
    });

    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(sent).toEqual([]);
    expect(rows.map((r) => r.attempts)).toEqual([0, 1]);
  });
});

describe('deliver-outbox: one slow receiver holds only its own rows', () => {
  /** A channel whose sends wait until the test lets them go (or the signal aborts them). */
  function heldChannel() {
    const waiting: Array<{ id: string; release: (r: SendResult) => void }> = [];
    const channel: Channel = {
      kind: 'webhook',
      send(message, signal) {
        return new Promise<SendResult>((resolve) => {
          waiting.push({ id: message.id, release: resolve });
          signal?.addEventListener('abort', () => resolve({ ok: false, permanent: false, error: 'aborted' }));
        });
      },
    };
    return { channel, waiting };
  }

  it('when a send hangs, then a row that comes due meanwhile is sent at once by the next call', async () => {
    const rows = [pending(1)];
    const { channel, waiting } = heldChannel();
    const { delivery } = setUp(rows, channel);
    const first = delivery.deliverDue();
    await Promise.resolve();
    expect(waiting.map((w) => w.id)).toEqual(['ribbon-outbox-1']);
    // A new alert's row arrives while row 1's receiver still has not answered.
    rows.push(pending(2));
    void delivery.deliverDue();
    await Promise.resolve();
    expect(waiting.map((w) => w.id)).toEqual(['ribbon-outbox-1', 'ribbon-outbox-2']);
    // Row 1 is not claimed a second time while it is still under way, even past its lease.
    rows[0] && Object.assign(rows[0], { nextAttemptAt: NOW - 1 });
    void delivery.deliverDue();
    await Promise.resolve();
    expect(waiting).toHaveLength(2);
    for (const w of waiting) w.release({ ok: true });
    expect(await first).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
  });

  it('when the delivery stops, then the sends under way are ended and recorded as to be retried, and nothing more is sent', async () => {
    const rows = [pending(1)];
    const { channel, waiting } = heldChannel();
    const { delivery } = setUp(rows, channel);
    const run = delivery.deliverDue();
    await Promise.resolve();
    expect(waiting).toHaveLength(1);
    await delivery.stop();
    expect(await run).toEqual({ sent: 0, retried: 1, failed: 0 });
    // Recorded before the database closes: a restart tries it again.
    expect(rows[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'aborted' });
    rows.push(pending(2));
    expect(await delivery.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(waiting).toHaveLength(1);
  });
});

describe('deliver-outbox: an SMS or call nobody needs any more', () => {
  it('when its alert is no longer open, then a phone row is failed as not wanted, unsent; a group row still goes', async () => {
    const phone = { medium: 'call', tier: 1, link: null, fallbacks: [] };
    const rows = [pending(1, { payload: { phone } }), pending(2)];
    const sent: NotificationMessage[] = [];
    const delivery = createOutboxDelivery({
      stores: { outbox: fakeOutbox(rows) },
      channelFor: () => channelAnswering({ ok: true }, sent),
      publishDeviceAck: () => {},
      now: () => NOW,
      log: pino({ level: 'silent' }),
      phoneWanted: () => false,
    });
    expect(await delivery.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 1 });
    expect(sent.map((m) => m.id)).toEqual(['ribbon-outbox-2']);
    expect(rows[0]).toMatchObject({ status: 'failed', lastError: NOT_WANTED });
  });
});
