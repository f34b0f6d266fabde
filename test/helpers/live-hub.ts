import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { type ChangeFeed, createChangeFeed } from '../../server/app/changes.js';
import { createLiveHub, type LiveHub, type LiveHubOptions } from '../../server/live/hub.js';
import type { TestSystem } from './system.js';

/**
 * A hub of its own on its own HTTP server (options the test needs), closed when the test ends;
 * over TLS with `tls` (a certificate for 127.0.0.1).
 */
export async function ownHub(
  system: TestSystem,
  opts: Partial<LiveHubOptions> & { tls?: { cert: Buffer; key: Buffer } } = {},
): Promise<{ port: number; changes: ChangeFeed; hub: LiveHub }> {
  const { tls, ...hubOptions } = opts;
  const server = tls ? https.createServer(tls) : http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const changes = opts.changes ?? createChangeFeed();
  const hub = createLiveHub({
    server,
    stores: system.stores,
    changes,
    now: () => Date.now(),
    log: system.logs.log,
    ...hubOptions,
  });
  onTestFinished(() => hub.close());
  return { port: (server.address() as AddressInfo).port, changes, hub };
}
