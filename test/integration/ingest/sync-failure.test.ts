import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DB_FILE_NAME } from '../../../server/store/db.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';
import { waitUntil } from '../../helpers/tools.js';

// A failed fsync of the WAL is final (server/ingest/group-commit.ts, onSyncFailure): what its
// batches committed may not be on disk, so none of them is acknowledged, nor anything after it,
// and the server exits with code 70 (here the test hears of it instead). The failure is the real
// sync's answer replaced by an EIO, the way a dying disk (dm-flakey error_writes) answers
// fdatasync; test/fault/disk.test.ts does it with a real failing disk in a guest.

async function rawDevice(system: TestSystem) {
  const creds = system.provision();
  if (system.mqttAddress === null) throw new Error('no embedded broker');
  const { raw } = await RawMqtt.connect(system.mqttAddress.port, {
    clientId: creds.id,
    username: creds.id,
    password: creds.secret,
  });
  return { ...creds, raw };
}

describe('a failed WAL sync', () => {
  it('when the sync of a batch fails, then no press of that batch nor any later one gets a PUBACK, their connections close, and the failure is told once', async () => {
    let failing = false;
    const held: Array<() => void> = [];
    const failures: Error[] = [];
    const system = await startTestSystem({
      scheduler: false,
      onSyncFailure: (err) => failures.push(err),
      aroundSync: (sync) => (done) =>
        sync((err) => {
          if (!failing) done(err);
          else held.push(() => done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
        }),
    });
    const a = await rawDevice(system);
    const b = await rawDevice(system);
    await waitUntil(
      () => system.stores.devices.list().filter((d) => d.online).length === 2,
      'both devices online (synced before the disk fails)',
    );
    failing = true;
    const db = new Database(path.join(system.dataDir, DB_FILE_NAME), { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    // Both presses committed and waiting for the one sync that will fail.
    a.raw.send(a.raw.publish(`ribbon/${a.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    b.raw.send(b.raw.publish(`ribbon/${b.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    const committed = db.prepare('SELECT count(*) AS n FROM events WHERE device_id IN (?, ?)');
    await waitUntil(() => (committed.get(a.id, b.id) as { n: number }).n === 2, 'both presses committed');
    await waitUntil(() => held.length > 0, 'their sync under way');
    for (const fail of held.splice(0)) fail();

    await a.raw.expectClosed();
    await b.raw.expectClosed();
    expect(failures.map((e) => e.message)).toEqual(['EIO: i/o error, fdatasync']);
    expect([...a.raw.packets, ...b.raw.packets].filter((p) => p.cmd === 'puback')).toEqual([]);
    expect(system.logs.find((l) => l.level === 60 && /fsync of the WAL failed/.test(l.msg))).toBeDefined();

    // A later press (the device resending after its reconnect) is refused too: the sync is not retried.
    const again = await RawMqtt.connect(system.mqttAddress?.port ?? 0, {
      clientId: a.id,
      username: a.id,
      password: a.secret,
    });
    again.raw.send(again.raw.publish(`ribbon/${a.id}/state`, '{"state":"red","seq":1,"boot":1}', 1, 1, true));
    await again.raw.expectClosed();
    expect(again.raw.packets.filter((p) => p.cmd === 'puback')).toEqual([]);
    expect(failures).toHaveLength(1);
  });
});
