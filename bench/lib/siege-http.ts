// The HTTP side of the siege benchmark: requests over HTTP or HTTPS (node:http/https, so a
// source address in 127/8 and a private CA can be chosen per request), and three of the attacks:
// anonymous logins, dry-run imports, sockets that send half a header and hold.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { createHistogram, type Histogram } from './stats.js';

/** Where the server listens: plain HTTP, or HTTPS with the CA that signed its certificate. */
export type Endpoint = { port: number; ca: Buffer | null };

export const baseUrl = (ep: Endpoint): string => `${ep.ca ? 'https' : 'http'}://127.0.0.1:${ep.port}`;

export type Answer = { status: number; headers: http.IncomingHttpHeaders; text: string };

export function call(
  ep: Endpoint,
  req: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    localAddress?: string;
    agent?: http.Agent;
    timeoutMs?: number;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      host: '127.0.0.1',
      port: ep.port,
      method: req.method,
      path: req.path,
      headers: {
        ...req.headers,
        ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
      },
      timeout: req.timeoutMs ?? 30_000,
      ...(req.localAddress ? { localAddress: req.localAddress } : {}),
      ...(req.agent ? { agent: req.agent } : {}),
      ...(ep.ca ? { ca: ep.ca } : {}),
    };
    const r = (ep.ca ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`no answer within ${req.timeoutMs ?? 30_000} ms`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

export type Session = { cookie: string; csrf: string };

export async function login(ep: Endpoint, username: string, password: string): Promise<Session> {
  const res = await call(ep, {
    method: 'POST',
    path: '/api/session',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login of ${username}: HTTP ${res.status} ${res.text}`);
  const setCookie = res.headers['set-cookie'] ?? [];
  const cookie = setCookie.find((c) => c.startsWith('ribbon_session='))?.split(';')[0];
  if (!cookie) throw new Error('login: no session cookie');
  return { cookie, csrf: (JSON.parse(res.text) as { csrfToken: string }).csrfToken };
}

/** How one kind of attack request was answered: by status ("401", "error: …"), how fast. */
export type Answers = {
  sent: number;
  byStatus: Record<string, number>;
  /** Refusals (429, 503) that carried Retry-After. */
  withRetryAfter: number;
  latency: Histogram;
};

export const newAnswers = (): Answers => ({ sent: 0, byStatus: {}, withRetryAfter: 0, latency: createHistogram() });

function count(a: Answers, key: string): void {
  a.byStatus[key] = (a.byStatus[key] ?? 0) + 1;
}

async function measured(a: Answers, send: () => Promise<Answer>): Promise<void> {
  const start = performance.now();
  a.sent++;
  try {
    const res = await send();
    a.latency.record(performance.now() - start);
    count(a, String(res.status));
    if ((res.status === 429 || res.status === 503) && res.headers['retry-after'] !== undefined) a.withRetryAfter++;
  } catch (err) {
    count(a, `error: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `n` source addresses 127.0.0.<first>…, never 127.0.0.1 (the dashboard's and the device's). */
export function sourceAddresses(first: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.${Math.floor((first + i) / 254)}.${((first + i) % 254) + 1}`);
}

/**
 * Anonymous logins with usernames that do not exist, `inFlight` at a time, each from the next of
 * `addresses` in turn, until `until` (performance.now()). Every answer starts the next attempt.
 */
export async function floodLogins(
  ep: Endpoint,
  opts: { inFlight: number; addresses: readonly string[]; until: number; answers: Answers },
): Promise<void> {
  const agent = new (ep.ca ? https.Agent : http.Agent)({ keepAlive: true });
  let k = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < opts.until) {
      const i = k++;
      const body = JSON.stringify({ username: `nobody-${i}`, password: 'not-the-password' });
      await measured(opts.answers, () =>
        call(ep, {
          method: 'POST',
          path: '/api/session',
          headers: { 'content-type': 'application/json' },
          body,
          localAddress: opts.addresses[i % opts.addresses.length] as string,
          agent,
        }),
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.inFlight }, lane));
  } finally {
    agent.destroy();
  }
}

/** `concurrent` dry-run imports of the roster, each starting again once answered, until `until`. */
export async function importLoop(
  ep: Endpoint,
  opts: { session: Session; csv: Buffer; concurrent: number; until: number; answers: Answers },
): Promise<void> {
  const lane = async (): Promise<void> => {
    while (performance.now() < opts.until) {
      await measured(opts.answers, () =>
        call(ep, {
          method: 'POST',
          path: '/api/import/households?dryRun=true',
          headers: { 'content-type': 'text/csv', cookie: opts.session.cookie, 'x-csrf-token': opts.session.csrf },
          body: opts.csv,
          timeoutMs: 60_000,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: opts.concurrent }, lane));
}

export type HeldSockets = {
  opened: number;
  /** Closed by the server while we held them, and what it said first ("408", "nothing"). */
  closedByServer: number;
  firstAnswer: Record<string, number>;
  /** Time from open to the server's close (ms). */
  heldFor: Histogram;
  /** Could not connect at all (the connection cap, a refused handshake). */
  failed: Record<string, number>;
};

/**
 * `count` sockets that send the first lines of a request and then nothing more; one the server
 * closes is opened again (an attacker keeps the pressure on) until `until`, then all are closed.
 */
export async function holdHeaders(
  ep: Endpoint,
  opts: { count: number; until: number; localAddress: string; held: HeldSockets },
): Promise<void> {
  const partial = 'POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
  const open = new Set<net.Socket>();
  // Sockets we closed ourselves at the end of the attack: not counted as closed by the server.
  const ours = new WeakSet<net.Socket>();
  const { held } = opts;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const tcp = net.connect({ host: '127.0.0.1', port: ep.port, localAddress: opts.localAddress });
      const s: net.Socket = ep.ca ? tls.connect({ socket: tcp, host: '127.0.0.1', ca: ep.ca }) : tcp;
      if (s !== tcp) tcp.on('error', () => undefined);
      const start = performance.now();
      let connected = false;
      let first = '';
      open.add(s);
      s.once(ep.ca ? 'secureConnect' : 'connect', () => {
        connected = true;
        held.opened++;
        s.write(partial);
      });
      s.on('data', (d: Buffer) => {
        if (first === '') first = d.toString('latin1').slice(0, 40);
      });
      s.on('error', (err: NodeJS.ErrnoException) => {
        if (!connected) held.failed[err.code ?? err.message] = (held.failed[err.code ?? err.message] ?? 0) + 1;
      });
      s.once('close', () => {
        open.delete(s);
        if (connected && performance.now() < opts.until && !ours.has(s)) {
          held.closedByServer++;
          held.heldFor.record(performance.now() - start);
          const status = /^HTTP\/1\.1 (\d{3})/.exec(first)?.[1] ?? 'nothing';
          held.firstAnswer[status] = (held.firstAnswer[status] ?? 0) + 1;
        }
        resolve();
      });
    });
  const lane = async (): Promise<void> => {
    while (performance.now() < opts.until) {
      await one();
      // A refused connection is tried again, not at once.
      if (performance.now() < opts.until) await new Promise((r) => setTimeout(r, 50));
    }
  };
  const lanes = Promise.all(Array.from({ length: opts.count }, lane));
  await new Promise((r) => setTimeout(r, Math.max(0, opts.until - performance.now())));
  for (const s of open) {
    ours.add(s);
    s.destroy();
  }
  await lanes;
}

export const newHeldSockets = (): HeldSockets => ({
  opened: 0,
  closedByServer: 0,
  firstAnswer: {},
  heldFor: createHistogram(),
  failed: {},
});
