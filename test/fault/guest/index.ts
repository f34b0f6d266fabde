/**
 * The guest harness: the real server (bundled) in a qemu guest under software emulation, for the
 * fault tests (power cuts, failing disks, bad networks). Import from here only.
 *
 * One guest at a time on the machine (a lock file in the cache, held for a guest's life or across
 * several boots by a caller that takes it itself); every qemu is killed by its pid when it is done,
 * and when this process exits. Kernel, modules and root images are cached by content under
 * `${RIBBON_CACHE:-~/.cache/ribbon-pact}/guest/`: a warm boot to `guest: up` is ~15–25 s, the
 * server's start in the guest another ~45–85 s (emulation; a loaded machine is the slow end); a
 * cold cache adds the kernel download (apt-get, ~70 MB) and the image builds (~10 s each).
 * If the test process dies, a watchdog process SIGKILLs its qemu within a second.
 *
 * Typical use:
 *
 *     const root = await serverRootImage({ extra: { binaries: ['dmsetup'] } });   // cached
 *     makeDataDisk(disk, { sizeMb: 256, fromDir: hostDataDirWithDbInRibbonSubfolder });
 *     const guest = await bootGuest({
 *       root,
 *       disks: [{ file: disk, mountAt: '/data' }],      // /dev/vdb, cache=none (default)
 *       modules: ['dm-flakey'],                          // loaded at boot, with what they need
 *       forwards: [GUEST_MQTT_PORT],                     // devices on the host reach the broker
 *       script: serverScript({ env: { INGEST_BATCH_MAX: '64' } }),
 *     });
 *     await waitForServer(guest, 120_000);
 *     const url = `mqtt://127.0.0.1:${guest.hostPort(GUEST_MQTT_PORT)}`;
 *     …
 *     await guest.kill();          // SIGKILL to qemu: a power cut
 *     checkDisk(disk);             // e2fsck -fy on the host: the journal replayed
 *     copyOut(disk, '/ribbon', tmp) // the database files, for reading with server/store
 *
 * API:
 * - `bootGuest(opts: GuestOptions): Promise<Guest>`: root image (`/dev/vda`, read-only), data disks
 *   (`/dev/vdb`…, raw files, `cache=none` unless asked), extra kernel modules, hostfwd ports on
 *   127.0.0.1 (`forwards: [1883]` picks a free host port, `[{ guest: 1883, host: p }]` keeps one
 *   across boots), `lock` (held across boots), `cpus`, `memoryMb`, `cpuModel`, `kernelArgs`,
 *   `onLine`, and a busybox `sh` script run as root once the guest is up (PATH has node, busybox and
 *   the copied binaries; eth0 is 10.0.2.15/24, gateway 10.0.2.2; /tmp and /run are tmpfs; the root
 *   is read-only). After the script the data disks are unmounted and the guest powers off.
 *   `Guest`: `pid`, `lines`, `consoleFile`, `hostPort(guestPort)`, `waitForLine(re, ms, from?)`,
 *   `kill()` (SIGKILL), `exited`. The console prints `guest: up` before the script and
 *   `guest: script ended with N` after it.
 * - `buildRootImage(name, spec)` / `serverRootImage({ unsafeAckBeforeSync?, extra? })`: cached root
 *   images; `spec.binaries` are host programs copied with their shared libraries (ldd).
 * - `serverScript({ env?, before? })`, `waitForServer(guest, ms)`, `GUEST_DATA_DIR` (/data/ribbon),
 *   `GUEST_MQTT_PORT`, `GUEST_HTTP_PORT`.
 * - `makeDataDisk`, `checkDisk`, `copyOut`: ext4 images on the host without mounting.
 * - `takeGuestLock()`: hold the machine's guest lock across several boots (pass it as `lock`).
 * - `requireGuest()`: whether the host can run guests; throws under CI=true when it cannot (the
 *   fault tests must fail there, not skip), else returns the reason to skip.
 * - `bundleServer({ unsafeAckBeforeSync })`: the esbuild bundle alone.
 */
import { GuestUnavailable, hostTool } from './cache.js';

export { bundleServer, type BundleOptions, GUEST_APP_DIR, REPO } from './bundle.js';
export { cacheDir, GuestUnavailable } from './cache.js';
export { checkDisk, copyOut, type DiskCheck, makeDataDisk } from './disk.js';
export { BASE_MODULES, ensureKernel, type Kernel, resolveModules } from './kernel.js';
export { type GuestLock, takeGuestLock } from './lock.js';
export { bootGuest, freeHostPort, type Guest, type GuestDisk, type GuestExit, type GuestOptions } from './qemu.js';
export { buildRootImage, type RootSpec } from './rootfs.js';
export {
  GUEST_DATA_DIR,
  GUEST_HTTP_PORT,
  GUEST_MQTT_PORT,
  serverRootImage,
  serverScript,
  waitForServer,
} from './server.js';

/** The host programs the harness runs. */
const TOOLS = [
  'qemu-system-x86_64',
  'busybox',
  'mke2fs',
  'e2fsck',
  'debugfs',
  'dumpe2fs',
  'apt-get',
  'dpkg-deb',
  'depmod',
  'ldd',
];

/**
 * null when this host can run guests; otherwise why not. Under CI=true a missing piece throws
 * instead: there the fault tests must fail, never be skipped.
 */
export function requireGuest(): string | null {
  try {
    for (const tool of TOOLS) hostTool(tool);
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw new GuestUnavailable(`the guest harness runs on linux x64 only (${process.platform} ${process.arch})`);
    }
    return null;
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    return err instanceof Error ? err.message : String(err);
  }
}
