import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CORE_HEALTH_TIMEOUT_MS } from '../../server/people.js';
import { PEOPLE_SIDE_NICE } from '../../server/lanes/lanes.js';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../../server/store/db.js';
import { createStores } from '../../server/store/index.js';
import { type ChildServer, freePort, loginOverHttp, startChildServer } from '../helpers/child-server.js';
import { deltaWith, isSnapshot, open } from '../helpers/live-client.js';
import { RawMqtt } from '../helpers/raw-mqtt.js';
import { tempDir } from '../helpers/system.js';
import { selfSignedCert } from '../helpers/tls.js';
import { waitUntil } from '../helpers/tools.js';

// Two lanes (docs/design.md, "Two lanes"; issue 12): under `npm start` the safety core runs on its
// own thread, so a people side held up on purpose (test/helpers/lane-controls.ts, preloaded on the
// server's main thread) does not hold up a press; and either lane failing ends the whole process.

function provision(dataDir: string): { id: string; secret: string } {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    const householdId = addHousehold(
      stores,
      { compound: '阳光小区', building: '1号楼', room: '101', name: '王桂兰' },
      now,
    );
    return provisionDevice(stores, householdId, now);
  } finally {
    stores.db.close();
  }
}

const ADMIN_PASSWORD = 'lanes-test-admin-password';

async function start(
  opts: { cert?: { certFile: string; keyFile: string } } = {},
): Promise<{ server: ChildServer; device: RawMqtt; deviceId: string; dataDir: string }> {
  const dataDir = tempDir();
  const device = provision(dataDir);
  const server = await startChildServer({
    dataDir,
    mqttPort: await freePort(),
    controls: true,
    env: {
      ADMIN_PASSWORD,
      // HTTPS; the device stays on plain MQTT (as in the siege).
      ...(opts.cert
        ? { TLS_CERT_FILE: opts.cert.certFile, TLS_KEY_FILE: opts.cert.keyFile, MQTT_PLAIN: 'on', MQTTS_PORT: '0' }
        : {}),
    },
  });
  const { raw, connack } = await RawMqtt.connect(server.mqttPort, {
    clientId: device.id,
    username: device.id,
    password: device.secret,
  });
  expect(connack.returnCode).toBe(0);
  return { server, device: raw, deviceId: device.id, dataDir };
}

const logged = (server: ChildServer, msg: string) => server.logs.some((l) => l.msg === msg);

/** Sends a red press (QoS 1) and resolves with the milliseconds to its PUBACK. */
async function press(device: RawMqtt, deviceId: string, seq: number): Promise<number> {
  const sent = performance.now();
  device.send(device.publish(`ribbon/${deviceId}/state`, JSON.stringify({ state: 'red', seq, boot: 1 }), seq, 1));
  await device.next((p) => p.cmd === 'puback' && p.messageId === seq, 5000);
  return performance.now() - sent;
}

/**
 * An HTTP/1.1 connection kept open (over TLS with `ca`): `ask()` writes one GET /api/households at
 * once — a cheap 401 without `cookie`, the route's handler with it — and `onAnswer` hears each
 * complete answer. Resolves once the connection has had its first.
 */
async function keptAlive(
  port: number,
  onAnswer: () => void,
  opts: { ca?: Buffer; cookie?: string } = {},
): Promise<{ ask(): void }> {
  const { ca, cookie } = opts;
  const socket = ca ? tls.connect({ port, host: '127.0.0.1', ca }) : net.connect(port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  let buffered = '';
  let first: (() => void) | null = null;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.slice(end + 4 + length);
      if (first) {
        first();
        first = null;
      } else onAnswer();
    }
  });
  const ask = () =>
    socket.write(`GET /api/households HTTP/1.1\r\nHost: 127.0.0.1\r\n${cookie ? `Cookie: ${cookie}\r\n` : ''}\r\n`);
  await new Promise<void>((resolve, reject) => {
    first = resolve;
    socket.once('error', reject);
    ask();
  });
  return { ask };
}

/** The admin's session cookie, logged in over HTTPS (a certificate of the test's own). */
function loginOverHttps(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/session',
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        const cookie = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('ribbon_session='))?.split(';')[0];
        if (res.statusCode === 200 && cookie) resolve(cookie);
        else reject(new Error(`login over HTTPS: ${res.statusCode}`));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }));
  });
}

