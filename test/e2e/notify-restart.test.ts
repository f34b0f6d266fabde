import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../../server/store/db.js';
import { createStores } from '../../server/store/index.js';
import { freePort, startChildServer } from '../helpers/child-server.js';
import { phoneChannels } from '../helpers/phones.js';
import { RawMqtt } from '../helpers/raw-mqtt.js';
import { tempDir } from '../helpers/system.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

// The outbox across a crash: the server is killed while a webhook is failing, and after the
// restart the notification is delivered exactly once to a real HTTP receiver.

describe('notifications survive a crash', () => {
  it('when the server is SIGKILLed while the webhook fails, then after restart the notification is delivered once', async () => {
    const receiver = await startWebhookReceiver({ status: () => 500 });
    const dataDir = tempDir();
    const stores = createStores(openDatabase(dataDir));
    const now = Date.now();
    const householdId = addHousehold(
      stores,
      { compound: '阳光小区', building: '3号楼', room: '201', name: '张桂兰' },
      now,
    );
    const device = provisionDevice(stores, householdId, now);
    const household = stores.places.getHousehold(householdId);
    stores.people.add(
      {
        name: '李志愿',
        phone: '13800000001',
        role: 'volunteer',
        tier: 1,
        compoundId: household?.compoundId ?? null,
        buildingId: household?.buildingId ?? null,
      },
      now,
    );
    const webhook = stores.channels.add(
      'webhook',
      '社区群',
      { url: receiver.url, secret: 'webhook-secret' },
      null,
      now,
    );
    // Tier 1 reachable by phone, so the red stays at tier 1 (a tier no phone reaches is skipped at once).
    await phoneChannels(stores, now);
    stores.db.close();

    const mqttPort = await freePort();
    const first = await startChildServer({ dataDir, mqttPort });
    const { raw } = await RawMqtt.connect(first.mqttPort, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    raw.send(raw.publish(`ribbon/${device.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    await raw.next((p) => p.cmd === 'puback');
    await receiver.waitFor(1, 10_000);

    // Kill only once the failure is on record (a retry scheduled), not in the middle of a send.
    const db = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    const row = () =>
      db.prepare('SELECT id, status, attempts, last_error FROM outbox WHERE channel_id = ?').get(webhook) as {
        id: number;
        status: string;
        attempts: number;
        last_error: string | null;
      };
    await expect.poll(() => row().last_error, { timeout: 10_000 }).toMatch(/500/);
    await first.kill('SIGKILL');
    expect(row().status).toBe('pending');

    receiver.setStatus(() => 200);
    const before = receiver.received.length;
    await startChildServer({ dataDir, mqttPort });
    await expect.poll(() => receiver.received.filter((r) => r.status === 200).length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => row().status, { timeout: 5000 }).toBe('sent');
    // Two more scheduler ticks: nothing is sent again.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const delivered = receiver.received.filter((r) => r.status === 200);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.headers['x-ribbon-delivery']).toBe(`ribbon-outbox-${row().id}`);
    expect(
      receiver.received.slice(before).every((r) => r.headers['x-ribbon-delivery'] === `ribbon-outbox-${row().id}`),
    ).toBe(true);
    expect((delivered[0]?.json as { event: string } | undefined)?.event).toBe('alert.opened');
  });
});
