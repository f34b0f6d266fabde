import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../../server/store/db.js';
import { createStores } from '../../server/store/index.js';
import { freePort, loginOverHttp, startChildServer } from '../helpers/child-server.js';
import {
  changesOf,
  deltaWith,
  isSnapshot,
  open,
  type LiveClient,
  type Message,
  type SentChange,
} from '../helpers/live-client.js';
import { RawMqtt } from '../helpers/raw-mqtt.js';
import { tempDir } from '../helpers/system.js';
import { waitUntil } from '../helpers/tools.js';

// A red press reaches the dashboards before its commit (issue 6, red to screen): a `receipt`
// "recording" at once, then "recorded" after the commit, or "unrecorded" if the commit fails.
// The server is a child process, so this test can hold SQLite's write lock while the server's
// commit waits for it (up to its 5 s busy timeout, blocking the server's event loop).

const ADMIN_PASSWORD = 'receipt-test-admin-password';

type ReceiptView = {
  id: number;
  householdId: number;
  compoundId: number;
  status: string;
  state: string;
  receivedAt: string;
};
type SnapshotWithReceipts = Message & {
  receipts: ReceiptView[];
  alerts: Array<{ householdId: number; kind: string; status: string }>;
};

function provision(dataDir: string): {
  householdId: number;
  device: { id: string; secret: string };
  otherHouseholdId: number;
} {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    const householdId = addHousehold(
      stores,
      { compound: '阳光小区', building: '1号楼', room: '101', name: '王桂兰' },
      now,
    );
    const otherHouseholdId = addHousehold(
      stores,
      { compound: '阳光小区', building: '1号楼', room: '102', name: '李淑芬' },
      now,
    );
    return { householdId, device: provisionDevice(stores, householdId, now), otherHouseholdId };
  } finally {
    stores.db.close();
  }
}

async function start() {
  const dataDir = tempDir();
  const placed = provision(dataDir);
  const server = await startChildServer({ dataDir, mqttPort: await freePort(), env: { ADMIN_PASSWORD } });
  const cookie = await loginOverHttp(server.httpUrl, 'admin', ADMIN_PASSWORD);
  const dashboard = await open(server.httpPort, { cookie });
  await dashboard.next(isSnapshot);
  const { raw, connack } = await RawMqtt.connect(server.mqttPort, {
    clientId: placed.device.id,
    username: placed.device.id,
    password: placed.device.secret,
  });
  expect(connack.returnCode).toBe(0);
  // The connect's own write (the device online) must be on disk before the lock is taken: a commit
  // waiting on the lock blocks the server's loop, and the red press's receipt with it.
  await dashboard.next(
    deltaWith((c) => c.type === 'device' && c.deviceId === placed.device.id && c.online === true),
    5000,
  );
  // Another writer holds SQLite's write lock: the server cannot commit until it lets go.
  const lock = new Database(path.join(dataDir, DB_FILE_NAME));
  onTestFinished(() => {
    if (lock.inTransaction) lock.exec('ROLLBACK');
    lock.close();
  });
  return { ...placed, server, dashboard, raw, lock, cookie };
}

const receiptOf = (status: string) => deltaWith((c) => c.type === 'receipt' && c.status === status);

async function resync(client: LiveClient, timeoutMs = 5000): Promise<SnapshotWithReceipts> {
  const from = client.messages.length;
  client.send({ type: 'resync' });
  return client.next<SnapshotWithReceipts>(isSnapshot, timeoutMs, from);
}

