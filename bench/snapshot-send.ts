/**
 * How long the main thread is held while the live hub sends ONE 10,000-household snapshot
 * (~1.8 MB) to 20 sockets over TLS (issue 12, "snapshot cost bounded ... sent in chunks").
 * Not part of `npm run bench`: run it alone, `node --import tsx bench/snapshot-send.ts`.
 *
 * The hub runs in this process over HTTPS with a frozen clock, so the snapshot is built once (by a
 * first socket) and then only sent: the figure is the send, not the build. The 20 clients run in
 * a child process (their TLS and parsing are not here); they all ask `resync` at once, and a 1 ms
 * interval here records, until every client has its whole new snapshot, the longest gap between
 * two of its runs: in wall time, and in this process's CPU time (what the event loop itself was
 * doing, the same on a busy machine, where wall gaps also count time the thread was not running).
 * Prints one JSON line per round and a summary.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import WebSocket from 'ws';
import { newSecret, SESSION_COOKIE, sha256 } from '../server/api/auth.js';
import { createChangeFeed } from '../server/app/changes.js';
import { addHousehold } from '../server/app/provision.js';
import { createLiveHub } from '../server/live/hub.js';
import { createLogger } from '../server/log.js';
import { openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { selfSignedCert } from '../test/helpers/tls.js';

const HOUSEHOLDS = 10_000;
const SOCKETS = 20;
const ROUNDS = 5;

type Setup = { port: number; cookie: string; ca: string };
type FromClients = { type: 'ready' } | { type: 'round'; bytes: number };

// Run as `… snapshot-send.ts --clients <Setup as JSON>`, it is the clients' process.
const setup = process.argv.indexOf('--clients');
if (setup === -1) await main();
else await clients(JSON.parse(process.argv[setup + 1] ?? '') as Setup);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-snapshot-send-'));
  const stores = createStores(openDatabase(dir));
  const start = Date.now();
  stores.db.transaction(() => {
    for (let i = 0; i < HOUSEHOLDS; i++)
      addHousehold(
        stores,
        { compound: `小区${i % 10}`, building: `${i % 100}号楼`, room: `${i}`, name: `住户${i}` },
        start,
      );
  })();
  const userId = stores.users.create(
    { username: 'admin', displayName: 'admin', role: 'admin', passwordHash: 'x' },
    start,
  );
  const cookie = newSecret();
  stores.users.createSession(sha256(cookie), userId, 'csrf', start, start + 3_600_000);

  const tls = selfSignedCert(dir);
  const server = https.createServer({ cert: tls.cert, key: tls.key });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hub = createLiveHub({
    server,
    stores,
    changes: createChangeFeed(),
    // Frozen: the shared snapshot never ages, so every resync after the first build only sends.
    now: () => start,
    log: createLogger('warn'),
    admission: { maxSocketsPerSession: 100, maxSocketsPerAddress: 100, maxSnapshotsPerSession: 1000 },
  });

  const forClients: Setup = { port: (server.address() as AddressInfo).port, cookie, ca: tls.cert.toString() };
  const child = fork(new URL(import.meta.url), ['--clients', JSON.stringify(forClients)], {
    execArgv: ['--import', 'tsx'],
  });
  const next = () => new Promise<FromClients>((resolve) => child.once('message', (m) => resolve(m as FromClients)));
  await next(); // ready: every socket has its first snapshot (the build happened then)

  const wallGaps: number[] = [];
  const cpuGaps: number[] = [];
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  for (let round = 0; round < ROUNDS; round++) {
    let last = performance.now();
    let lastCpu = cpuMs();
    let wall = 0;
    let cpu = 0;
    const timer = setInterval(() => {
      const t = performance.now();
      const c = cpuMs();
      wall = Math.max(wall, t - last);
      cpu = Math.max(cpu, c - lastCpu);
      last = t;
      lastCpu = c;
    }, 1);
    const t0 = performance.now();
    child.send('resync');
    const done = await next();
    clearInterval(timer);
    const took = performance.now() - t0;
    wallGaps.push(wall);
    cpuGaps.push(cpu);
    const longestGapMs = { wall: +wall.toFixed(1), cpu: +cpu.toFixed(1) };
    console.log(JSON.stringify({ round, longestGapMs, allReceivedMs: +took.toFixed(0), ...done }));
  }
  const summary = (xs: number[]) => {
    const sorted = [...xs].sort((x, y) => x - y);
    return { median: +(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1), max: +(sorted.at(-1) ?? 0).toFixed(1) };
  };
  const longestGapMs = { wall: summary(wallGaps), cpu: summary(cpuGaps) };
  console.log(JSON.stringify({ households: HOUSEHOLDS, sockets: SOCKETS, longestGapMs }));
  child.kill();
  await hub.close();
  server.close();
  stores.db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

async function clients(setup: Setup): Promise<void> {
  const send = (m: FromClients) => process.send?.(m);
  type Client = { ws: WebSocket; snapshot: () => Promise<number> };
  const open = () =>
    new Promise<Client>((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${setup.port}/ws`, {
        headers: { cookie: `${SESSION_COOKIE}=${setup.cookie}` },
        origin: `https://127.0.0.1:${setup.port}`,
        ca: setup.ca,
        perMessageDeflate: false,
      });
      // Snapshot sizes received and not yet awaited, and who awaits the next one.
      const got: number[] = [];
      let waiting: ((bytes: number) => void) | null = null;
      ws.on('message', (data: Buffer) => {
        if (!data.subarray(0, 20).toString().startsWith('{"type":"snapshot"')) return;
        if (waiting === null) got.push(data.length);
        else waiting(data.length);
        waiting = null;
      });
      ws.once('error', reject);
      ws.once('close', (code) => console.error(`socket closed ${code}`));
      const snapshot = () =>
        new Promise<number>((done) => {
          const early = got.shift();
          if (early !== undefined) done(early);
          else waiting = done;
        });
      ws.once('open', () => resolve({ ws, snapshot }));
    });
  // The first socket builds the shared snapshot; the rest are given the same bytes.
  const sockets: Client[] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = await open();
    await s.snapshot();
    sockets.push(s);
  }
  send({ type: 'ready' });
  process.on('message', async () => {
    const received = sockets.map((s) => s.snapshot());
    for (const s of sockets) s.ws.send('{"type":"resync"}');
    const sizes = await Promise.all(received);
    send({ type: 'round', bytes: sizes[0] ?? 0 });
  });
}
