// The host's side of the network-fault test's own channel to the guest: an HTTP endpoint on
// 127.0.0.1 (10.0.2.2 from the guest, through qemu's user-mode network, never impaired) that
// serves the Plan and takes the conductor's events, each stamped with the host's time of arrival.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConductorEvent, NetEvent, Plan } from './plan.js';

export type Received = { e: NetEvent; at: number };

/** The cap on what one POST may carry (a batch of events): the guest is ours, but bounded anyway. */
const MAX_BODY = 4 * 1024 * 1024;

export type Control = {
  port: number;
  events: Received[];
  /** Host time at which the conductor's phase mark arrived, once it has. */
  phaseAt(phase: Extract<ConductorEvent, { ev: 'phase' }>['phase']): number | undefined;
  /** Resolves when the conductor says done (or failed, or went quiet past the bound). */
  finished(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
};

export async function startControl(plan: Plan): Promise<Control> {
  const events: Received[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/plan') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(plan));
      return;
    }
    if (req.method === 'POST' && req.url === '/events') {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy();
        else chunks.push(c);
      });
      req.on('end', () => {
        const at = Date.now();
        try {
          for (const e of JSON.parse(Buffer.concat(chunks).toString('utf8')) as NetEvent[]) events.push({ e, at });
        } catch {
          res.statusCode = 400;
          res.end();
          return;
        }
        for (const w of waiters) w();
        res.end('ok');
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const phaseAt: Control['phaseAt'] = (phase) => events.find((r) => r.e.ev === 'phase' && r.e.phase === phase)?.at;
  const over = (): boolean => phaseAt('done') !== undefined || events.some((r) => r.e.ev === 'fail');

  return {
    port,
    events,
    phaseAt,
    finished(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`the conductor did not finish within ${timeoutMs} ms; last: ${JSON.stringify(events.slice(-5))}`),
          );
        }, timeoutMs);
        const check = (): void => {
          if (!over()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
