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

/**
 * Takes the lock (a file made with O_EXCL holding the holder's pid), waiting up to `timeoutMs`
 * for another holder; a lock whose pid is gone is stale and taken over. Released on `release()`
 * and, as a last resort, when this process exits.
 */
export async function takeGuestLock(
  opts: { timeoutMs?: number; onWait?: (holder: number) => void } = {},
): Promise<GuestLock> {
  const file = path.join(cacheDir(), 'guest.lock');
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = Number.NaN;
    try {
      holder = Number(fs.readFileSync(file, 'utf8').trim());
    } catch {
      continue; // released meanwhile
    }
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      // Stale (its process is gone), or half-written: a writer takes well under a second.
      const age = Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (Number.isInteger(holder) && holder > 0) fs.rmSync(file, { force: true });
      else if (age > 2000) fs.rmSync(file, { force: true });
      continue;
    }
    if (holder === process.pid) throw new Error('this process already holds the guest lock: one guest at a time');
    if (!told) {
      opts.onWait?.(holder);
      told = true;
    }
    if (Date.now() > deadline) throw new Error(`the guest lock (${file}) is held by pid ${holder}; gave up waiting`);
    await new Promise((resolve) => setTimeout(resolve, 500));
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
