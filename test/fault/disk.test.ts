import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkAcknowledged,
  guestWait,
  pressingFleet,
  provisionedDataDir,
  startGate,
  startRelay,
  storedPresses,
} from './disk-rig.js';
import {
  bootGuest,
  checkDisk,
  copyOut,
  GUEST_HTTP_PORT,
  GUEST_MQTT_PORT,
  type Guest,
  type GuestLock,
  makeDataDisk,
  requireGuest,
  serverRootImage,
  serverScript,
  takeGuestLock,
  waitForServer,
} from './guest/index.js';

// Disk faults under the real server, bundled, in a qemu guest (test/fault/guest). Devices on the
// host press through the guest's broker while the test turns the data disk bad:
//
// - a failing disk: the data disk behind device-mapper, switched from `linear` to `flakey …
//   error_writes` under load (`dmsetup suspend --nolockfs`, `reload`, `resume`). The next WAL
//   fsync fails: the server acknowledges nothing more and exits with code 70. Rebooted on the
//   healthy disk (no device-mapper), the devices resend what got no PUBACK: every acknowledged
//   press is there exactly once.
// - a full disk: a small ext4 volume filled by `dd`. Presses are refused without PUBACK and the
//   log says so once; the process keeps running, /healthz says diskFull; once the file is removed,
//   the devices' resends are stored and acknowledged, each once.
//
// What it cannot show: a disk that drops writes and says they succeeded (dm-flakey drop_writes,
// a lying cache) loses acknowledged presses whatever the server does; see docs/testing.md.
// One guest at a time (the harness's machine-wide lock); about 3–4 minutes in all, bounded below.

const skip = requireGuest();
const DEVICES = 8;
const BOOT_MS = 180_000;

let tmp = '';
let lock: GuestLock | null = null;
let root = '';
let gate: Awaited<ReturnType<typeof startGate>> | null = null;
let relay: Awaited<ReturnType<typeof startRelay>> | null = null;
/** The guest running now: killed after each test whatever happened (one guest at a time, none left behind). */
let current: Guest | null = null;
/** The devices of each test: closed after it. */
const fleets: Array<{ close(): Promise<unknown> }> = [];

beforeAll(async () => {
  if (skip !== null) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-diskfault-'));
  root = await serverRootImage({ name: 'diskfault', extra: { binaries: ['dmsetup'] } });
  gate = await startGate();
  relay = await startRelay();
}, 600_000);

afterAll(async () => {
  await relay?.close();
  await gate?.close();
  lock?.release();
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

/** A guest running the server, the devices' relay pointed at it; `before` runs first in its script. */
async function serverGuest(opts: {
  disk: string;
  mount: boolean;
  before: string;
  modules?: string[];
  lines: string[];
}): Promise<Guest> {
  if (gate === null || relay === null || lock === null) throw new Error('no rig');
  const guest = await bootGuest({
    root,
    lock,
    disks: [opts.mount ? { file: opts.disk, mountAt: '/data' } : { file: opts.disk }],
    ...(opts.modules ? { modules: opts.modules } : {}),
    forwards: [GUEST_MQTT_PORT, GUEST_HTTP_PORT],
    env: { RIBBON_GATE: String(gate.port) },
    script: serverScript({ before: opts.before }),
    onLine: (line) => opts.lines.push(line),
  });
  current = guest;
  await waitForServer(guest, BOOT_MS);
  relay.target(guest.hostPort(GUEST_MQTT_PORT));
  return guest;
}

/** A new data disk of `sizeMb` with DEVICES provisioned, a guest serving from it, and the devices pressing through the relay. */
async function pressingOnNewDisk(
  name: string,
  sizeMb: number,
  opts: { mount: boolean; before: string; modules?: string[] },
) {
  if (relay === null) throw new Error('no rig');
  const content = path.join(tmp, `${name}-content`);
  const creds = provisionedDataDir(content, DEVICES);
  const disk = makeDataDisk(path.join(tmp, `${name}.img`), { sizeMb, fromDir: content });
  const lines: string[] = [];
  const guest = await serverGuest({ disk, lines, ...opts });
  const fleet = await pressingFleet(`mqtt://127.0.0.1:${relay.port}`, creds);
  fleets.push(fleet);
  return { disk, lines, guest, fleet };
}

/** The server's exit code, as the guest's script prints it. */
async function exitCode(guest: Guest, ms: number): Promise<number> {
  const { match } = await guest.waitForLine(/^guest: server exited (\d+)/, ms);
  return Number(match[1]);
}

/** Server log lines (JSON on the console) whose msg matches. */
function logLines(lines: readonly string[], msg: RegExp): Array<{ level: number; msg: string }> {
  return lines
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as { level: number; msg: string };
      } catch {
        return null;
      }
    })
    .filter((l): l is { level: number; msg: string } => l !== null && msg.test(l.msg));
}

