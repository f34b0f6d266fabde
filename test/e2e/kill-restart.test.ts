// The delivery promise (docs/design.md §4) under fault: the server process is killed with SIGKILL at
// random moments while 20 devices keep pressing, and started again on the same data directory
// and MQTT port. Once a device has its PUBACK the press must be on disk; a press the devices
// resend after the restart must have effect once.
import { randomInt } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectDevice, type PressResult, type SimDevice } from '../../device-sim/device.js';
import { closeFleet } from '../../device-sim/fleet.js';
import { RIBBON_STATES, type RibbonState } from '../../protocol/ribbon.js';
import { createRandom, deriveSeed, type Random } from '../../device-sim/random.js';
import { DB_FILE_NAME } from '../../server/store/db.js';
import { freePort, startChildServer, type ChildServer, type ServerLogLine } from '../helpers/child-server.js';
import { type PressRow, provisionHouseholds } from '../helpers/press-households.js';
import { tempDir } from '../helpers/system.js';
import { withDeadline } from '../helpers/tools.js';

const DEVICES = 20;
const KILLS = 5;
/** Presses each device has waiting for their PUBACK at most. */
const IN_FLIGHT = 3;
/** Hard cap per device, so the run is bounded even if PUBACKs come faster than expected. */
const MAX_PRESSES_PER_DEVICE = 3000;
/** New PUBACKs (all devices together) to see after a (re)start before the next kill. */
const ACKS_BEFORE_KILL = { min: 40, spread: 160 };
/** Extra random wait before a kill, so it lands anywhere in the ingest cycle. */
const KILL_DELAY_MAX_MS = 300;
/** The bound on every wait for PUBACKs: a restart plus the devices' reconnects fit well within. */
const ACK_WAIT_MS = 30_000;
/** The whole run (start, kills, restarts, the end) must be over by then: well under 2 minutes. */
const RUN_BUDGET_MS = 100_000;

const SERVER_ENV = {
  // The reconnect storm after each kill comes from one address (127.0.0.1).
  MQTT_CONNECT_BURST: '1000',
  MQTT_CONNECT_RATE: '1000',
};

type Tracked = {
  device: SimDevice;
  householdId: number;
  boot: number;
  /** seq → state of every press the device published (or queued to publish). */
  sent: Map<number, RibbonState>;
  /** Seqs whose press() resolved, i.e. whose PUBACK the device received. */
  acked: Set<number>;
  inFlight: Set<Promise<void>>;
  failures: string[];
  /** Presses resent by untilAcked after mqtt.js dropped them. */
  resent: number;
};

