import { describe, expect, it } from 'vitest';
import { TOO_SLOW } from '../../../protocol/live.js';
import { addHousehold } from '../../../server/app/provision.js';
import { SNAPSHOT_CHUNK_BYTES } from '../../../server/live/outgoing.js';
import { loginAdmin } from '../../helpers/api.js';
import { changesOf, deltaWith, isSnapshot, open, type Snapshot } from '../../helpers/live-client.js';
import { ownHub } from '../../helpers/live-hub.js';
import { OPCODE, openRaw, type RawWs } from '../../helpers/raw-ws.js';
import { startTestSystem, type TestSystem, tempDir } from '../../helpers/system.js';
import { selfSignedCert } from '../../helpers/tls.js';
import { requireProgram } from '../../helpers/tools.js';

// The snapshot sent in chunks paced by the socket (issue 12): one text message in fragments of
// at most SNAPSHOT_CHUNK_BYTES, the next written once the previous is taken; deltas wait behind
// it in order; the slow-client rule counts what waits for the client alone.

const openssl = requireProgram('/usr/bin/openssl', 'openssl');

/**
 * `count` households in one compound. `long`: names of 100 Chinese characters (~1.1 KB a
 * household in the snapshot), so that a snapshot outgrows what loopback's kernel buffers take
 * from a client that does not read (~4 MB on this machine).
 */
function seed(system: TestSystem, count: number, long = false): number[] {
  const pad = (s: string) => (long ? (s + '长'.repeat(100)).slice(0, 100) : s);
  const now = Date.now();
  return system.stores.transaction(() =>
    Array.from({ length: count }, (_, i) =>
      addHousehold(
        system.stores,
        { compound: pad('分片小区'), building: pad(`${i % 20}号楼`), room: `${i}`, name: pad(`住户${i}`) },
        now,
      ),
    ),
  );
}

const BIG = 6_000; // long households: ~6.5 MB of snapshot

async function adminCookie(system: TestSystem): Promise<string> {
  return (await loginAdmin(system.app)).cookie;
}

const snapshotOf = (raw: RawWs) => raw.messages()[0];
const snapshotDone = (raw: RawWs) => raw.json().length > 0;
const deviceChange = (deviceId: string, householdId: number) =>
  ({ type: 'device', deviceId, householdId, battery: 50, at: Date.now() }) as const;

describe('live snapshot in chunks', () => {
  it.each([
    ['ws://', false],
    ['wss://', true],
  ])(
    'when a snapshot is larger than several chunks, then over %s it arrives whole, as ONE message in fragments of at most 64 KiB, and parses',
    async (_scheme, overTls) => {
      if (overTls && !openssl.available) return;
      const system = await startTestSystem({ scheduler: false });
      seed(system, 2_000);
      const tls = overTls ? selfSignedCert(tempDir()) : undefined;
      const { port } = await ownHub(system, tls ? { tls } : {});
      const cookie = await adminCookie(system);

      const raw = await openRaw(port, { cookie, ...(tls ? { ca: tls.cert } : {}) });
      raw.readAll();
      await raw.until(() => snapshotDone(raw), 'a whole snapshot');
      const message = snapshotOf(raw);
      expect(message?.opcode).toBe(OPCODE.text);
      const fragments = message?.fragments ?? [];
      expect(fragments.length).toBeGreaterThan(5);
      for (const size of fragments) expect(size).toBeLessThanOrEqual(SNAPSHOT_CHUNK_BYTES);
      const snapshot = JSON.parse(message?.data.toString('utf8') ?? '') as Snapshot;
      expect(snapshot).toMatchObject({ type: 'snapshot', seq: 1 });
      expect(snapshot.households).toHaveLength(2_000);

      // And a real client assembles it as one message.
      const client = await open(port, { cookie, ...(tls ? { ca: tls.cert } : {}) });
      const again = await client.next<Snapshot>(isSnapshot, 5000);
      expect(again.households).toHaveLength(2_000);
    },
  );

  it.skipIf(!openssl.available)(
    'when changes are published while a big snapshot goes to a client reading slowly over TLS, then it gets the whole snapshot and then every delta in seq order, not 4000',
    async () => {
      const system = await startTestSystem({ scheduler: false });
      const households = seed(system, BIG, true);
      const tls = selfSignedCert(tempDir());
      const { port, changes } = await ownHub(system, { tls, maxBufferedBytes: 256 * 1024 });

      const raw = await openRaw(port, { cookie: await adminCookie(system), ca: tls.cert });
      raw.readSlowly(48 * 1024, 5); // ~10 MB/s at best: a second or so for the snapshot
      const done = () => snapshotDone(raw);
      let duringSnapshot = 0;
      const ids: string[] = [];
      for (let i = 0; i < 200 && (!done() || ids.length < 20); i++) {
        const id = `during-${i}`;
        changes.publish(deviceChange(id, households[i % households.length] as number));
        ids.push(id);
        if (!done()) duringSnapshot++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(duringSnapshot, 'no change was published while the snapshot was on its way').toBeGreaterThan(5);
      await raw.until(() => raw.json().length === 1 + ids.length, 'the snapshot and every delta', 15_000);

      const [snapshot, ...deltas] = raw.json();
      expect(snapshot).toMatchObject({ type: 'snapshot', seq: 1 });
      expect((snapshot as unknown as Snapshot).households).toHaveLength(BIG);
      expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => i + 2));
      const sent = deltas.flatMap((d) => (d.changes as Array<{ deviceId: string }>).map((c) => c.deviceId));
      expect(sent).toEqual(ids);
      expect(raw.closeFrame()).toBeNull();
    },
  );

  it('when a client reads nothing, then its snapshot stops where the socket is full, and once the deltas queued behind it pass the limit it is closed 4000 mid-snapshot; the others go on', async () => {
    const system = await startTestSystem({ scheduler: false });
    const households = seed(system, BIG, true);
    const { port, changes, hub } = await ownHub(system, { maxBufferedBytes: 64 * 1024 });
    const cookie = await adminCookie(system);
    const reader = await open(port, { cookie });
    await reader.next(isSnapshot, 10_000);

    const stuck = await openRaw(port, { cookie }); // reads nothing from here on
    let sent = 0;
    for (let batch = 0; hub.connections() === 2; batch++) {
      expect(batch, 'the client that reads nothing was never cut off').toBeLessThan(100);
      for (let i = 0; i < 100; i++)
        changes.publish(deviceChange(`flood-${sent++}`, households[sent % households.length] as number));
      await reader.next(
        deltaWith((c) => c.deviceId === `flood-${sent - 1}`),
        5000,
      );
    }
    expect(hub.connections()).toBe(1);

    // What it was sent, read now: part of the snapshot (the rest never written), then the close.
    stuck.readAll();
    await stuck.until(() => stuck.closeFrame() !== null, 'the close frame');
    expect(stuck.closeFrame()).toEqual({ code: TOO_SLOW, reason: 'too slow, resync' });
    const snapshot = snapshotOf(stuck);
    expect(snapshot?.complete).toBe(false);
    expect(stuck.frames.at(-1)?.opcode).toBe(OPCODE.close);
    // The reader heard every delta, in order, and the hub still answers a new client.
    expect(changesOf(reader).map((c) => c.deviceId)).toEqual(Array.from({ length: sent }, (_, i) => `flood-${i}`));
    const fresh = await open(port, { cookie });
    expect((await fresh.next<Snapshot>(isSnapshot, 10_000)).households).toHaveLength(BIG);
  });
});
