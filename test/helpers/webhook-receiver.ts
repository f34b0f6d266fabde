import http from 'node:http';
import { listenOnLoopback } from './tools.js';

export type Received = { headers: http.IncomingHttpHeaders; body: string; json: unknown; status: number };

/**
 * A real HTTP receiver on 127.0.0.1 for notification tests: records every request and answers
 * with `status()` (changeable mid-test, e.g. failing then recovering) and `answer(body)` (`{}`
 * unless given). Closed when the test ends.
 */
export async function startWebhookReceiver(opts: { status?: () => number; answer?: (body: string) => string } = {}) {
  const received: Received[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let status = opts.status ?? (() => 200);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const code = status();
      received.push({ headers: req.headers, body, json, status: code });
      res.writeHead(code, { 'content-type': 'application/json' }).end(opts.answer?.(body) ?? '{}');
      for (const w of waiters.filter((w) => received.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    setStatus(next: () => number) {
      status = next;
    },
    /** Resolves once `n` requests have arrived in all; rejects after timeoutMs. */
    waitFor(n: number, timeoutMs = 5000): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${received.length} of ${n} requests within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}
