import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, cacheDir, contentKey, pathKey } from './cache.js';
import { type CpioEntry, cpioArchive } from './cpio.js';
import { type Kernel, resolveModules } from './kernel.js';
import { staticBusybox } from './rootfs.js';

/**
 * The initramfs's /init: loads the modules, mounts the root image (the first virtio disk, /dev/vda)
 * read-only, puts the per-boot script on a tmpfs at /run and switches to the root to run it.
 */
const INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /newroot
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.list); do insmod "/modules/$m" || echo "guest: insmod $m failed"; done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done
if ! mount -t ext4 -o ro /dev/vda /newroot; then echo "guest: cannot mount the root image"; poweroff -f; fi
mount -t tmpfs -o mode=0755 run /newroot/run
cp /boot.sh /newroot/run/boot.sh
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
exec switch_root /newroot /bin/sh /run/boot.sh
`;

/** The cached part of an initramfs: busybox, /init and `modules` (with what they need), in load order. */
export function baseInitramfs(kernel: Kernel, modules: readonly string[]): string {
  const files = resolveModules(kernel, modules);
  const busybox = staticBusybox();
  const key = contentKey('initramfs-v1', kernel.version, pathKey(busybox), INIT, ...files);
  return buildOnce(path.join(cacheDir(), `initramfs-${kernel.version}-${key}.cpio`), (tmp) => {
    const entries: CpioEntry[] = [
      { path: 'bin', type: 'dir' },
      { path: 'dev', type: 'dir' },
      { path: 'dev/console', type: 'char', major: 5, minor: 1 },
      { path: 'modules', type: 'dir' },
      { path: 'bin/busybox', type: 'file', data: fs.readFileSync(busybox), mode: 0o755 },
      { path: 'init', type: 'file', data: INIT, mode: 0o755 },
      { path: 'modules.list', type: 'file', data: `${files.map((f) => path.basename(f)).join('\n')}\n` },
    ];
    for (const file of files) {
      entries.push({
        path: `modules/${path.basename(file)}`,
        type: 'file',
        data: fs.readFileSync(path.join(kernel.modulesDir, file)),
      });
    }
    fs.writeFileSync(tmp, cpioArchive(entries));
  });
}

/** The whole initramfs of one boot: the cached base, then an archive with this boot's /boot.sh. */
export function bootInitramfs(base: string, bootScript: string, out: string): string {
  const extra = cpioArchive([{ path: 'boot.sh', type: 'file', data: bootScript, mode: 0o755 }]);
  fs.writeFileSync(out, Buffer.concat([fs.readFileSync(base), extra]));
  return out;
}
