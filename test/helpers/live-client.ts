import { onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import type { Change } from '../../server/app/changes.js';

// A `/ws` client for tests (docs/api.md, "Live updates"): keeps every frame and waits for one.

export type Message = { type: string; seq: number; [key: string]: unknown };
export type SentChange = Record<string, unknown> & { type: Change['type'] | 'compound' };
export type Delta = Message & { type: 'delta'; changes: SentChange[] };
export type Snapshot = Message & {
  type: 'snapshot';
  households: Array<{ id: number; compoundId: number }>;
  alerts: Array<{ id: number; householdId: number; status: string }>;
};

/** A ws client that keeps every message and lets a test wait for one (bounded). */
export class LiveClient {
  readonly messages: Message[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Message);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    void this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** The first message (from `from` on) matching `match`; rejects after timeoutMs or on close. */
  async next<T extends Message = Message>(match: (m: Message) => boolean, timeoutMs = 2000, from = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found as T;
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`closed before a matching message; got ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  async closedWithin(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return result;
  }
}

export function wsUrl(port: number, path = '/ws'): string {
  return `ws://127.0.0.1:${port}${path}`;
}

/** Opens /ws; resolves with the client once open, or rejects with the HTTP status (or error). */
export function open(
  port: number,
  opts: { cookie?: string; origin?: string | null; path?: string; ca?: Buffer } = {},
): Promise<LiveClient> {
  const headers: Record<string, string> = {};
  if (opts.cookie !== undefined) headers.cookie = opts.cookie;
  const scheme = opts.ca ? 'https' : 'http';
  const origin = opts.origin === undefined ? `${scheme}://127.0.0.1:${port}` : opts.origin;
  const url = wsUrl(port, opts.path);
  const ws = new WebSocket(opts.ca ? url.replace(/^ws:/, 'wss:') : url, {
    headers,
    ...(origin !== null ? { origin } : {}),
    ...(opts.ca ? { ca: opts.ca } : {}),
    perMessageDeflate: false,
  });
  // Listening from the start: the snapshot may arrive in the same chunk as the handshake.
  const client = new LiveClient(ws);
  onTestFinished(() => {
    ws.terminate();
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode }));
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

export const isSnapshot = (m: Message): boolean => m.type === 'snapshot';
export const isDelta = (m: Message): m is Delta => m.type === 'delta';
/** A delta frame holding a change that matches. */
export const deltaWith =
  (match: (c: SentChange) => boolean) =>
  (m: Message): boolean =>
    isDelta(m) && m.changes.some(match);
/** Every change received so far, in order, over all delta frames. */
export const changesOf = (client: LiveClient): SentChange[] =>
  client.messages.filter(isDelta).flatMap((d) => d.changes);