/** Counts PUBACKs of presses and wakes whoever waits for a number of them. */
function createAckCounter() {
  let total = 0;
  const waiters = new Set<{ target: number; resolve: () => void }>();
  return {
    get total() {
      return total;
    },
    add(): void {
      total += 1;
      for (const w of waiters) {
        if (total >= w.target) {
          waiters.delete(w);
          w.resolve();
        }
      }
    },
    /** Resolves once `target` PUBACKs were counted; rejects after timeoutMs naming `what`. */
    reach(target: number, timeoutMs: number, what: string): Promise<void> {
      if (total >= target) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          target,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${what}: ${total} of ${target} PUBACKs within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/**
 * Redeliveries this server process acknowledged again without storing them (its
 * ribbon_mqtt_messages_total{outcome="duplicate"}; each process counts from zero). For the
 * report only: it shows the kills made devices resend presses that were already on disk.
 */
async function duplicatesSeen(server: ChildServer): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const match = /^ribbon_mqtt_messages_total\{[^}]*outcome="duplicate"[^}]*\}\s+(\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One device pressing random ribbons, at most IN_FLIGHT presses awaiting their PUBACK, until
 * `stopped()`; then waits for its presses in flight (they resolve once the broker acks them).
 */
async function pressLoop(t: Tracked, rng: Random, stopped: () => boolean, onAck: () => void): Promise<void> {
  while (!stopped() && t.sent.size < MAX_PRESSES_PER_DEVICE) {
    if (t.inFlight.size >= IN_FLIGHT) {
      await Promise.race(t.inFlight);
      continue;
    }
    const state = RIBBON_STATES[rng.int(RIBBON_STATES.length)] as RibbonState;
    // press() takes its seq synchronously, before its first await.
    const pressed = t.device.press(state);
    const seq = t.device.seq;
    t.sent.set(seq, state);
    const tracked: Promise<void> = untilAcked(t, seq, state, pressed)
      .then(
        () => {
          t.acked.add(seq);
          onAck();
        },
        (err: unknown) => {
          t.failures.push(`seq ${seq}: ${err instanceof Error ? err.message : String(err)}`);
        },
      )
      .finally(() => t.inFlight.delete(tracked));
    t.inFlight.add(tracked);
    // A person's pace, compressed: 0-9 ms between presses of one device.
    await pause(rng.int(10));
  }
  await Promise.allSettled([...t.inFlight]);
}

const MAX_RESENDS = 50;

/**
 * Resolves when the press has its PUBACK. mqtt.js fails a publish with "Connection closed" when
 * it was queued while the client replayed its unacknowledged messages after a reconnect and the
 * connection dropped again (mqttjs/MQTT.js#2015): that publish never reached the wire. A firmware
 * resends an unacknowledged press with the same seq; so does this, and counts it.
 */
async function untilAcked(t: Tracked, seq: number, state: RibbonState, pressed: Promise<PressResult>): Promise<void> {
  let attempt: Promise<unknown> = pressed.then((result) => {
    if (result.seq !== seq || result.boot !== t.boot) throw new Error(`press resolved as ${JSON.stringify(result)}`);
  });
  for (let resend = 0; ; resend++) {
    try {
      await attempt;
      return;
    } catch (err) {
      if (!(err instanceof Error) || !/Connection closed/.test(err.message) || resend >= MAX_RESENDS) throw err;
    }
    t.resent += 1;
    attempt = t.device.publishRaw('state', JSON.stringify({ state, seq, boot: t.boot }), 1);
  }
}

type EventRow = PressRow;
type AlertRow = {
  household_id: number;
  kind: string;
  status: string;
  report_count: number;
  first_event_id: number | null;
  last_event_id: number | null;
};

const keyOf = (deviceId: string, boot: number | null, seq: number | null): string => `${deviceId}/${boot}/${seq}`;

describe('kill -9 and restart under load', () => {
  it('when the server is SIGKILLed at random moments while 20 devices press, then every PUBACKed press is stored exactly once, nothing unsent is stored, and every red press has its emergency alert', async () => {
    const started = Date.now();
    // Every wait takes the smaller of its own bound and what is left of the run's budget.
    const within = (ms: number): number => Math.max(1, Math.min(ms, started + RUN_BUDGET_MS - Date.now()));
    const seed = process.env.RIBBON_SEED !== undefined ? Number(process.env.RIBBON_SEED) : randomInt(2 ** 32);
    console.log(`kill-restart: seed ${seed} (replay with RIBBON_SEED=${seed})`);
    const rng = createRandom(seed);

    const dataDir = tempDir('ribbon-kill-');
    const credentials = provisionHouseholds(dataDir, DEVICES, rng, {
      compound: '阳光小区',
      room: '1',
      idPrefix: 'kill-dev-',
    });
    const mqttPort = await freePort();
    const servers: ChildServer[] = [];
    const start = async (): Promise<ChildServer> => {
      const server = await startChildServer({ dataDir, mqttPort, env: SERVER_ENV, readyTimeoutMs: within(30_000) });
      servers.push(server);
      return server;
    };
    let server = await start();

    const tracked: Tracked[] = await Promise.all(
      credentials.map(async (c): Promise<Tracked> => {
        const device = await connectDevice({
          url: server.mqttUrl,
          id: c.id,
          secret: c.secret,
          boot: c.boot,
          // Reconnect quickly: the server is back within a second or two of each kill.
          reconnectPeriodMs: 100,
          connectTimeoutMs: 10_000,
        });
        onTestFinished(() => device.kill());
        return {
          device,
          householdId: c.householdId,
          boot: c.boot,
          sent: new Map(),
          acked: new Set(),
          inFlight: new Set(),
          failures: [],
          resent: 0,
        };
      }),
    );

    const acks = createAckCounter();
    let stopping = false;
    const loops = tracked.map((t, i) =>
      pressLoop(
        t,
        createRandom(deriveSeed(seed, i)),
        () => stopping,
        () => acks.add(),
      ),
    );
    // If the test fails half-way, the loops must not keep pressing into the cleanup.
    onTestFinished(() => {
      stopping = true;
    });
    const inFlightNow = (): number => tracked.reduce((n, t) => n + t.inFlight.size, 0);

    let deduplicated = 0;
    const inFlightAtKill: number[] = [];
    const ackedAtKill: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const target = acks.total + ACKS_BEFORE_KILL.min + rng.int(ACKS_BEFORE_KILL.spread);
      await acks.reach(target, within(ACK_WAIT_MS), `before kill ${kill}`);
      deduplicated += await duplicatesSeen(server);
      await pause(rng.int(KILL_DELAY_MAX_MS));
      inFlightAtKill.push(inFlightNow());
      ackedAtKill.push(acks.total);
      const exit = await server.kill('SIGKILL');
      expect(exit.signal, `kill ${kill}: how tsx ended`).toBe('SIGKILL');
      server = await start();
    }
    // The devices reconnect and resend to the last server; some more presses after that.
    await acks.reach(acks.total + ACKS_BEFORE_KILL.min, within(ACK_WAIT_MS), 'after the last restart');

    // Stop pressing; every press still in flight must get its PUBACK.
    stopping = true;
    await withDeadline(Promise.all(loops), within(ACK_WAIT_MS), 'the presses in flight');
    const failures = tracked.flatMap((t) => t.failures.map((f) => `${t.device.id} ${f}`));
    expect(failures).toEqual([]);

    deduplicated += await duplicatesSeen(server);
    await closeFleet(tracked.map((t) => t.device));
    const stop = await withDeadline(server.kill('SIGTERM'), 15_000, 'the server stopping on SIGTERM');
    expect(stop, 'graceful stop').toEqual({ code: 0, signal: null });
    const errorLogs = servers.flatMap((s) => s.logs.filter((l: ServerLogLine) => l.level >= 50));
    expect(errorLogs).toEqual([]);

    // What is on disk, read by nobody but us.
    const db = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true, fileMustExist: true });
    onTestFinished(() => {
      db.close();
    });
    const rows = db
      .prepare<[], EventRow>(
        "SELECT id, household_id, device_id, boot, seq, state FROM events WHERE source = 'device' ORDER BY id",
      )
      .all();
    const duplicates = db
      .prepare<[], { device_id: string; boot: number | null; seq: number | null; n: number }>(
        `SELECT device_id, boot, seq, count(*) AS n FROM events WHERE source = 'device'
         GROUP BY device_id, boot, seq HAVING count(*) > 1 ORDER BY device_id, seq`,
      )
      .all();
    const alerts = db
      .prepare<[], AlertRow>(
        'SELECT household_id, kind, status, report_count, first_event_id, last_event_id FROM alerts ORDER BY id',
      )
      .all();
    const rejected = (db.prepare('SELECT count(*) AS n FROM rejected_messages').get() as { n: number }).n;

    const byId = new Map(tracked.map((t) => [t.device.id, t]));
    const stored = new Set(rows.map((r) => keyOf(r.device_id, r.boot, r.seq)));
    const ackedTotal = tracked.reduce((n, t) => n + t.acked.size, 0);
    const sentTotal = tracked.reduce((n, t) => n + t.sent.size, 0);
    const reds = rows.filter((r) => r.state === 'red');
    const resent = tracked.reduce((n, t) => n + t.resent, 0);
    console.log(
      `kill-restart: seed ${seed}, kills ${inFlightAtKill.length}, sent ${sentTotal}, acked ${ackedTotal}, stored ${rows.length} ` +
        `(red ${reds.length}), duplicates ${duplicates.length}, redeliveries deduplicated by the server ${deduplicated}, resent after a dropped publish ${resent}, in flight at each kill [${inFlightAtKill.join(', ')}], ` +
        `acked before each kill [${ackedAtKill.join(', ')}], ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    // 1. Every press a device saw PUBACKed is on disk.
    const lost = tracked.flatMap((t) =>
      [...t.acked]
        .filter((seq) => !stored.has(keyOf(t.device.id, t.boot, seq)))
        .map((seq) => `${t.device.id} boot ${t.boot} seq ${seq}`),
    );
    expect(lost, 'PUBACKed but not stored').toEqual([]);
    // 2. Each exactly once.
    expect(duplicates, 'stored more than once').toEqual([]);
    // 3. Nothing stored that was never sent, and each as it was sent (state, household).
    const unsent = rows.filter((r) => {
      const t = byId.get(r.device_id);
      return (
        t === undefined ||
        r.boot !== t.boot ||
        r.seq === null ||
        t.sent.get(r.seq) !== r.state ||
        r.household_id !== t.householdId
      );
    });
    expect(unsent, 'stored but never sent like this').toEqual([]);
    // Every press ended with its PUBACK, so what is stored is exactly what was sent.
    expect(ackedTotal).toBe(sentTotal);
    expect(rows.length).toBe(sentTotal);
    expect(rejected).toBe(0);

    // 4. Every red press has an emergency alert for its household; the alert counts each
    //    press once (it is never resolved here, so every red press joined the one open alert).
    const alertProblems: string[] = [];
    for (const t of tracked) {
      const mine = reds.filter((r) => r.household_id === t.householdId);
      const emergencies = alerts.filter((a) => a.household_id === t.householdId && a.kind === 'emergency');
      if (mine.length === 0) {
        if (emergencies.length > 0)
          alertProblems.push(`household ${t.householdId}: an emergency alert without a red press`);
        continue;
      }
      const alert = emergencies[0];
      if (emergencies.length !== 1 || alert === undefined) {
        alertProblems.push(
          `household ${t.householdId}: ${mine.length} red press(es), ${emergencies.length} emergency alert(s)`,
        );
        continue;
      }
      const expected = {
        status: 'open',
        report_count: mine.length,
        first_event_id: mine[0]?.id,
        last_event_id: mine.at(-1)?.id,
      };
      const actual = {
        status: alert.status,
        report_count: alert.report_count,
        first_event_id: alert.first_event_id,
        last_event_id: alert.last_event_id,
      };
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        alertProblems.push(
          `household ${t.householdId}: emergency alert ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
        );
      }
    }
    expect(alertProblems).toEqual([]);
    expect(reds.length).toBeGreaterThan(0);
    // The case the test exists for: a kill landed while presses were unacknowledged.
    expect(
      inFlightAtKill.some((n) => n > 0),
      `in flight at each kill: ${inFlightAtKill.join(', ')}`,
    ).toBe(true);
  });
});
