import net from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { loginAdmin } from '../../helpers/api.js';
import { open } from '../../helpers/live-client.js';
import { startTestSystem } from '../../helpers/system.js';

// The HTTP server's own limits, on real sockets: a request must arrive in time, and only so many
// connections are held. Timeouts are set short here; the defaults are 10 s and 60 s.

const SHORT = { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' };

/** A raw socket to the server that keeps what it receives and says when it closed. */
async function rawSocket(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    closed,
    received: () => received,
    /** Resolves with what arrived once `text` is in it (bounded). */
    async waitFor(text: string, timeoutMs = 2000): Promise<string> {
      await vi.waitFor(() => expect(received).toContain(text), { timeout: timeoutMs, interval: 10 });
      return received;
    },
  };
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('HTTP requests must arrive in time', () => {
  it('when a client sends half its headers and waits, then it gets 408 and the socket is closed once the headers timeout is past', async () => {
    const s = await startTestSystem({ scheduler: false, env: SHORT });
    const c = await rawSocket(s.httpAddress.port);
    const start = Date.now();
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const closedAt = await within(c.closed, 3000);
    expect(closedAt - start).toBeGreaterThanOrEqual(250);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('when a client sends its headers but not the whole body, then it gets 408 once the request timeout is past', async () => {
    const s = await startTestSystem({ scheduler: false, env: SHORT });
    const c = await rawSocket(s.httpAddress.port);
    const start = Date.now();
    c.socket.write(
      'POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user',
    );
    const closedAt = await within(c.closed, 3000);
    expect(closedAt - start).toBeGreaterThanOrEqual(550);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('when a /ws socket stays open well past both timeouts, then it is not cut and still answers', async () => {
    const s = await startTestSystem({ scheduler: false, env: SHORT });
    const admin = await loginAdmin(s.app);
    const live = await open(s.httpAddress.port, { cookie: admin.cookie });
    await live.next((m) => m.type === 'snapshot');
    // Nothing to wait on but time itself: three request timeouts and many checking rounds.
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(live.ws.readyState).toBe(live.ws.OPEN);
    const pong = new Promise<void>((resolve) => live.ws.once('pong', () => resolve()));
    live.ws.ping();
    await within(pong, 2000);
    // And an ordinary request meanwhile still gets its answer.
    expect((await fetch(`${s.httpUrl}/healthz`)).status).toBe(200);
  });
});

describe('HTTP connections are capped', () => {
  it('when more connections are opened than HTTP_MAX_CONNECTIONS, then the extra one is closed at once (and logged), the others are served, and a freed slot is usable again', async () => {
    const s = await startTestSystem({ scheduler: false, env: { HTTP_MAX_CONNECTIONS: '3' } });
    const port = s.httpAddress.port;
    const held = [];
    for (let i = 0; i < 3; i++) {
      const c = await rawSocket(port);
      // Served: the server has accepted and counts it.
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await c.waitFor('"status":"ok"');
      held.push(c);
    }
    const extra = await rawSocket(port);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await within(extra.closed, 2000);
    expect(extra.received()).toBe('');
    await vi.waitFor(() =>
      expect(s.logs.find((l) => l.msg === 'HTTP connection refused: too many open')).toMatchObject({
        maxConnections: 3,
      }),
    );

    // The held ones still work.
    held[0]?.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await held[0]?.waitFor('HTTP/1.1 200', 2000);
    held[1]?.socket.destroy();
    await held[1]?.closed;
    await vi.waitFor(
      async () => {
        const res = await fetch(`${s.httpUrl}/healthz`, { headers: { connection: 'close' } });
        expect(res.status).toBe(200);
      },
      { timeout: 2000, interval: 50 },
    );
  });
});
