import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * DATA_DIR/server.pid: written when the server opens its database, removed when it closes it, so
 * that `admin -- restore` can refuse to replace the file under a running server. Why a pid file
 * and not a lock of SQLite's: in WAL mode an idle connection holds no lock another connection
 * would meet (BEGIN EXCLUSIVE does not keep WAL readers out), so the database cannot tell whether
 * a server has it open between two transactions. The file holds the process id and a token of
 * this opening: a second server in the same process (tests) does not remove the first one's.
 */
export const SERVER_PID_FILE = 'server.pid';

/** Writes the pid file; returns what removes it again (only if it is still this opening's). */
export function claimServerPid(dataDir: string): () => void {
  const file = path.join(dataDir, SERVER_PID_FILE);
  const content = `${process.pid}\n${randomBytes(8).toString('hex')}\n`;
  fs.writeFileSync(file, content, { mode: 0o600 });
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8') === content) fs.rmSync(file, { force: true });
    } catch {
      // Already gone: nothing to remove.
    }
  };
}

/**
 * The pid of a server that has the database open, or null: no pid file, or its process is gone
 * (a server killed with -9 leaves the file behind). A process of another user counts as alive.
 */
export function runningServerPid(dataDir: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, SERVER_PID_FILE), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
