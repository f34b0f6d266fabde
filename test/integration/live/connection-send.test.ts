import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { TOO_SLOW } from '../../../protocol/live.js';
import type { User } from '../../../server/app/ports.js';
import { LiveConnection } from '../../../server/live/connection.js';
import { heartbeat } from '../../../server/live/heartbeat.js';
import { SNAPSHOT_CHUNK_BYTES } from '../../../server/live/outgoing.js';
import { LiveClient } from '../../helpers/live-client.js';
import { captureLogs } from '../../helpers/system.js';

// One LiveConnection over a real socket pair on loopback (issue 12): how a snapshot is written
// (chunk by chunk, a turn of the event loop between), what may come between its fragments
// (nothing but control frames), and a close in the middle of one.

const admin: User = {
  id: 1,
  username: 'admin',
  displayName: 'admin',
  role: 'admin',
  personId: null,
  compoundIds: [],
  readOnlyCompoundIds: [],
  scope: [],
  disabled: false,
};

/** A connection on the server's side of a real ws pair, its client, and every `ws.send` it makes. */
async function pair(maxBufferedBytes = 1024 * 1024) {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { perMessageDeflate: false });
  const client = new LiveClient(ws);
  onTestFinished(() => ws.terminate());
  await new Promise((resolve) => ws.once('open', resolve));
  const serverSide = await accepted;

  // The event loop's turns, counted by a chain of setImmediate, and the turn of each write.
  let turn = 0;
  let counting = true;
  const count = () => {
    turn += 1;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  onTestFinished(() => {
    counting = false;
  });
  const writes: Array<{ turn: number; bytes: number; fin: boolean }> = [];
  const send = serverSide.send.bind(serverSide);
  serverSide.send = ((data: Buffer | string, options?: { fin?: boolean }, cb?: (err?: Error) => void) => {
    writes.push({ turn, bytes: Buffer.byteLength(data), fin: options?.fin ?? true });
    return send(data, options ?? {}, cb);
  }) as typeof serverSide.send;

  const logs = captureLogs();
  const open = new Set<LiveConnection>();
  const conn = new LiveConnection(
    serverSide,
    admin,
    Buffer.alloc(32),
    open,
    { maxBufferedBytes, maxMessages: 60 },
    logs.log,
    Date.now(),
  );
  return { conn, client, serverSide, writes, open, logs };
}

/** A snapshot's shared rest of about `bytes`: `"at":…,"households":[…]}` that parses after its head. */
function snapshotRest(bytes: number): Buffer {
  const item = JSON.stringify({ id: 0, name: '住户'.padEnd(40, '长') });
  const items = Array.from({ length: Math.ceil(bytes / item.length) }, () => item);
  return Buffer.from(`"at":"2026-12-02T00:00:00.000Z","households":[${items.join(',')}]}`);
}
const head = (seq: number) => Buffer.from(`{"type":"snapshot","seq":${seq},`);

describe('LiveConnection: a snapshot in chunks', () => {
  it('when a snapshot of many chunks is sent, then each chunk is written in a later turn of the event loop than the one before, and the client gets one whole message', async () => {
    const { conn, client, writes, serverSide } = await pair();
    const rest = snapshotRest(20 * SNAPSHOT_CHUNK_BYTES);

    conn.seq = 1;
    conn.sendSnapshot(head(1), rest);
    // Handed to the socket at once: the head and one chunk, not 1.3 MB.
    expect(serverSide.bufferedAmount).toBeLessThanOrEqual(SNAPSHOT_CHUNK_BYTES + 64);

    const snapshot = await client.next((m) => m.type === 'snapshot', 5000);
    expect(snapshot.seq).toBe(1);
    expect(Buffer.byteLength(JSON.stringify(snapshot))).toBeGreaterThan(rest.length - 100);
    expect(client.messages).toHaveLength(1);
    // The head and the first chunk, then every chunk of its own in a later turn.
    expect(writes.length).toBe(1 + Math.ceil(rest.length / SNAPSHOT_CHUNK_BYTES));
    for (const w of writes.slice(1)) expect(w.bytes).toBeLessThanOrEqual(SNAPSHOT_CHUNK_BYTES);
    const turns = writes.slice(1).map((w) => w.turn);
    for (let i = 1; i < turns.length; i++) expect(turns[i]).toBeGreaterThan(turns[i - 1] as number);
    expect(writes.map((w) => w.fin)).toEqual(writes.map((_, i) => i === writes.length - 1));
  });

  it('when a delta and a heartbeat come during a snapshot, then the delta follows its last fragment, the ping goes between fragments and the tick is skipped', async () => {
    const { conn, client, open } = await pair();
    let pinged = false;
    client.ws.once('ping', () => {
      pinged = true;
    });
    conn.seq = 1;
    conn.sendSnapshot(head(1), snapshotRest(8 * SNAPSHOT_CHUNK_BYTES));
    conn.seq = 2;
    conn.send(Buffer.from('{"type":"delta","seq":2,"changes":[]}'));
    await new Promise((resolve) => setImmediate(resolve));
    heartbeat(open, Date.now(), () => true);
    conn.seq = 3;
    conn.send(Buffer.from('{"type":"delta","seq":3,"changes":[]}'));

    await client.next((m) => m.seq === 3, 5000);
    expect(client.messages.map((m) => [m.type, m.seq])).toEqual([
      ['snapshot', 1],
      ['delta', 2],
      ['delta', 3],
    ]);
    expect(pinged).toBe(true);
  });

  it.each([
    ['closed (4000)', (conn: LiveConnection) => conn.close(TOO_SLOW, 'too slow, resync')],
    ['terminated', (conn: LiveConnection) => conn.ws.terminate()],
  ])(
    'when the socket is %s in the middle of a snapshot, then nothing more is written, nothing throws, and the client never gets the snapshot',
    async (_how, end) => {
      const { conn, client, writes, open } = await pair();
      conn.sendSnapshot(head(1), snapshotRest(20 * SNAPSHOT_CHUNK_BYTES));
      conn.send(Buffer.from('{"type":"delta","seq":2,"changes":[]}'));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      const before = writes.length;
      expect(before).toBeGreaterThan(1);
      expect(before).toBeLessThan(10);

      end(conn);
      await client.closedWithin();
      // Turns enough for every chunk left, had it gone on.
      for (let i = 0; i < 40; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(writes.length, JSON.stringify(writes)).toBe(before);
      expect(client.messages).toEqual([]);
      conn.send(Buffer.from('{"type":"delta","seq":3,"changes":[]}'));
      conn.sendTick('{"type":"tick","at":"2026-12-02T00:00:00.000Z"}');
      expect(writes.length).toBe(before);
      expect(open.size).toBe(0);
    },
  );
});