describe('a red press before its commit', () => {
  it('when the database is locked, then the dashboard hears "recording" with no PUBACK yet; after the commit, the report, the alert, then "recorded"', async () => {
    const { householdId, device, dashboard, raw, lock } = await start();
    lock.exec('BEGIN IMMEDIATE');
    raw.send(raw.publish(`ribbon/${device.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));

    // The server's commit waits on the lock for at most its 5 s busy timeout: the receipt must come
    // well within that, and the lock is let go as soon as it has (no fixed wait while it is held).
    const early = await dashboard.next(receiptOf('recording'), 3500);
    expect((early as unknown as { changes: SentChange[] }).changes).toEqual([
      {
        type: 'receipt',
        receiptId: expect.any(Number),
        householdId,
        compoundId: expect.any(Number),
        deviceId: device.id,
        status: 'recording',
        at: expect.any(String),
      },
    ]);
    // Nothing is on disk and nothing is acknowledged: the lock still holds the commit back (a
    // PUBACK can only follow the commit, which cannot happen before the COMMIT below).
    expect(lock.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
    expect(raw.packets.filter((p) => p.cmd === 'puback')).toEqual([]);
    lock.exec('COMMIT');

    await raw.next((p) => p.cmd === 'puback' && p.messageId === 1, 5000);
    await dashboard.next(receiptOf('recorded'), 5000);
    const changes = changesOf(dashboard)
      .filter((c) => c.householdId === householdId && c.type !== 'device')
      .map((c) => `${c.type}:${String(c.status ?? c.state ?? '')}`);
    expect(changes).toEqual(['receipt:recording', 'report:red', 'alert:open', 'receipt:recorded']);
    // A dashboard that connects (or resyncs) now sees the alert and no receipt.
    const fresh = await resync(dashboard);
    expect(fresh.receipts).toEqual([]);
    expect(fresh.alerts).toEqual([expect.objectContaining({ householdId, kind: 'emergency', status: 'open' })]);
  });

  it('when the commit fails (the lock outlasts the busy timeout), then "unrecorded" stays in every snapshot until the resend is on disk; a redelivery of a recorded press and a blue press get no receipt', async () => {
    const { householdId, device, dashboard, raw, lock, server } = await start();
    lock.exec('BEGIN IMMEDIATE');
    raw.send(raw.publish(`ribbon/${device.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    await dashboard.next(receiptOf('recording'), 2000);
    // The server's commit waits out its 5 s busy timeout, fails, and sends no PUBACK.
    await dashboard.next(receiptOf('unrecorded'), 10_000);
    await waitUntil(
      () => server.logs.some((l) => l.msg.startsWith('group commit failed')),
      'the failed commit logged',
      5000,
    );
    expect(raw.packets.some((p) => p.cmd === 'puback')).toBe(false);

    // While the lock holds, each second's sweep and outbox wait on it too (up to 5 s each, on the
    // server's one thread), so the answer comes in a gap between them.
    const stuck = await resync(dashboard, 15_000);
    expect(stuck.receipts).toEqual([expect.objectContaining({ householdId, status: 'unrecorded', state: 'red' })]);
    expect(stuck.alerts).toEqual([]);
    lock.exec('ROLLBACK');

    // The device sends it again (as an MQTT device does on reconnect); now it is recorded.
    const again = await RawMqtt.connect(server.mqttPort, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    const from = dashboard.messages.length;
    again.raw.send(again.raw.publish(`ribbon/${device.id}/state`, '{"state":"red","seq":1,"boot":1}', 1, 1, true));
    await again.raw.next((p) => p.cmd === 'puback' && p.messageId === 1, 5000);
    await dashboard.next(receiptOf('recorded'), 5000, from);
    const after = await resync(dashboard);
    expect(after.receipts).toEqual([]);
    expect(after.alerts).toEqual([expect.objectContaining({ householdId, kind: 'emergency', status: 'open' })]);

    // The same press once more (a redelivery) and a blue: acknowledged, no receipt for either.
    const before = dashboard.messages.length;
    again.raw.send(
      again.raw.publish(`ribbon/${device.id}/state`, '{"state":"red","seq":1,"boot":1}', 2, 1, true),
      again.raw.publish(`ribbon/${device.id}/state`, '{"state":"blue","seq":2,"boot":1}', 3),
    );
    await again.raw.next((p) => p.cmd === 'puback' && p.messageId === 3, 5000);
    await dashboard.next(
      deltaWith((c) => c.type === 'report' && c.state === 'blue'),
      5000,
      before,
    );
    const later = dashboard.messages
      .slice(before)
      .flatMap((m) => (m.type === 'delta' ? (m.changes as SentChange[]) : []));
    expect(later.filter((c) => c.type === 'receipt')).toEqual([]);
    expect(later.filter((c) => c.type === 'report').map((c) => c.state)).toEqual(['blue']);
  });
});
