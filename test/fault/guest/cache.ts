import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the kernel, the modules and the built images are kept between runs. */
export function cacheDir(): string {
  const dir = path.join(process.env.RIBBON_CACHE ?? path.join(os.homedir(), '.cache', 'ribbon-pact'), 'guest');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A short content key: sha256 of the parts, hex, 16 characters. */
export function contentKey(...parts: ReadonlyArray<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(part);
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** A file's content key (its bytes); a folder's: every file's relative path and bytes, sorted. */
export function pathKey(file: string): string {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return contentKey(fs.readFileSync(file));
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const s = fs.lstatSync(full);
      if (s.isDirectory()) walk(full);
      else if (s.isSymbolicLink()) parts.push(`${path.relative(file, full)}->${fs.readlinkSync(full)}`);
      else parts.push(`${path.relative(file, full)}:${contentKey(fs.readFileSync(full))}`);
    }
  };
  walk(file);
  return contentKey(parts.join('\n'));
}

/**
 * Something the guest needs is missing on this machine (a program, the kernel package). Under
 * CI=true the fault tests fail with it; elsewhere they may be skipped (see `guestAvailable`).
 */
export class GuestUnavailable extends Error {
  override name = 'GuestUnavailable';
}

/** The absolute path of a host program (PATH, then /sbin and /usr/sbin), or GuestUnavailable. */
export function hostTool(name: string): string {
  if (name.includes('/')) return name;
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const full = path.join(dir, name);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {
      // next folder
    }
  }
  throw new GuestUnavailable(`${name} is not installed (apt-get install qemu-system-x86 busybox-static e2fsprogs)`);
}

/** Runs a host program, returns its stdout; its stderr is in the error when it fails. */
export function run(tool: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}): string {
  try {
    return execFileSync(hostTool(tool), args, {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.input !== undefined ? { input: opts.input } : {}),
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/**
 * Builds `target` (a file or folder in the cache) once: `make(tmp)` writes it under a temporary
 * name that is renamed into place when done, so a run killed half-way leaves nothing that looks built.
 */
export function buildOnce(target: string, make: (tmp: string) => void): string {
  if (fs.existsSync(target)) return target;
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    make(tmp);
    fs.renameSync(tmp, target);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

/**
 * Old builds beside `keep` named `prefix` + another 16-hex-digit key (+ the same ending) are
 * removed; `root-server-` does not match `root-server-unsafe-…`.
 */
export function pruneSiblings(keep: string, prefix: string): void {
  const dir = path.dirname(keep);
  const ending = path.basename(keep).slice(prefix.length + 16);
  for (const name of fs.readdirSync(dir)) {
    const key = name.slice(prefix.length, prefix.length + 16);
    const ours = name.startsWith(prefix) && /^[0-9a-f]{16}$/.test(key) && name.slice(prefix.length + 16) === ending;
    if (ours && path.join(dir, name) !== keep) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
