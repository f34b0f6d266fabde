import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loginAdmin } from '../../helpers/api.js';
import { openRaw, upgradeRequest } from '../../helpers/raw-ws.js';
import { startTestSystem } from '../../helpers/system.js';

// The live hub while the server stops: the hub closes its dashboards (waiting up to a second for
// each to answer the close) before the HTTP server closes; what comes in that second is answered.

/** The first bytes the server sends on a new connection after `request`; rejects after `timeoutMs`. */
function firstAnswer(port: number, request: string, timeoutMs: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', reject);
    socket.once('data', (chunk) => {
      clearTimeout(timer);
      resolve(chunk.toString('latin1'));
    });
    socket.write(request);
  });
}

describe('live hub while the server stops', () => {
  it('when a /ws upgrade comes while the dashboards are being closed, then it is answered at once and the stop finishes', async () => {
    const system = await startTestSystem({ scheduler: false });
    const { cookie } = await loginAdmin(system.app);
    const port = system.httpAddress.port;
    // A dashboard that never answers the close frame: the hub waits for it before the app closes.
    await openRaw(port, { cookie });
    const stopping = system.stop();
    let stopped = false;
    void stopping.then(() => {
      stopped = true;
    });
    // A dashboard reconnecting in that second (its backoff starts at 0.5 s).
    const answer = await firstAnswer(port, upgradeRequest(port, { cookie }), 5000);
    expect(stopped).toBe(false);
    // Not switched to the live feed, and not left unanswered (which held the server's close for good).
    expect(answer).toMatch(/^HTTP\/1\.1 [45]\d\d /);
    await expect(
      Promise.race([
        stopping.then(() => 'stopped'),
        new Promise((resolve) => setTimeout(() => resolve('still stopping after 10 s'), 10_000)),
      ]),
    ).resolves.toBe('stopped');
  });
});
