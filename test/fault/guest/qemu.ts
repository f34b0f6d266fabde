import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { hostTool } from './cache.js';
import { baseInitramfs, bootInitramfs } from './initramfs.js';
import { BASE_MODULES, ensureKernel, type Kernel } from './kernel.js';
import { type GuestLock, takeGuestLock } from './lock.js';

/** A data disk: a raw file on the host, /dev/vdb, /dev/vdc, … in the guest in the order given. */
export type GuestDisk = {
  file: string;
  /** Mounted there (ext4) before the script runs; unset: left alone (e.g. for device-mapper). */
  mountAt?: string;
  /** qemu's cache mode; default none (O_DIRECT: what the guest has synced is on the host's disk). */
  cache?: 'none' | 'writeback' | 'directsync' | 'writethrough';
};

export type GuestOptions = {
  /** The read-only root image (buildRootImage). */
  root: string;
  /** Shell run as root in the guest once it is up (busybox sh; PATH has /usr/local/bin for node). */
  script: string;
  /** Exported to the script. */
  env?: Readonly<Record<string, string>>;
  disks?: readonly GuestDisk[];
  /** Modules loaded at boot besides the base ones (e.g. dm-flakey, sch_netem, veth, ifb). */
  modules?: readonly string[];
  /**
   * Guest TCP ports reachable from the host on 127.0.0.1 (user-mode networking, hostfwd): a port
   * number (the host port is a free one, see `hostPort`), or `{ guest, host }` to keep a host port
   * across boots (devices reconnecting to the same address after a cut).
   */
  forwards?: ReadonlyArray<number | { guest: number; host: number }>;
  memoryMb?: number;
  /** Virtual CPUs (multi-threaded TCG); default 2. */
  cpus?: number;
  /** qemu's CPU model; default max. */
  cpuModel?: string;
  /** Each console line as it arrives (after the harness stored it). */
  onLine?: (line: string) => void;
  /** Held already (several boots under one lock); otherwise taken for this guest's life. */
  lock?: GuestLock;
  kernel?: Kernel;
  /** Added to the kernel's command line. */
  kernelArgs?: string;
};

export type GuestExit = { code: number | null; signal: NodeJS.Signals | null };

export type Guest = {
  readonly pid: number;
  /** Every console line so far (\r removed). */
  readonly lines: readonly string[];
  /** The console, written to a file too (kept after the guest ends, for the report). */
  readonly consoleFile: string;
  /** The host port on 127.0.0.1 forwarded to `guestPort`. */
  hostPort(guestPort: number): number;
  /**
   * The first console line (from line index `from`, default 0) matching `pattern`; rejects after
   * timeoutMs, or when qemu ends first, with the console's last lines in the message.
   */
  waitForLine(
    pattern: RegExp,
    timeoutMs: number,
    from?: number,
  ): Promise<{ line: string; index: number; match: RegExpExecArray }>;
  /** Power cut: SIGKILL to qemu; resolves once it is gone (and the lock is released if it was taken here). */
  kill(): Promise<GuestExit>;
  /** Resolves when qemu ends (the script's end powers the guest off). */
  readonly exited: Promise<GuestExit>;
};

/** A free TCP port on 127.0.0.1 (asked of the kernel, then closed again). */
export function freeHostPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Quiet, and no mitigations: under emulation they cost much and protect nothing. */
const KERNEL_ARGS = 'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init mitigations=off tsc=reliable no_timer_check';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** What the guest runs after switch_root: mounts, network, the caller's script, then power-off. */
export function bootScript(opts: Pick<GuestOptions, 'script' | 'env' | 'disks'>): string {
  const disks = (opts.disks ?? []).map((d, i) => ({ ...d, dev: `/dev/vd${String.fromCharCode(98 + i)}` }));
  const mounts = disks
    .filter((d) => d.mountAt !== undefined)
    .map(
      (d) =>
        `mkdir -p ${quote(d.mountAt as string)} 2>/dev/null; mount -t ext4 ${d.dev} ${quote(d.mountAt as string)} || echo "guest: cannot mount ${d.dev}"`,
    );
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `export ${k}=${quote(v)}`);
  return [
    '#!/bin/sh',
    'export PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin HOME=/root',
    'mount -t tmpfs -o mode=1777 tmp /tmp',
    'mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs shm /dev/shm',
    'ifconfig lo 127.0.0.1 up',
    'ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && route add default gw 10.0.2.2',
    ...mounts,
    ...env,
    "cat > /run/script.sh <<'RIBBON_GUEST_SCRIPT_END'",
    opts.script,
    'RIBBON_GUEST_SCRIPT_END',
    'echo "guest: up"',
    'sh /run/script.sh',
    'echo "guest: script ended with $?"',
    ...disks.filter((d) => d.mountAt !== undefined).map((d) => `umount ${quote(d.mountAt as string)}`),
    'poweroff -f',
    '',
  ].join('\n');
}

