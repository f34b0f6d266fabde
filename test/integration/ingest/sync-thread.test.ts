import { pbkdf2 } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem } from '../../helpers/system.js';

// The WAL sync before every PUBACK runs on threads of its own (server/store/db.ts, SYNC_WORKER),
// not on libuv's thread pool, which the whole process shares (password hashing, file reads, the
// outbox's DNS lookups). Here the pool's four threads are all held by long hashes on purpose.

/** One hash of ~2 s (here) per thread of libuv's pool (4 unless UV_THREADPOOL_SIZE says); resolves when the first ends. */
function holdThePool(): Promise<void> {
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  return new Promise((resolve) => {
    for (let i = 0; i < threads; i++) pbkdf2('password', 'salt', 4_000_000, 64, 'sha512', () => resolve());
  });
}

describe('the WAL sync has its own thread', () => {
  it('when every thread of libuv’s pool is busy, then a press is still synced and PUBACKed before any of them is free', async () => {
    const system = await startTestSystem();
    const creds = system.provision();
    if (system.mqttAddress === null) throw new Error('no embedded broker');
    const { raw } = await RawMqtt.connect(system.mqttAddress.port, {
      clientId: creds.id,
      username: creds.id,
      password: creds.secret,
    });
    let poolFree = false;
    const held = holdThePool().then(() => {
      poolFree = true;
    });
    raw.send(raw.publish(`ribbon/${creds.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    await raw.next((p) => p.cmd === 'puback' && p.messageId === 1, 20_000);
    // On libuv's pool the sync would have queued behind the hashes (it did before this change).
    expect(poolFree).toBe(false);
    await held;
  });
});
