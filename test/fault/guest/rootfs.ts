import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, cacheDir, contentKey, GuestUnavailable, hostTool, pathKey, pruneSiblings, run } from './cache.js';

/** What the guest's read-only root holds besides busybox; see `buildRootImage`. */
export type RootSpec = {
  /** Guest path → host file or folder, copied as is (folders whole). */
  files?: Readonly<Record<string, string>>;
  /** Host programs copied to the same path in the guest with the shared libraries they need (ldd). */
  binaries?: readonly string[];
  /** Host files (e.g. a Node addon's .node) whose shared libraries are copied too, not the files themselves. */
  libsOf?: readonly string[];
  /** Node (this process's own binary) at /usr/local/bin/node, with its libraries. Default true. */
  node?: boolean;
  /**
   * Run on the root's folder once everything is copied, before the image is made (e.g. caches made
   * from the copied files). What it writes is not part of the cache key: `finish.key` is, and
   * names what `finish.run` does (change it when that changes).
   */
  finish?: { key: string; run: (root: string) => void };
};

/** The shared libraries a host ELF file needs (ldd), with the dynamic loader. */
function sharedLibraries(file: string): string[] {
  let text: string;
  try {
    text = run('ldd', [file]);
  } catch (err) {
    if (/not a dynamic executable/.test(String(err))) return [];
    throw err;
  }
  const libs: string[] = [];
  for (const line of text.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1] !== undefined) libs.push(m[1]);
  }
  return libs;
}

function copyInto(root: string, guestPath: string, hostPath: string): void {
  const target = path.join(root, guestPath);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.cpSync(hostPath, target, { recursive: true, dereference: true });
}

/** The busybox to use: a static one (busybox-static), which runs in the initramfs without libraries. */
export function staticBusybox(): string {
  const busybox = hostTool('busybox');
  if (sharedLibraries(busybox).length > 0) {
    throw new GuestUnavailable(`${busybox} is not statically linked (apt-get install busybox-static)`);
  }
  return busybox;
}

/** The folders every root has, and the files a program's start-up reads. */
function skeleton(root: string): void {
  for (const dir of [
    'bin',
    'sbin',
    'usr/bin',
    'usr/sbin',
    'dev',
    'proc',
    'sys',
    'run',
    'tmp',
    'mnt',
    'data',
    'etc',
    'root',
  ]) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
  }
  fs.writeFileSync(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  fs.writeFileSync(path.join(root, 'etc/nsswitch.conf'), 'hosts: files\npasswd: files\ngroup: files\n');
}

/** Busybox at /bin/busybox with a link per applet (where the root has no such program yet). */
function installBusybox(root: string, busybox: string): void {
  fs.copyFileSync(busybox, path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  for (const applet of run(busybox, ['--list-full']).split('\n').filter(Boolean)) {
    const link = path.join(root, applet);
    if (fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync('/bin/busybox', link);
  }
}

/**
 * A read-only ext4 image of the guest's root (mke2fs -d), built once per content into the cache
 * (keyed by every file that goes in) and reused. Holds busybox, Node (unless `node: false`) and
 * what `spec` lists. Root images of other keys with the same `name` are removed.
 */
export function buildRootImage(name: string, spec: RootSpec): string {
  const busybox = staticBusybox();
  const files = Object.entries(spec.files ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const binaries = [...(spec.binaries ?? [])].map((b) => (b.includes('/') ? b : hostTool(b)));
  if (spec.node !== false) binaries.push(process.execPath);
  const libFiles = [...binaries, ...(spec.libsOf ?? [])];
  const libs = [...new Set(libFiles.flatMap(sharedLibraries))].sort();
  const key = contentKey(
    'root-v1',
    pathKey(busybox),
    ...files.map(([guest, host]) => `${guest}=${pathKey(host)}`),
    ...binaries.map((b) => `${b}=${pathKey(b)}`),
    ...libs.map((l) => `${l}=${pathKey(l)}`),
    `finish=${spec.finish?.key ?? ''}`,
  );
  const image = path.join(cacheDir(), `root-${name}-${key}.img`);
  buildOnce(image, (tmp) => {
    const dir = `${tmp}-dir`;
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      skeleton(dir);
      for (const lib of libs) copyInto(dir, lib, lib);
      for (const bin of binaries) {
        copyInto(dir, bin === process.execPath ? '/usr/local/bin/node' : bin, bin);
      }
      for (const [guest, host] of files) copyInto(dir, guest, host);
      installBusybox(dir, busybox);
      spec.finish?.run(dir);
      const bytes = Number(run('du', ['-sb', dir]).split('\t')[0]);
      const mb = Math.ceil((bytes * 1.3) / 1024 / 1024) + 32;
      run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'root', '-d', dir, tmp, `${mb}M`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  pruneSiblings(image, `root-${name}-`);
  return image;
}