/** Every qemu this process started and has not seen end: SIGKILLed if the process exits first. */
const running = new Set<ChildProcess>();
const killAll = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.on('exit', killAll);
// A signal that ends this process ends its guests first (then takes its course: the handler
// is gone, the signal is raised again).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = () => {
    killAll();
    process.off(signal, onSignal);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on(signal, onSignal);
}

/**
 * A process of its own that SIGKILLs qemu (by its pid) within a second of this process ending
 * any way at all: a SIGKILLed test worker runs no handler, and its qemu would run on, orphaned.
 */
function watchdog(qemuPid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${qemuPid} 2>/dev/null; do sleep 1; done; kill -9 ${qemuPid} 2>/dev/null`;
  spawn('/bin/sh', ['-c', script], { stdio: 'ignore', detached: true }).unref();
}

/**
 * Boots a guest (qemu, software emulation) and resolves once qemu runs; wait for a console line
 * to know the guest is up. One guest at a time on this machine (the guest lock).
 */
export async function bootGuest(opts: GuestOptions): Promise<Guest> {
  const qemu = hostTool('qemu-system-x86_64');
  const kernel = opts.kernel ?? ensureKernel();
  const base = baseInitramfs(kernel, [...BASE_MODULES, ...(opts.modules ?? [])]);
  const lock = opts.lock ?? (await takeGuestLock());
  const ownLock = opts.lock === undefined;
  try {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-guest-'));
    const initrd = bootInitramfs(base, bootScript(opts), path.join(work, 'initrd.cpio'));
    const ports = new Map<number, number>();
    for (const f of opts.forwards ?? []) {
      if (typeof f === 'number') ports.set(f, await freeHostPort());
      else ports.set(f.guest, f.host);
    }
    const hostfwd = [...ports].map(([g, h]) => `,hostfwd=tcp:127.0.0.1:${h}-:${g}`).join('');
    const args = [
      ...[
        '-machine',
        'pc',
        '-cpu',
        opts.cpuModel ?? 'max',
        '-accel',
        'tcg,thread=multi',
        '-smp',
        String(opts.cpus ?? 2),
      ],
      ...['-m', String(opts.memoryMb ?? 1024), '-nodefaults', '-no-reboot', '-display', 'none'],
      ...['-monitor', 'none', '-serial', 'stdio', '-kernel', kernel.vmlinux, '-initrd', initrd],
      ...['-append', `${KERNEL_ARGS} ${opts.kernelArgs ?? ''}`.trim()],
      ...['-drive', `file=${opts.root},format=raw,if=virtio,readonly=on`],
      ...(opts.disks ?? []).flatMap((d) => [
        '-drive',
        `file=${d.file},format=raw,if=virtio,cache=${d.cache ?? 'none'}`,
      ]),
      ...['-netdev', `user,id=n0,net=10.0.2.0/24${hostfwd}`, '-device', 'virtio-net-pci,netdev=n0,romfile='],
      ...['-device', 'virtio-rng-pci'],
    ];
    const child = spawn(qemu, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    if (child.pid !== undefined) watchdog(child.pid);
    const consoleFile = path.join(work, 'console.log');
    const consoleOut = fs.createWriteStream(consoleFile);
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    let partial = '';
    const onData = (chunk: Buffer) => {
      consoleOut.write(chunk);
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        const line = part.replace(/\r/g, '');
        lines.push(line);
        opts.onLine?.(line);
      }
      for (const w of waiters) w();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let ended: GuestExit | null = null;
    const exited = new Promise<GuestExit>((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        ended = { code, signal };
        consoleOut.end();
        if (ownLock) lock.release();
        fs.rmSync(initrd, { force: true });
        for (const w of waiters) w();
        resolve(ended);
      });
    });
    if (child.pid === undefined) {
      await exited;
      throw new Error(`qemu did not start (${qemu})`);
    }
    const pid = child.pid;
    const tail = () => lines.slice(-30).join('\n');
    return {
      pid,
      lines,
      consoleFile,
      exited,
      hostPort(guestPort) {
        const port = ports.get(guestPort);
        if (port === undefined)
          throw new Error(`guest port ${guestPort} is not forwarded (forwards: [${[...ports.keys()]}])`);
        return port;
      },
      waitForLine(pattern, timeoutMs, from = 0) {
        return new Promise((resolve, reject) => {
          let next = from;
          const check = () => {
            for (; next < lines.length; next++) {
              const line = lines[next] as string;
              const match = pattern.exec(line);
              if (match !== null) {
                done();
                resolve({ line, index: next, match });
                return;
              }
            }
            if (ended !== null) {
              done();
              reject(
                new Error(`the guest ended (${JSON.stringify(ended)}) before a line matched ${pattern}:\n${tail()}`),
              );
            }
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`no console line matched ${pattern} within ${timeoutMs} ms:\n${tail()}`));
          }, timeoutMs);
          const done = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      },
      async kill() {
        if (ended === null) child.kill('SIGKILL');
        return exited;
      },
    };
  } catch (err) {
    if (ownLock) lock.release();
    throw err;
  }
}
