import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, cacheDir, GuestUnavailable, hostTool, run } from './cache.js';

/** A Debian kernel unpacked in the cache. */
export type Kernel = {
  /** The version, e.g. 6.1.0-57-amd64. */
  version: string;
  vmlinuz: string;
  /**
   * The same kernel uncompressed (an ELF qemu boots through PVH): under emulation the kernel's
   * own xz decompression took seconds of every boot.
   */
  vmlinux: string;
  /** lib/modules/<version>, with modules.dep made by depmod. */
  modulesDir: string;
};

/** Modules every guest loads: its disks, its network, the root's ext4 and a source of randomness. */
export const BASE_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'virtio-rng', 'crc32c_generic', 'ext4'] as const;

function kernelPackage(): string {
  const ask = () => run('apt-cache', ['depends', 'linux-image-amd64']);
  let text = '';
  try {
    text = ask();
  } catch {
    // empty lists: fetched below
  }
  if (!/Depends: linux-image-\d/.test(text)) {
    run('apt-get', ['update', '-qq']);
    text = ask();
  }
  const match = /Depends: (linux-image-[\w.+-]+)/.exec(text);
  if (match === null) throw new GuestUnavailable(`apt-cache found no kernel behind linux-image-amd64:\n${text}`);
  return match[1] as string;
}

/**
 * The guest kernel: Debian's current linux-image-amd64 (apt-get download, dpkg-deb -x, depmod -b),
 * unpacked once into the cache under the package's name and reused.
 */
export function ensureKernel(): Kernel {
  const pkg = kernelPackage();
  const version = pkg.replace(/^linux-image-/, '');
  const dir = buildOnce(path.join(cacheDir(), `kernel-${version}`), (tmp) => {
    const download = `${tmp}-deb`;
    fs.mkdirSync(download, { recursive: true });
    try {
      run('apt-get', ['download', pkg], { cwd: download });
      const deb = fs.readdirSync(download).find((f) => f.endsWith('.deb'));
      if (deb === undefined) throw new GuestUnavailable(`apt-get download ${pkg} gave no .deb`);
      fs.mkdirSync(tmp, { recursive: true });
      run('dpkg-deb', ['-x', path.join(download, deb), tmp]);
    } finally {
      fs.rmSync(download, { recursive: true, force: true });
    }
    run('depmod', ['-b', tmp, version]);
  });
  const vmlinuz = path.join(dir, 'boot', `vmlinuz-${version}`);
  const vmlinux = buildOnce(path.join(cacheDir(), `vmlinux-${version}`), (tmp) => uncompress(vmlinuz, tmp));
  return { version, vmlinuz, vmlinux, modulesDir: path.join(dir, 'lib', 'modules', version) };
}

/** The ELF inside a bzImage: the xz stream after its setup code, decompressed (Debian's kernels are xz). */
function uncompress(vmlinuz: string, out: string): void {
  const image = fs.readFileSync(vmlinuz);
  const at = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) throw new GuestUnavailable(`${vmlinuz} holds no xz stream (a kernel compressed another way?)`);
  // From a file, not a pipe: xz stops reading at the stream's end (what follows it is no xz).
  fs.writeFileSync(`${out}.xz`, image.subarray(at));
  let elf: Buffer;
  try {
    elf = execFileSync(hostTool('xz'), ['-dc', '--single-stream', `${out}.xz`], { maxBuffer: 512 * 1024 * 1024 });
  } finally {
    fs.rmSync(`${out}.xz`, { force: true });
  }
  if (elf.subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error(`${vmlinuz}: the xz stream is no ELF`);
  fs.writeFileSync(out, elf);
}

const normal = (name: string): string => name.replace(/-/g, '_');

/**
 * The module files to load for `names` (module names, `-` and `_` alike), each after the modules
 * it needs, each once; names built into the kernel are skipped. Paths are relative to modulesDir;
 * an unknown name throws.
 */
export function resolveModules(kernel: Kernel, names: readonly string[]): string[] {
  const deps = new Map<string, { file: string; needs: string[] }>();
  const byFile = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(kernel.modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const file = line.slice(0, colon);
    const name = normal(path.basename(file).replace(/\.ko(\.xz|\.zst|\.gz)?$/, ''));
    deps.set(name, {
      file,
      needs: line
        .slice(colon + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    });
    byFile.set(file, name);
  }
  const builtin = new Set(
    fs
      .readFileSync(path.join(kernel.modulesDir, 'modules.builtin'), 'utf8')
      .split('\n')
      .map((f) => normal(path.basename(f).replace(/\.ko$/, ''))),
  );
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const entry = deps.get(name);
    if (entry === undefined) {
      if (builtin.has(name)) return;
      throw new Error(`no kernel module ${name} in ${kernel.version}`);
    }
    // modules.dep lists the deepest dependency last: load from the end.
    for (const need of [...entry.needs].reverse()) visit(byFile.get(need) ?? normal(path.basename(need)));
    order.push(entry.file);
  };
  for (const name of names) visit(normal(name));
  return order;
}
