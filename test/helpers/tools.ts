import { onTestFinished, vi } from 'vitest';
import fs from 'node:fs';

/**
 * Some tests need a program from Debian (mosquitto, chromium). On a developer's machine without
 * it they are skipped with a plain reason; under CI (CI=true) a missing program is a failure,
 * because .ci/run installs it and a silent skip would hide that the test never ran.
 */
export function requireProgram(path: string, debianPackage: string): { available: boolean; reason: string } {
  const available = fs.existsSync(path);
  const reason = `${path} not found (apt-get install ${debianPackage})`;
  if (!available && process.env.CI) {
    throw new Error(`CI must run these tests, but ${reason}`);
  }
  if (!available) process.stderr.write(`skipping tests that need ${path}: ${reason}\n`);
  return { available, reason };
}

/** Resolves once `condition()` holds, polling; fails naming `what` after `timeoutMs`. */
export function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return vi.waitFor(
    () => {
      if (!condition()) throw new Error(`still waiting: ${what}`);
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

/** The promise, or a rejection naming `what` if it has not settled within `timeoutMs`. */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Listens on a free port of 127.0.0.1 and closes the server (its open connections too) when the
 * test ends: the test's fake servers (a webhook receiver, a provider's gateway). Resolves with the port.
 */
export async function listenOnLoopback(server: import('node:http').Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as import('node:net').AddressInfo).port;
}
