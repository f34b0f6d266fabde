import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One "heavy" test file at a time across vitest's workers: the e2e files (a server process and a
 * browser) and the benchmark smoke runs each load both cores of a small machine. They run in the
 * same pool as the integration files (two workers), so that an integration file fills the other
 * worker while a heavy one runs, but never beside another heavy one (test/helpers/sequencer.ts
 * spreads them through the queue so a worker seldom waits here).
 *
 * The lock is a directory made with mkdir (atomic) holding the owner's pid; a lock whose owner is
 * gone (a worker that crashed) is taken over. Keyed by the checkout, so two clones do not share it.
 */
const LOCK = path.join(
  os.tmpdir(),
  `ribbon-pact-heavy-${Buffer.from(process.cwd()).toString('base64url').slice(-40)}.lock`,
);
const POLL_MS = 100;

function ownerAlive(): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8'));
  } catch {
    return true; // being made or removed right now: look again
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryTake(): boolean {
  try {
    fs.mkdirSync(LOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (!ownerAlive()) fs.rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
  fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
  return true;
}

/** Waits (without bound: the holder's own test timeouts bound it) until this process holds the lock. */
export async function takeHeavyLock(): Promise<void> {
  while (!tryTake()) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
}

/** Gives the lock back if this process holds it. */
export function releaseHeavyLock(): void {
  try {
    if (Number(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8')) !== process.pid) return;
  } catch {
    return;
  }
  fs.rmSync(LOCK, { recursive: true, force: true });
}
