// Issue 17.3, network faults. The server runs here on the host (in this process: its database and
// its dashboard's /ws are read directly); the buttons run in a qemu guest, because this host's
// kernel has no sch_netem and Debian's guest kernel has it. In the guest, the conductor
// (net/conductor.ts) puts each group of buttons in a network namespace of its own, joined by a veth
// pair whose both ends get tc netem: delay with jitter, loss, reordering and duplication all along;
// then group b is cut off (loss 100 %) while its buttons press red, and the cut heals.
//
// It proves: every press a button got its PUBACK for is stored exactly once (the database); every
// red pressed while cut off reaches a watching dashboard once the cut heals, and none before; the
// cut-off buttons come back spread in time, not in one wave (their backoff, device-sim's); all of
// it within a bound. Only the test's own addresses are used: 127.0.0.1 here, the guest's 10.0.2.x,
// and the namespaces' 10.77.x.0/24 inside the guest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { DB_FILE_NAME } from '../../server/store/db.js';
import { loginAdmin } from '../helpers/api.js';
import { changesOf, isSnapshot, open } from '../helpers/live-client.js';
import { startTestSystem } from '../helpers/system.js';
import { withDeadline } from '../helpers/tools.js';
import { bootGuest, buildRootImage, type Guest, type GuestLock, requireGuest, takeGuestLock } from './guest/index.js';
import { startControl } from './net/control.js';
import type { GroupPlan, Netem, Plan } from './net/plan.js';
import {
  ackedPresses,
  acksBetween,
  busiestWindow,
  drained,
  farmErrors,
  guestPhaseTime,
  linkChurn,
  median,
  qdiscStats,
  returnsAfter,
} from './net/tally.js';

const ROUGH: Netem = { delayMs: 40, jitterMs: 20, lossPct: 3, duplicatePct: 3, reorderPct: 25 };
const ROUGH_DEVICES = 12;
const CUT_DEVICES = 30;
/**
 * At most this share of the cut-off buttons may start the attempt that brought them back within one
 * 100 ms window. A herd (every button retrying at the same moment) puts nearly all of them in one
 * window. Buttons that spread well still bunch by chance: 30 starts drawn uniformly over 2 s put 6
 * or more (20 %) in some 100 ms window in 5 % of runs (a Monte Carlo of 200,000 draws), which
 * failed CI once; 10 or more (1/3) in 0.014 % of runs. The CONNACKs are only reported: a guest
 * busy under emulation hands several to its buttons in one turn of its event loop (7 within
 * 100 ms in that CI run, from 5 attempt starts).
 */
const HERD_SHARE = 1 / 3;
/** The whole run, guest boot included; on a warm cache it takes about … (see the report line). */
const RUN_BUDGET_MS = 240_000;

function plan(mqttPort: number, groups: GroupPlan[]): Plan {
  return {
    mqtt: { host: '10.0.2.2', port: mqttPort },
    groups,
    // A 4 s keepalive finds the cut in 4–8 s (shorter ones drop links of a guest busy under
    // emulation); the backoff starts at 0.5 s and stops doubling at 4 s, so a 20 s cut takes the
    // buttons through every step of it.
    device: { keepaliveSec: 4, reconnectPeriodMs: 500, reconnectMaxMs: 4000, connectTimeoutMs: 5000 },
    pressEveryMs: 1000,
    inFlight: 3,
    roughMs: 15_000,
    partitionMs: 20_000,
    redsInPartition: 2,
    drainMs: 45_000,
    setupMs: 60_000,
  };
}

const GUEST_CONDUCTOR = '/opt/netfault/conductor.cjs';
const GUEST_FARM = '/opt/netfault/farm.cjs';

