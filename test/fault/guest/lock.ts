import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from './cache.js';

/** The machine-wide guest lock: one qemu guest at a time on this machine, whoever starts it. */
export type GuestLock = { release(): void };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Tries once to take the lock file; the holder's pid when someone else holds it, null when taken. */
function tryTake(file: string): number | null {
  try {
    const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
    fs.writeSync(fd, String(process.pid));
    fs.closeSync(fd);
    return null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let holder = Number.NaN;
  try {
    holder = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return 0; // released meanwhile: try again
  }
  if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
    fs.rmSync(file, { force: true }); // stale: its process is gone
    return 0;
  }
  if (!Number.isInteger(holder) || holder <= 0) {
    // Half-written (a writer takes well under a second) or garbage.
    const age = Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > 2000) fs.rmSync(file, { force: true });
    return 0;
  }
  if (holder === process.pid) throw new Error('this process already holds the guest lock: one guest at a time');
  return holder;
}

/**
 * Takes the lock (a file made with O_EXCL holding the holder's pid), waiting up to `timeoutMs`
 * for other holders, first come first served (each waiter leaves a ticket; only the oldest live
 * ticket tries, so a test that boots guests again and again cannot starve another); a lock or a
 * ticket whose pid is gone is stale and removed. Released on `release()` and, as a last resort,
 * when this process exits.
 */
export async function takeGuestLock(
  opts: { timeoutMs?: number; onWait?: (holder: number) => void } = {},
): Promise<GuestLock> {
  const file = path.join(cacheDir(), 'guest.lock');
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  const queue = path.join(cacheDir(), 'guest.queue');
  fs.mkdirSync(queue, { recursive: true });
  const ticket = path.join(queue, `${String(Date.now()).padStart(15, '0')}-${process.pid}`);
  fs.writeFileSync(ticket, '');
  const first = (): boolean => {
    for (const name of fs.readdirSync(queue).sort()) {
      if (path.join(queue, name) === ticket) return true;
      const pid = Number(name.split('-')[1]);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) return false;
      fs.rmSync(path.join(queue, name), { force: true });
    }
    return true;
  };
  let told = false;
  try {
    for (;;) {
      const holder = first() ? tryTake(file) : -1;
      if (holder === null) break;
      if (holder === 0) continue;
      if (!told) {
        opts.onWait?.(holder);
        told = true;
      }
      if (Date.now() > deadline) throw new Error(`gave up waiting for the guest lock (${file})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    fs.rmSync(ticket, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return { release };
}