/** The nice value of each thread of process `pid` (Linux /proc), the main thread's first. */
function niceByThread(pid: number): { main: number; others: number[] } {
  const niceOf = (tid: string) => {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis: state is field 3, nice field 19.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };
  const tids = fs.readdirSync(`/proc/${pid}/task`);
  return { main: niceOf(String(pid)), others: tids.filter((t) => t !== String(pid)).map(niceOf) };
}

describe('two lanes', () => {
  it('when it is listening, then the people side (the main thread) runs at a lower priority than every other thread: the core’s, its syncs’', async () => {
    const { server } = await start();
    // The server starts at this process's priority (0 unless the tests run under `nice`).
    const base = os.getPriority();
    const { main, others } = niceByThread(server.pid);
    expect(main).toBe(Math.max(base, PEOPLE_SIDE_NICE));
    expect(others.length).toBeGreaterThan(4);
    expect(others.every((nice) => nice === base)).toBe(true);
  });

  it('when the people side is held in a synchronous 2 s loop, then presses are still PUBACKed at once, long before it lets go', async () => {
    const { server, device, deviceId } = await start();
    await press(device, deviceId, 1);

    server.control('block 2000');
    await waitUntil(() => logged(server, 'lane-controls: blocking'), 'the main thread blocking', 10_000);
    const during: number[] = [];
    for (let seq = 2; seq <= 4; seq++) during.push(await press(device, deviceId, seq));
    // Every PUBACK came while the main thread was still in its loop …
    expect(logged(server, 'lane-controls: unblocked')).toBe(false);
    // … and took a few milliseconds, not the loop's 2 s (a wide margin for a loaded machine).
    for (const ms of during) expect(ms).toBeLessThan(500);
    await waitUntil(() => logged(server, 'lane-controls: unblocked'), 'the main thread free again', 10_000);
  });

  it('when one turn of the people side’s event loop is filled with slow requests, then a red’s receipt reaches the watching dashboard at the first of them, not after the last', async () => {
    const { server, device, deviceId } = await start();
    const cookie = await loginOverHttp(server.httpUrl, 'admin', ADMIN_PASSWORD);
    const dashboard = await open(server.httpPort, { cookie });
    await dashboard.next(isSnapshot);
    // What this process heard, in order: answers to the slow requests, and the receipt.
    const heard: string[] = [];
    const connections = await Promise.all(
      Array.from({ length: 20 }, () => keptAlive(server.httpPort, () => heard.push('answer'))),
    );
    const isReceipt = deltaWith((c) => c.type === 'receipt' && c.status === 'recording');
    dashboard.ws.on('message', (data) => {
      if (isReceipt(JSON.parse(data.toString()))) heard.push('receipt');
    });
    server.control('slow-requests 50');
    await waitUntil(() => logged(server, 'lane-controls: requests slowed'), 'requests slowed', 10_000);

    // While the main thread is held, the 20 requests arrive, then the red press: its PUBACK comes
    // from the core's thread, and its receipt waits for the main thread behind the requests.
    // Held 4 s: the blocking's log line, 20 requests and a press with its commit, on a loaded machine.
    server.control('block 4000');
    await waitUntil(() => logged(server, 'lane-controls: blocking'), 'the main thread blocking', 10_000);
    for (const connection of connections) connection.ask();
    await press(device, deviceId, 1);
    expect(logged(server, 'lane-controls: unblocked')).toBe(false);

    // Let go, the main thread meets all 20 requests in one poll phase, 50 ms each (a second).
    await waitUntil(() => heard.length === 21, 'the 20 answers and the receipt', 20_000);
    // Published at the first request's start (it takes the core's changes first): out with the first
    // answer or the second, not after all 20 (a receipt heard only when the loop reached its port).
    expect(heard.indexOf('receipt')).toBeLessThanOrEqual(2);
  });

  it('when over HTTPS one turn would run 20 slow requests, then a red pressed during them reaches the dashboard before most of their answers (not when the turn ends)', async () => {
    const cert = selfSignedCert(tempDir(), { key: 'p256' });
    const { server, device, deviceId } = await start({ cert });
    const cookie = await loginOverHttps(server.httpPort, cert.cert);
    const dashboard = await open(server.httpPort, { cookie, ca: cert.cert });
    await dashboard.next(isSnapshot);
    const heard: string[] = [];
    let pressed: Promise<number> | null = null;
    const connections = await Promise.all(
      Array.from({ length: 20 }, () =>
        keptAlive(
          server.httpPort,
          () => {
            heard.push('answer');
            // Pressed once the turn is under way: the first answer has left.
            pressed ??= press(device, deviceId, 2);
          },
          // Logged in: the route's handler runs (the slowed part) and answers at once, in the turn.
          { ca: cert.cert, cookie },
        ),
      ),
    );
    // The first press's receipt, then the second's: that is the one listened for.
    let receipts = 0;
    dashboard.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; changes?: Array<{ type: string; status?: string }> };
      if (frame.type !== 'delta') return;
      for (const c of frame.changes ?? []) {
        if (c.type === 'receipt' && c.status === 'recording' && ++receipts === 2) heard.push('receipt');
      }
    });
    server.control('slow-handlers 100');
    await waitUntil(() => logged(server, 'lane-controls: handlers slowed'), 'handlers slowed', 10_000);

    // While the main thread is held: a first press (its delta is the dashboard's first write of the
    // coming turn) and the 20 requests. Let go, one turn meets all 20, 100 ms each.
    server.control('block 3000');
    await waitUntil(() => logged(server, 'lane-controls: blocking'), 'the main thread blocking', 10_000);
    await press(device, deviceId, 1);
    for (const connection of connections) connection.ask();
    await waitUntil(() => heard.length === 21, 'the 20 answers and the red’s receipt', 20_000);
    await pressed;
    // Over TLS a socket's second write in one turn leaves only when the turn ends: a receipt
    // published at once but written after the first press's delta came after all 20 answers.
    // Each slow request now waits for a turn of its own, and the receipt leaves in the next.
    expect(heard.indexOf('receipt')).toBeLessThan(10);
  });

  it('when the core is stuck waiting for SQLite’s lock, then the people side still answers at once, and /healthz says the core is not answering', async () => {
    const { server, device, deviceId, dataDir } = await start();
    const lock = new Database(path.join(dataDir, DB_FILE_NAME));
    onTestFinished(() => {
      if (lock.inTransaction) lock.exec('ROLLBACK');
      lock.close();
    });
    lock.exec('BEGIN IMMEDIATE');
    // The press's commit now waits (up to the 5 s busy timeout) on the core's thread.
    device.send(device.publish(`ribbon/${deviceId}/state`, JSON.stringify({ state: 'red', seq: 1, boot: 1 }), 1, 1));
    // Asked until the core is caught in that wait (bounded: well inside the 5 s it waits).
    let answer: { status: number; body: unknown } = { status: 0, body: null };
    const until = Date.now() + 4000;
    while (answer.status !== 503 && Date.now() < until) {
      const res = await fetch(`${server.httpUrl}/healthz`);
      answer = { status: res.status, body: await res.json() };
    }
    expect(answer).toEqual({
      status: 503,
      body: { status: 'unhealthy', core: `not answering within ${CORE_HEALTH_TIMEOUT_MS} ms` },
    });
    lock.exec('ROLLBACK');
    await device.next((p) => p.cmd === 'puback' && p.messageId === 1, 10_000);
    const again = await fetch(`${server.httpUrl}/healthz`);
    expect(again.status).toBe(200);
  });

  it('when the safety core’s thread ends unexpectedly, then the process says so and exits with code 70 (a supervisor restarts it whole)', async () => {
    const { server } = await start();
    server.control('crash-core');
    const exit = await server.exited;
    expect(exit.code).toBe(70);
    expect(server.logs).toContainEqual(
      expect.objectContaining({ level: 60, msg: expect.stringContaining('the safety core stopped unexpectedly') }),
    );
  });

  it('when the people side throws an error nothing catches, then the process says so and exits with code 1', async () => {
    const { server } = await start();
    server.control('throw');
    const exit = await server.exited;
    expect(exit.code).toBe(1);
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        level: 60,
        msg: expect.stringContaining('the people side failed'),
        err: expect.objectContaining({ message: 'lane-controls: the people side fails on purpose' }),
      }),
    );
  });
});