/** The guest's two programs, bundled (node starts a bundle in seconds under emulation, tsx in ~84 s). */
async function bundles(dir: string): Promise<{ conductor: string; farm: string }> {
  const out = { conductor: path.join(dir, 'conductor.cjs'), farm: path.join(dir, 'farm.cjs') };
  for (const [name, file] of Object.entries(out)) {
    await build({
      entryPoints: [path.join(import.meta.dirname, 'net', `${name}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      outfile: file,
      logLevel: 'warning',
    });
  }
  return out;
}

/** null when guests can run here; under CI=true a missing piece fails instead of skipping. */
const unavailable = requireGuest();

describe.skipIf(unavailable !== null)('network faults (qemu guest, tc netem)', () => {
  let root: string;
  let lock: GuestLock | undefined;

  beforeAll(async () => {
    // The root image (cached by content: seconds when warm), then the machine's guest lock: the
    // run's bound starts once this file has the machine's guest to itself.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-netfault-'));
    try {
      const b = await bundles(dir);
      root = buildRootImage('netfault', {
        files: { [GUEST_CONDUCTOR]: b.conductor, [GUEST_FARM]: b.farm },
        binaries: ['/usr/sbin/ip', '/usr/sbin/tc'],
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    lock = await takeGuestLock({
      onWait: (pid) => process.stdout.write(`network faults: waiting for the guest lock (held by pid ${pid})\n`),
    });
  });
  afterAll(() => {
    lock?.release();
  });

  it('when buttons press through a rough network and a partition that heals, then every acknowledged press is stored once, the reds reach the dashboard after the heal, and the buttons come back spread out', async () => {
    let guest: Guest | undefined;
    // qemu is gone before afterAll frees the lock.
    onTestFinished(async () => {
      await guest?.kill();
    });

    const started = Date.now();
    const system = await startTestSystem({
      // Every button reaches the server from 127.0.0.1 (qemu's user-mode network): its per-address
      // CONNECT budget would shape the reconnects this test measures.
      env: { MQTT_CONNECT_BURST: '1000', MQTT_CONNECT_RATE: '1000' },
    });
    const rough = Array.from({ length: ROUGH_DEVICES }, () => system.provision({ building: '1号楼' }));
    const cut = Array.from({ length: CUT_DEVICES }, () => system.provision({ building: '2号楼' }));
    const cutHouseholds = new Set(cut.map((d) => d.householdId));
    onTestFailed(() => {
      const warnings = system.logs.lines.filter((l) => l.level >= 40).slice(-20);
      process.stdout.write(`server warnings (last 20):\n${warnings.map((l) => JSON.stringify(l)).join('\n')}\n`);
    });

    const dashboard = await open(system.httpAddress.port, { cookie: (await loginAdmin(system.app)).cookie });
    await dashboard.next(isSnapshot);
    // Host time of arrival of each /ws message from here on: arrivals[i] is messages[base + i]'s.
    const base = dashboard.messages.length;
    const arrivals: number[] = [];
    dashboard.ws.on('message', () => arrivals.push(Date.now()));

    const p = plan(system.mqttAddress?.port ?? 0, [
      { name: 'a', devices: rough.map(({ id, secret }) => ({ id, secret })), rough: ROUGH, partitioned: false },
      { name: 'b', devices: cut.map(({ id, secret }) => ({ id, secret })), rough: ROUGH, partitioned: true },
    ]);
    const control = await startControl(p);
    onTestFinished(() => control.close());

    guest = await bootGuest({
      root,
      lock: lock as GuestLock,
      modules: ['veth', 'sch_netem'],
      script: [
        `node ${GUEST_CONDUCTOR}`,
        `--control http://10.0.2.2:${control.port}`,
        `--farm ${GUEST_FARM} --ip /usr/sbin/ip --tc /usr/sbin/tc`,
      ].join(' '),
      onLine: (line) => {
        if (/netfault:|guest:|insmod|rror/.test(line)) process.stdout.write(`guest| ${line}\n`);
      },
    });
    await control.finished(RUN_BUDGET_MS - (Date.now() - started));
    // The conductor's end ends the guest's script, and the guest powers off.
    await withDeadline(guest.exited, 30_000, 'the guest powering off');

    const events = control.events;
    expect(farmErrors(events)).toEqual([]);
    // Every press waited for got its PUBACK and every button was back before the drain's end.
    expect(drained(events).map(({ group, pending, offline }) => ({ group, pending, offline }))).toEqual([
      expect.objectContaining({ pending: 0, offline: 0 }),
      expect.objectContaining({ pending: 0, offline: 0 }),
    ]);

    // 0. The network was what the plan says: slow under netem, and cut off during the partition
    // (netem's own drop counter on b's veth, and no PUBACK for b between the cut and the heal).
    const partitionT = guestPhaseTime(events, 'partition') as number;
    const healingT = guestPhaseTime(events, 'healing') as number;
    const roughMedianMs = median(
      acksBetween(events, 'a', guestPhaseTime(events, 'rough') as number, partitionT).map((a) => a.ms),
    );
    // netem's own counters: a's rules in force (and dropping its 3 %), b's link dropping all. (The
    // PUBACK latency is only reported: under emulation the guest's own slowness dwarfs netem's delay.)
    const roughStats = qdiscStats(events, 'a');
    for (const rule of [/qdisc netem/, /delay 40ms +20ms/, /loss 3%/, /duplicate 3%/, /reorder 25%/]) {
      expect(roughStats.text).toMatch(rule);
    }
    expect(roughStats.dropped, roughStats.text).toBeGreaterThan(0);
    const cutStats = qdiscStats(events, 'b');
    expect(cutStats.text).toMatch(/netem .*loss 100%/);
    expect(cutStats.dropped, cutStats.text).toBeGreaterThan(0);
    expect(acksBetween(events, 'b', partitionT, healingT)).toEqual([]);

    // 1. Every PUBACKed press is in the database exactly once, with its state.
    const acked = ackedPresses(events);
    expect(acked.length).toBeGreaterThan(ROUGH_DEVICES + CUT_DEVICES);
    const db = new Database(path.join(system.dataDir, DB_FILE_NAME), { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    const stored = new Map<string, { state: string; n: number }>();
    for (const row of db
      .prepare<[], { device_id: string; boot: number; seq: number; state: string; n: number }>(
        `SELECT device_id, boot, seq, min(state) AS state, count(*) AS n FROM events
         WHERE source = 'device' GROUP BY device_id, boot, seq`,
      )
      .all()) {
      stored.set(`${row.device_id}/${row.boot}/${row.seq}`, { state: row.state, n: row.n });
    }
    const missing = acked.filter((a) => stored.get(`${a.id}/${a.boot}/${a.seq}`)?.state !== a.state);
    expect(missing).toEqual([]);
    expect([...stored].filter(([, s]) => s.n !== 1)).toEqual([]);

    // 2. Each cut-off household's red reached the dashboard, after the heal began and not before.
    const healingAt = control.phaseAt('healing') as number;
    expect(healingAt).toBeGreaterThan(0);
    const redsOfCut = changesOf(dashboard).filter(
      (c) => c.type === 'report' && c.state === 'red' && cutHouseholds.has(c.householdId as number),
    );
    expect(new Set(redsOfCut.map((c) => c.householdId))).toEqual(cutHouseholds);
    const firstRedFrame = dashboard.messages.findIndex(
      (m) => m.type === 'delta' && (m.changes as typeof redsOfCut).some((c) => redsOfCut.includes(c)),
    );
    expect(arrivals[firstRedFrame - base]).toBeGreaterThanOrEqual(healingAt);
    expect(acked.filter((a) => cut.some((d) => d.id === a.id) && a.state === 'red')).toHaveLength(
      CUT_DEVICES * p.redsInPartition,
    );

    // 3. The cut-off buttons came back spread out: no 100 ms window holds more than HERD_SHARE of
    // the starts of their successful attempts (when each button knocked; HERD_SHARE says why not
    // the CONNACKs).
    const healedT = guestPhaseTime(events, 'healing') as number;
    const returns = [...returnsAfter(events, 'b', healedT).values()];
    expect(returns).toHaveLength(CUT_DEVICES);
    const times = returns.map((r) => r.t);
    const busiest = busiestWindow(times, 100);
    const busiestAttempts = busiestWindow(
      returns.map((r) => r.attemptAt),
      100,
    );
    const spreadMs = Math.max(...times) - Math.min(...times);
    process.stdout.write(
      `network faults: ${acked.length} presses PUBACKed and stored once (median PUBACK ${roughMedianMs} ms ` +
        `under netem, which dropped ${roughStats.dropped} of a's ${roughStats.sent} packets); after a ` +
        `${p.partitionMs / 1000} s cut (netem dropped ${cutStats.dropped} packets on b's veth), ${CUT_DEVICES} buttons came back over ${spreadMs} ms, the first ` +
        `${Math.min(...times) - healedT} ms after the heal; at most ${busiest.count} ` +
        `(${Math.round((100 * busiest.count) / CUT_DEVICES)} %) CONNACKs and ${busiestAttempts.count} attempt ` +
        `starts within 100 ms; link churn ${JSON.stringify(linkChurn(events))}; ` +
        `run ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
    expect(busiestAttempts.count / CUT_DEVICES).toBeLessThanOrEqual(HERD_SHARE);
    expect(Date.now() - started).toBeLessThan(RUN_BUDGET_MS);
  });
});
