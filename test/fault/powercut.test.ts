// The delivery promise under power cuts (issue 17, point 1): the real server, bundled, runs in a
// qemu guest whose data disk is a raw file with cache=none; devices on the host press through the
// guest's broker (hostfwd); qemu is SIGKILLed at random moments under load, which loses exactly
// what a power cut loses (the guest's page cache, anything not yet written to the host file).
// After each cut the disk is checked on the host (journal replay, the database read with the
// project's code) and the server boots again on it. A kill -9 of the server process cannot catch
// a missing or misplaced fsync (the kernel still writes its page cache out); this can, and proves
// it: a build that PUBACKs before the WAL sync must lose acknowledged presses here.
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../../device-sim/random.js';
import { tempDir } from '../helpers/system.js';
import { withDeadline } from '../helpers/tools.js';
import { type DiskState, readDisk } from './disk-state.js';
import {
  bootGuest,
  freeHostPort,
  GUEST_DATA_DIR,
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
import { type Credential, type Pressing, provisionFleet, startPressing } from './press-fleet.js';

const DEVICES = 24;
/** Presses each device keeps waiting for their PUBACK. */
const IN_FLIGHT = 4;
/** Cuts of the real (safe) build: the issue asks for at least 8. */
const SAFE_CUTS = 8;
/** Cuts of the unsafe build at most; it stops at the first that loses an acknowledged press. */
const UNSAFE_CUTS = 5;
/** New PUBACKs to see after a boot before the next cut, so that it lands under load. */
const ACKS_BEFORE_CUT = { min: 60, spread: 140 };
/** A random extra wait before a cut, so it lands anywhere in the commit/sync cycle. */
const CUT_DELAY_MAX_MS = 400;
/** Boot, server start and the devices' reconnects, under emulation on a loaded 2-core machine. */
const BOOT_MS = 240_000;
const ACK_WAIT_MS = 180_000;
/** Acknowledged presses sent again after the last boot, as a device resending after a reconnect. */
const REDELIVER = 60;

const SERVER_ENV = { MQTT_CONNECT_BURST: '1000', MQTT_CONNECT_RATE: '1000', ADMIN_PASSWORD: 'powercut-admin-pw' };

const unavailable = requireGuest();
const seed = process.env.RIBBON_SEED !== undefined ? Number(process.env.RIBBON_SEED) : randomInt(2 ** 32);
const t0 = Date.now();
const say = (line: string) => console.log(`powercut [${((Date.now() - t0) / 1000).toFixed(0)} s] ${line}`);

type CutReport = {
  cut: number;
  acked: number;
  stored: number;
  lost: number;
  inFlight: number;
  replayed: boolean;
  walKiB: number;
};

/** One data disk, one root image, the guest booted and cut on it again and again. */
class Rig {
  guest: Guest | null = null;
  readonly disk: string;
  readonly credentials: Credential[];
  readonly reports: CutReport[] = [];
  private mqttPort = 0;
  private httpPort = 0;

  constructor(
    readonly name: string,
    readonly root: string,
    readonly lock: GuestLock,
    rng: Random,
  ) {
    // The disk's content: ribbon/ (GUEST_DATA_DIR on the disk mounted at /data) with the devices.
    const dataRoot = tempDir(`ribbon-${name}-`);
    const content = path.join(dataRoot, 'disk');
    const dataDir = path.join(content, path.basename(GUEST_DATA_DIR));
    fs.mkdirSync(dataDir, { recursive: true });
    this.credentials = provisionFleet(dataDir, DEVICES, rng);
    this.disk = path.join(dataRoot, 'data.img');
    makeDataDisk(this.disk, { sizeMb: 256, fromDir: content });
  }

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }
  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  async boot(): Promise<void> {
    if (this.mqttPort === 0) {
      this.mqttPort = await freeHostPort();
      this.httpPort = await freeHostPort();
    }
    const started = Date.now();
    this.guest = await bootGuest({
      root: this.root,
      lock: this.lock,
      disks: [{ file: this.disk, mountAt: '/data' }],
      forwards: [
        { guest: GUEST_MQTT_PORT, host: this.mqttPort },
        { guest: GUEST_HTTP_PORT, host: this.httpPort },
      ],
      script: serverScript({ env: SERVER_ENV }),
    });
    await waitForServer(this.guest, BOOT_MS);
    say(`${this.name}: server up in the guest after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** Power cut under load, then the disk checked and read on the host. */
  async cut(
    cut: number,
    fleet: Pressing,
    rng: Random,
  ): Promise<{ report: CutReport; state: DiskState; lost: string[] }> {
    await fleet.more(
      ACKS_BEFORE_CUT.min + rng.int(ACKS_BEFORE_CUT.spread),
      ACK_WAIT_MS,
      `${this.name}: before cut ${cut}`,
    );
    await new Promise((resolve) => setTimeout(resolve, rng.int(CUT_DELAY_MAX_MS)));
    const guest = this.guest as Guest;
    const exit = await guest.kill();
    expect(exit.signal, 'qemu ended by the cut').toBe('SIGKILL');
    this.guest = null;
    // PUBACKs the host had already received (in its socket buffers) are delivered in this turn.
    await new Promise((resolve) => setImmediate(resolve));
    const acked = [...fleet.acked.keys()];
    const state = readDisk(this.disk);
    const lost = acked.filter((key) => !state.stored.has(key));
    const report: CutReport = {
      cut,
      acked: acked.length,
      stored: state.rows.length,
      lost: lost.length,
      inFlight: fleet.sent.size - acked.length,
      replayed: state.check.replayed,
      walKiB: Math.round(state.walBytes / 1024),
    };
    this.reports.push(report);
    say(`${this.name}: cut ${cut}: ${JSON.stringify(report)}`);
    return { report, state, lost };
  }

  async kill(): Promise<void> {
    await this.guest?.kill();
    this.guest = null;
  }
}

/** Redeliveries the running server acknowledged again without storing them (its own counter). */
async function duplicatesCounted(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  const match = /^ribbon_mqtt_messages_total\{[^}]*outcome="duplicate"[^}]*\}\s+(\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

describe.skipIf(unavailable !== null)('power cuts under load (qemu guest, data disk cache=none)', () => {
  let lock: GuestLock;
  let safeRoot: string;
  let unsafeRoot: string;
  const rigs: Rig[] = [];
  const fleets: Pressing[] = [];

  beforeAll(async () => {
    say(`seed ${seed} (replay with RIBBON_SEED=${seed})`);
    // Both images first (cached by content: seconds when warm), then the machine's guest lock
    // for the whole file: nobody else's guest runs between our cuts.
    safeRoot = await serverRootImage();
    unsafeRoot = await serverRootImage({ unsafeAckBeforeSync: true });
    say('root images ready');
    lock = await takeGuestLock({ onWait: (pid) => say(`waiting for the guest lock (held by pid ${pid})`) });
  });

  afterAll(async () => {
    for (const fleet of fleets) await fleet.close();
    for (const rig of rigs) await rig.kill();
    lock?.release();
  });

  it('when the build acknowledges before its WAL sync, then a power cut under load loses acknowledged presses (the harness can fail)', async () => {
    const rng = createRandom(seed);
    const rig = new Rig('unsafe', unsafeRoot, lock, rng);
    rigs.push(rig);
    await rig.boot();
    const fleet = await startPressing({
      url: rig.mqttUrl,
      credentials: rig.credentials,
      seed,
      inFlight: IN_FLIGHT,
      connectWithinMs: BOOT_MS,
    });
    fleets.push(fleet);
    let lost: string[] = [];
    for (let cut = 1; cut <= UNSAFE_CUTS && lost.length === 0; cut++) {
      if (cut > 1) await rig.boot();
      ({ lost } = await rig.cut(cut, fleet, rng));
    }
    await fleet.close();
    say(
      `unsafe build: lost per cut [${rig.reports.map((r) => r.lost).join(', ')}], e.g. ${lost.slice(0, 3).join(' ')}`,
    );
    expect(lost.length, 'acknowledged presses lost by the build that acks before its sync').toBeGreaterThan(0);
  });

  it('when qemu is killed at random moments while devices press, then every PUBACKed press is on disk after each cut and exactly once at the end, and a redelivery after the restart has no second effect', async () => {
    const rng = createRandom(seed + 1);
    const rig = new Rig('safe', safeRoot, lock, rng);
    rigs.push(rig);
    await rig.boot();
    const fleet = await startPressing({
      url: rig.mqttUrl,
      credentials: rig.credentials,
      seed: seed + 1,
      inFlight: IN_FLIGHT,
      connectWithinMs: BOOT_MS,
    });
    fleets.push(fleet);
    for (let cut = 1; cut <= SAFE_CUTS; cut++) {
      const { lost, report } = await rig.cut(cut, fleet, rng);
      expect(lost, `cut ${cut}: PUBACKed but not on disk`).toEqual([]);
      expect(report.replayed, `cut ${cut}: the ext4 journal had something to replay`).toBe(true);
      await rig.boot();
    }
    // After the last boot: the devices resend what got no PUBACK, press some more, then stop.
    await fleet.more(ACKS_BEFORE_CUT.min, ACK_WAIT_MS, 'after the last boot');
    const failures = await withDeadline(fleet.stop(), ACK_WAIT_MS, 'the presses in flight');
    expect(failures).toEqual([]);

    // Redelivery: presses already acknowledged (reds among them) sent again with the same ids.
    const acked = [...fleet.acked];
    const reds = acked.filter(([, state]) => state === 'red').slice(0, REDELIVER / 2);
    const others = acked.filter(([, state]) => state !== 'red');
    const again = [
      ...reds,
      ...Array.from({ length: REDELIVER - reds.length }, () => others[rng.int(others.length)]),
    ].filter((e): e is [string, 'red' | 'yellow' | 'blue'] => e !== undefined);
    const byId = new Map(fleet.devices.map((d) => [d.id, d]));
    const duplicatesBefore = await duplicatesCounted(rig.httpUrl);
    await withDeadline(
      Promise.all(
        again.map(([key, state]) => {
          const [id, boot, seq] = key.split('/');
          const device = byId.get(id as string);
          if (device === undefined) throw new Error(`no device ${id}`);
          return device.publishRaw('state', JSON.stringify({ state, seq: Number(seq), boot: Number(boot) }), 1);
        }),
      ),
      ACK_WAIT_MS,
      'the redeliveries',
    );
    const duplicatesAfter = await duplicatesCounted(rig.httpUrl);
    await fleet.close();
    await rig.kill();
    const end = readDisk(rig.disk);

    const ackedKeys = [...fleet.acked.keys()];
    const missing = ackedKeys.filter((k) => !end.stored.has(k));
    const twice = [...end.stored].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
    const unsent = end.rows.filter((r) => !fleet.sent.has(`${r.device_id}/${r.boot}/${r.seq}`));
    say(
      `safe build: ${SAFE_CUTS} cuts, acked ${ackedKeys.length}, sent ${fleet.sent.size}, stored ${end.rows.length}, ` +
        `redelivered ${again.length} (${reds.length} red), server counted ${duplicatesAfter - duplicatesBefore} duplicates; ` +
        `acked at each cut [${rig.reports.map((r) => r.acked).join(', ')}], in flight [${rig.reports.map((r) => r.inFlight).join(', ')}], ` +
        `WAL KiB [${rig.reports.map((r) => r.walKiB).join(', ')}], first connections tried again ${fleet.connectRetries}`,
    );
    expect(missing, 'PUBACKed but not stored').toEqual([]);
    expect(twice, 'stored more than once').toEqual([]);
    expect(unsent, 'stored but never sent').toEqual([]);
    expect(duplicatesAfter - duplicatesBefore, 'redeliveries acknowledged as duplicates').toBe(again.length);
    // One emergency alert per household with red presses, counting each red press once.
    const problems: string[] = [];
    for (const c of rig.credentials) {
      const reds = end.rows.filter((r) => r.household_id === c.householdId && r.state === 'red').length;
      const emergencies = end.alerts.filter((a) => a.household_id === c.householdId && a.kind === 'emergency');
      const counted = emergencies.reduce((n, a) => n + a.report_count, 0);
      if (reds === 0 ? emergencies.length > 0 : emergencies.length !== 1 || counted !== reds) {
        problems.push(`household ${c.householdId}: ${reds} red presses, alerts ${JSON.stringify(emergencies)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(
      rig.reports.some((r) => r.inFlight > 0),
      'a cut landed with presses in flight',
    ).toBe(true);
  });
});
