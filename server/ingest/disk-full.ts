import type { Logger } from 'pino';

/**
 * A full disk (docs/protocol.md §3, "When is a press safe?"): a commit that cannot grow the WAL
 * fails with SQLITE_FULL and is rolled back, so its presses are not stored and get no PUBACK;
 * aedes then closes the device's connection (an error from authorizePublish), and the device
 * resends after it reconnects. Unlike a failed fsync this is not final: nothing acknowledged is
 * in doubt, so the server keeps running, and stores and acknowledges again as soon as a commit
 * succeeds (space freed). A nearly full disk flaps: a small commit (a device's online state)
 * still fits in the WAL's free frames while a red press with its alert and notifications does
 * not. So the disk counts as full from a refusal until a PRESS is stored again, and the log is
 * bounded whatever the flapping: a "full" line at most once per DISK_FULL_LOG_REPEAT_MS (with
 * the count refused since the last one), a "space again" line only after a "full" line. This
 * watch also feeds `/healthz` (`diskFull`) and the `ribbon_disk_full` gauge.
 */

/** While the disk stays full, at most one log line per this many ms (with the count refused meanwhile). */
export const DISK_FULL_LOG_REPEAT_MS = 60_000;

/** Whether a commit failed because the disk (or the file system's quota) is full. */
export function isDiskFull(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  // better-sqlite3 gives SQLite's extended code; Node's fs gives errno names.
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

export type DiskFullWatch = {
  /** A commit of `messages` device messages failed with a full disk: none of them is acknowledged. */
  refused(err: Error, messages: number): void;
  /** A press was stored (committed and synced): if the disk was full, it is not any more. */
  stored(): void;
  /** Whether the last device commit failed for a full disk. */
  full(): boolean;
};

export function createDiskFullWatch(deps: {
  log: Logger;
  now: () => number;
  onRefused?: (messages: number) => void;
}): DiskFullWatch {
  const { log, now } = deps;
  /** When the disk was first found full (this spell), or null while presses are stored. */
  let since: number | null = null;
  /** When the last "full" line was written (0: never), and whether a "space again" line is owed. */
  let lastLine = 0;
  let owed = false;
  let refusedSinceLine = 0;
  return {
    refused(err, messages) {
      deps.onRefused?.(messages);
      refusedSinceLine += messages;
      const at = now();
      since ??= at;
      if (lastLine !== 0 && at - lastLine < DISK_FULL_LOG_REPEAT_MS) return;
      log.error(
        { err, refused: refusedSinceLine, fullForSec: Math.round((at - since) / 1000) },
        owed
          ? '磁盘仍满：按键仍无法存储，不回 PUBACK / disk still full: presses still cannot be stored and get no PUBACK'
          : '磁盘已满：按键无法存储，不回 PUBACK，设备重连后会重发；请腾出 DATA_DIR 所在磁盘的空间 / disk full: presses cannot be stored and get no PUBACK (devices resend them after reconnecting); free space on the disk of DATA_DIR',
      );
      lastLine = at;
      owed = true;
      refusedSinceLine = 0;
    },
    stored() {
      if (since === null) return;
      const fullForSec = Math.round((now() - since) / 1000);
      since = null;
      if (!owed) return;
      owed = false;
      log.warn(
        { refusedSinceLastLine: refusedSinceLine, fullForSec },
        '磁盘空间已恢复：按键重新存储并回 PUBACK，被拒的按键由设备重发 / disk space available again: presses are stored and acknowledged again; the refused ones come back as the devices resend them',
      );
      refusedSinceLine = 0;
    },
    full: () => since !== null,
  };
}