/** The database folder on a disk image after its guest is gone: journal replayed, copied out, read. */
function pressesOnDisk(disk: string, name: string): Map<string, number> {
  checkDisk(disk);
  return storedPresses(copyOut(disk, '/ribbon', path.join(tmp, name)));
}

/**
 * Guest shell: the data disk (/dev/vdb) behind a device-mapper device, `linear` (healthy), mounted
 * at /data; in the background, once the test opens `step`, the table becomes `failing`
 * (suspend --nolockfs: no flush through a disk that may already be failing), then `said` is printed.
 */
function dmScript(step: string, failing: string, said: string): string {
  return [
    'SZ=$(blockdev --getsz /dev/vdb)',
    'dmsetup --noudevsync create ribbon-data --table "0 $SZ linear /dev/vdb 0" || echo "guest: dmsetup create failed"',
    '[ -b /dev/mapper/ribbon-data ] || dmsetup mknodes',
    'mkdir -p /data && mount -t ext4 /dev/mapper/ribbon-data /data || echo "guest: cannot mount /dev/mapper/ribbon-data"',
    '(',
    guestWait(step),
    'dmsetup --noudevsync suspend --nolockfs ribbon-data',
    `dmsetup --noudevsync reload ribbon-data --table "0 $SZ ${failing}"`,
    'dmsetup --noudevsync resume ribbon-data',
    `echo "guest: ${said}"`,
    ') &',
  ].join('\n');
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

const waitFor = async (what: string, ms: number, ok: () => boolean): Promise<void> => {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`still waiting after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe.skipIf(skip !== null)('disk faults in a guest', () => {
  afterEach(async () => {
    relay?.target(null);
    await current?.kill();
    current = null;
    for (const fleet of fleets.splice(0)) await fleet.close();
  });

  beforeAll(async () => {
    lock = await takeGuestLock({
      timeoutMs: 30 * 60_000,
      onWait: (pid) => process.stderr.write(`waiting for the guest lock (held by pid ${pid})\n`),
    });
  }, 31 * 60_000);

  it('when the disk starts failing writes under load, then nothing more is acknowledged, the server exits 70, and after a restart on a healthy disk every acknowledged press is there exactly once', async () => {
    if (gate === null || relay === null) throw new Error('no rig');
    const {
      disk,
      lines,
      guest: first,
      fleet,
    } = await pressingOnNewDisk('failing', 64, {
      mount: false,
      modules: ['dm-flakey'],
      before: dmScript('fail', 'flakey /dev/vdb 0 0 3600 1 error_writes', 'writes failing'),
    });
    await waitFor('200 presses acknowledged on the healthy disk', 120_000, () => fleet.acked() >= 200);
    gate.open('fail');
    await first.waitForLine(/^guest: writes failing/, 60_000);
    expect(await exitCode(first, 120_000)).toBe(70);
    expect(logLines(lines, /fsync of the WAL failed/).map((l) => l.level)).toEqual([60]);
    relay.target(null);
    const ackedAtExit = fleet.acked();
    await first.exited;
    // Nothing can be acknowledged without a server; the count is what boot 1 acknowledged.
    expect(fleet.acked()).toBe(ackedAtExit);
    const afterFailure = checkAcknowledged(pressesOnDisk(disk, 'after-failure'), fleet.devices);
    expect(afterFailure.missing).toEqual([]);

    // Restart on the healthy disk (no device-mapper): the devices resend what got no PUBACK.
    const second = await serverGuest({
      disk,
      mount: true,
      lines,
      before: `( ${guestWait('stop-healthy')}; kill -TERM $(pidof node) ) &`,
    });
    await fleet.stop();
    gate.open('stop-healthy');
    expect(await exitCode(second, 60_000)).toBe(0);
    await second.exited;
    const result = checkAcknowledged(pressesOnDisk(disk, 'after-restart'), fleet.devices);
    expect(result.missing).toEqual([]);
    expect(result.doubled).toEqual([]);
    expect(result.acknowledged).toBeGreaterThan(ackedAtExit);
  }, 600_000);

  it('when the disk silently drops writes (a lying disk), then after a power cut what was acknowledged before is there and what was acknowledged after is lost: the check sees a disk that lies', async () => {
    if (gate === null || relay === null) throw new Error('no rig');
    const { disk, guest, fleet } = await pressingOnNewDisk('lying', 64, {
      mount: false,
      modules: ['dm-flakey'],
      before: dmScript('drop', 'flakey /dev/vdb 0 0 3600 1 drop_writes', 'writes dropped'),
    });
    await waitFor('100 presses acknowledged on the healthy disk', 120_000, () => fleet.acked() >= 100);
    const before = new Map(fleet.devices.map((d) => [d.id, d.acked.length]));
    gate.open('drop');
    const switched = await guest.waitForLine(/^guest: writes dropped/, 60_000);
    const after = new Map(fleet.devices.map((d) => [d.id, d.acked.length]));
    await waitFor('100 more presses acknowledged by the lying disk', 120_000, () => fleet.acked() >= sum(after) + 100);
    expect(guest.lines.slice(switched.index).some((l) => /server exited/.test(l))).toBe(false);
    relay.target(null);
    await guest.kill();
    const stored = pressesOnDisk(disk, 'after-lie');
    const lost = (d: (typeof fleet.devices)[number], from: number, to: number) =>
      d.acked.slice(from, to).filter((seq) => !stored.has(`${d.id} ${seq}`));
    // Everything synced before the switch survives; what the lying disk "synced" is gone.
    expect(fleet.devices.flatMap((d) => lost(d, 0, before.get(d.id) ?? 0))).toEqual([]);
    expect(fleet.devices.flatMap((d) => lost(d, after.get(d.id) ?? 0, d.acked.length)).length).toBeGreaterThan(0);
  }, 600_000);

  it('when the disk is full, then presses get no PUBACK and one log line while the server runs on, and once space is freed every acknowledged press is stored once', async () => {
    if (gate === null || relay === null) throw new Error('no rig');
    const { disk, lines, guest, fleet } = await pressingOnNewDisk('full', 8, {
      mount: true,
      before: [
        '(',
        guestWait('fill'),
        'dd if=/dev/zero of=/data/filler bs=64k 2>/dev/null',
        'echo "guest: disk filled, $(df -k /data | tail -1)"',
        guestWait('free'),
        'rm -f /data/filler',
        'echo "guest: space freed"',
        guestWait('stop-full'),
        'kill -TERM $(pidof node)',
        ') &',
      ].join('\n'),
    });
    const http = `http://127.0.0.1:${guest.hostPort(GUEST_HTTP_PORT)}`;
    await waitFor('50 presses acknowledged', 120_000, () => fleet.acked() >= 50);
    gate.open('fill');
    await guest.waitForLine(/^guest: disk filled/, 60_000);
    await waitFor('a press refused for a full disk', 120_000, () => logLines(lines, /disk full/).length > 0);
    const health = await fetch(`${http}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ diskFull: true, database: true });
    const refusedAt = Date.now();
    // The devices keep resending while the disk is full: still one line (a minute has not passed).
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(logLines(lines, /disk full/).length).toBeLessThanOrEqual(1 + Math.floor((Date.now() - refusedAt) / 60_000));
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(Number(/^ribbon_disk_full_refusals_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    gate.open('free');
    await guest.waitForLine(/^guest: space freed/, 60_000);
    await waitFor('a press stored again', 120_000, () => logLines(lines, /disk space available again/).length > 0);
    const ackedAtFree = fleet.acked();
    await waitFor('more presses acknowledged', 120_000, () => fleet.acked() > ackedAtFree + 20);
    await fleet.stop();
    expect((await fetch(`${http}/healthz`)).status).toBe(200);
    gate.open('stop-full');
    expect(await exitCode(guest, 60_000)).toBe(0);
    await guest.exited;
    const result = checkAcknowledged(pressesOnDisk(disk, 'after-full'), fleet.devices);
    expect(result.missing).toEqual([]);
    expect(result.doubled).toEqual([]);
  }, 600_000);
});
