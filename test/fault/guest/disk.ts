import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { hostTool, run } from './cache.js';

/**
 * A new raw disk image holding an empty ext4 file system (mke2fs on the host; no loop device or
 * root needed), or one holding a copy of `fromDir` (mke2fs -d).
 */
export function makeDataDisk(file: string, opts: { sizeMb: number; fromDir?: string; label?: string }): string {
  fs.rmSync(file, { force: true });
  run('mke2fs', [
    ...['-q', '-F', '-t', 'ext4', '-L', opts.label ?? 'data'],
    ...(opts.fromDir !== undefined ? ['-d', opts.fromDir] : []),
    file,
    `${opts.sizeMb}M`,
  ]);
  return file;
}

export type DiskCheck = {
  /** e2fsck's exit code: 0 clean, 1 errors corrected (a journal replay counts), ≥ 4 errors left. */
  code: number;
  /** Whether the file system had a journal to replay (it was not unmounted cleanly). */
  replayed: boolean;
  output: string;
};

/**
 * What a reboot does with the disk after a power cut, on the host: e2fsck -fy replays the ext4
 * journal and checks everything (the image must not be in use: the guest is gone). Throws if
 * e2fsck leaves errors (exit code ≥ 4).
 */
export function checkDisk(file: string): DiskCheck {
  const needsRecovery = /needs_recovery/.test(run('dumpe2fs', ['-h', file]));
  const result = spawnSync(hostTool('e2fsck'), ['-fy', file], { encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`;
  const code = result.status ?? -1;
  if (code < 0 || code >= 4) throw new Error(`e2fsck -fy ${file} left errors (exit code ${code}):\n${output}`);
  return { code, replayed: needsRecovery, output };
}

/**
 * Copies a folder out of an ext4 image into `to` (debugfs rdump: no mount, no loop device);
 * `to`/<basename of guestDir> is made. Run checkDisk first after a cut (the journal replayed).
 */
export function copyOut(file: string, guestDir: string, to: string): string {
  fs.mkdirSync(to, { recursive: true });
  run('debugfs', ['-R', `rdump ${guestDir} ${to}`, file]);
  const out = path.join(to, path.basename(guestDir));
  if (!fs.existsSync(out)) throw new Error(`debugfs found no ${guestDir} in ${file}`);
  return out;
}
