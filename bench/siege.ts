// Siege benchmark (issue 12, point 5): is a red press held up by anything else in the box?
// `node --import tsx bench/siege.ts [--smoke] [--https [--rsa]]`: over HTTPS the server's certificate is
// ECDSA P-256 (the README's recommendation), or RSA-2048 with --rsa (the siege's before 2026-12-03).
//
// The server is a child process started as `npm start` starts it, on a data dir provisioned
// before it starts (8,000 households, one device). A dashboard watches over /ws; one device
// presses every 40 ms, open-loop (every 5th press red); after a baseline, the attack comes all
// at once: anonymous logins from many 127.0.0.x addresses, resyncs from one session's sockets,
// dry-run imports of the whole roster, sockets that send half a header and hold. Reported: PUBACK
// and red → dashboard latency beside the targets, every acked press found once in the events
// table after the server stopped, how each kind of attack was answered. Method in bench/RESULTS.md
// ("Siege: method"). The attack runs in a process of its own (lib/siege-attack.ts), so that this one,
// which measures, is nearly idle: its event-loop delay and the attack process's CPU are reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { addHousehold, provisionDevice } from '../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { freePort, startChildServer, type ChildExit, type ChildServer } from '../test/helpers/child-server-core.js';
import { selfSignedCert } from '../test/helpers/tls.js';
import { waitForQuietMachine } from './lib/proc-stat.js';
import { appendResults } from './lib/results.js';
import { connectPressingDevice, DEVICE_BOOT } from './lib/siege-device.js';
import { type AttackProcess, startAttackProcess } from './lib/siege-attack.js';
import { call, type Endpoint, login } from './lib/siege-http.js';
import { watchDashboard } from './lib/siege-live.js';
import { describeResult, type SiegeResult, section } from './lib/siege-report.js';
import { createHistogram } from './lib/stats.js';

const ADMIN_PASSWORD = 'bench-siege-admin-password';
const DEVICE_ID = 'siege-device';
const PRESS_EVERY_MS = 40;

export type SiegePlan = {
  households: number;
  compounds: number;
  baselineMs: number;
  attackMs: number;
  loginsInFlight: number;
  loginAddresses: number;
  resyncSockets: number;
  resyncsEach: number;
  imports: number;
  heldSockets: number;
  /** After the last press: how long to wait for outstanding PUBACKs and receipts. */
  drainMs: number;
  /** Server settings beyond `npm start`'s defaults. */
  env: Record<string, string>;
};

export function siegePlan(smoke: boolean): SiegePlan {
  return smoke
    ? {
        households: 500,
        compounds: 5,
        baselineMs: 1_000,
        attackMs: 3_000,
        loginsInFlight: 40,
        loginAddresses: 20,
        resyncSockets: 20,
        resyncsEach: 50,
        imports: 2,
        heldSockets: 30,
        drainMs: 15_000,
        // So that the held sockets meet the header timeout within the 3 s attack.
        env: { HTTP_HEADERS_TIMEOUT_MS: '1000' },
      }
    : {
        households: 8_000,
        compounds: 40,
        baselineMs: 3_000,
        attackMs: 20_000,
        loginsInFlight: 200,
        loginAddresses: 200,
        resyncSockets: 20,
        resyncsEach: 50,
        imports: 4,
        heldSockets: 300,
        drainMs: 60_000,
        env: {},
      };
}

/** Households across compounds and the pressing device (on the first), before the server starts. */
function provision(dataDir: string, p: SiegePlan): { householdId: number; secret: string } {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    return stores.db.transaction(() => {
      let first = 0;
      for (let i = 0; i < p.households; i++) {
        const id = addHousehold(
          stores,
          {
            compound: `siege-${i % p.compounds}`,
            building: `${Math.floor(i / p.compounds) % 20}`,
            room: `${i}`,
            name: `siege ${i}`,
          },
          now,
        );
        if (i === 0) first = id;
      }
      return { householdId: first, secret: provisionDevice(stores, first, now, DEVICE_ID).secret };
    })();
  } finally {
    stores.db.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** SIGTERM (a graceful stop, as the supervisor does), SIGKILL if it has not exited within 15 s. */
async function stopServer(server: ChildServer): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), 15_000);
  });
  const outcome = await Promise.race([server.kill('SIGTERM'), late]);
  clearTimeout(timer);
  if (outcome === 'late') await server.kill('SIGKILL');
}

/** The stored rows of the device's presses, by seq. */
function storedPresses(dataDir: string): Map<number, number> {
  const db = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true });
  try {
    const rows = db
      .prepare('SELECT seq, COUNT(*) AS n FROM events WHERE device_id = ? AND boot = ? GROUP BY seq')
      .all(DEVICE_ID, DEVICE_BOOT) as Array<{ seq: number; n: number }>;
    return new Map(rows.map((r) => [r.seq, r.n]));
  } finally {
    db.close();
  }
}

export async function benchSiege(opts: {
  smoke: boolean;
  https?: boolean;
  /** The HTTPS certificate's key (default P-256, as the README recommends). */
  certKey?: 'p256' | 'rsa2048';
  log?: (line: string) => void;
  appendResults?: boolean;
}): Promise<SiegeResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const p = siegePlan(opts.smoke);
  const useTls = opts.https === true;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-siege-'));
  let server: ChildServer | null = null;
  let stopping = false;
  let crashed: ChildExit | null = null;
  let attacker: AttackProcess | null = null;
  const closers: Array<() => void> = [];
  try {
    const { householdId, secret } = provision(dataDir, p);
    log(
      `provisioned ${p.households} households in ${p.compounds} compounds, device ${DEVICE_ID} on household ${householdId}`,
    );
    const certKey = opts.certKey ?? 'p256';
    const cert = useTls ? selfSignedCert(dataDir, { key: certKey }) : null;
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: {
        LOG_LEVEL: 'info',
        ADMIN_PASSWORD,
        // HTTPS for the attacked side; the device stays on plain MQTT (the HTTPS pair would
        // otherwise move the broker to TLS only), so the figures compare with earlier runs.
        ...(cert
          ? { TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile, MQTT_PLAIN: 'on', MQTTS_PORT: '0' }
          : {}),
        ...p.env,
      },
      readyTimeoutMs: 60_000,
    });
    void server.exited.then((exit) => {
      if (!stopping) crashed = exit;
    });
    const ep: Endpoint = { port: server.httpPort, ca: cert ? cert.cert : null };

    // Two sessions of the admin: the watching volunteer's, and the attacker's.
    const watching = await login(ep, 'admin', ADMIN_PASSWORD);
    const attackerSession = await login(ep, 'admin', ADMIN_PASSWORD);
    const exported = await call(ep, {
      method: 'GET',
      path: '/api/export/households',
      headers: { cookie: attackerSession.cookie },
      timeoutMs: 60_000,
    });
    if (exported.status !== 200) throw new Error(`GET /api/export/households: ${exported.status} ${exported.text}`);
    const rosterRows = exported.text.split('\n').filter((l) => l.trim() !== '').length - 1;
    log(`roster for the imports: ${rosterRows} rows, ${Buffer.byteLength(exported.text)} bytes (the export)`);
    attacker = await startAttackProcess({
      port: ep.port,
      caPem: cert ? cert.cert.toString() : null,
      session: attackerSession,
      csv: exported.text,
      attackMs: p.attackMs,
      loginsInFlight: p.loginsInFlight,
      loginAddresses: p.loginAddresses,
      resyncSockets: p.resyncSockets,
      resyncsEach: p.resyncsEach,
      imports: p.imports,
      heldSockets: p.heldSockets,
    });
    log(`attack process ready (pid ${attacker.pid})`);

    const pendingReds: Array<{ dueAt: number; phase: 'baseline' | 'attack' }> = [];
    const redHist = { baseline: createHistogram(), attack: createHistogram() };
    // Where in the attack the tail is (its start, when every attacker connects at once, or later).
    const attackReds: Array<{ ms: number; atMs: number }> = [];
    const pubackHist = { baseline: createHistogram(), attack: createHistogram() };
    let redSeen = 0;
    let allRedsSeen: (() => void) | null = null;
    const watcher = await watchDashboard(ep, watching, householdId, (at) => {
      // Receipts come in arrival order, one per red press that is not a redelivery.
      const red = pendingReds.shift();
      if (!red) return;
      redSeen++;
      redHist[red.phase].record(at - red.dueAt);
      if (red.phase === 'attack') attackReds.push({ ms: at - red.dueAt, atMs: red.dueAt - t0Holder.attackStart });
      if (pendingReds.length === 0) allRedsSeen?.();
    });
    closers.push(() => watcher.close());
    const t0Holder = { attackStart: Number.POSITIVE_INFINITY };
    const device = await connectPressingDevice({
      port: server.mqttPort,
      deviceId: DEVICE_ID,
      secret,
      onAck: (press, ms) => pubackHist[press.dueAt < t0Holder.attackStart ? 'baseline' : 'attack'].record(ms),
    });
    closers.push(() => device.close());

    const quiet = opts.smoke ? null : await waitForQuietMachine({ maxBusyPercent: 40, timeoutMs: 30_000 });
    if (quiet && !quiet.quiet)
      log(`warning: the machine is busy (${Math.round(quiet.busyPercent)} % of one core before the run)`);

    const start = performance.now();
    const attackStart = start + p.baselineMs;
    const end = attackStart + p.attackMs;
    t0Holder.attackStart = attackStart;
    const attackProcess = attacker;
    const lag = monitorEventLoopDelay({ resolution: 10 });
    log(`baseline ${p.baselineMs} ms, then ${p.attackMs} ms of attack`);

    const attack = (async () => {
      await sleep(attackStart - performance.now());
      lag.enable();
      try {
        return await attackProcess.attack();
      } finally {
        lag.disable();
      }
    })();
    // Its failure is thrown where it is awaited, after the presses; not an unhandled rejection before.
    attack.catch(() => undefined);

    // Open-loop presses: press k is due at start + k·40 ms and leaves as soon as it is due.
    let k = 0;
    for (;;) {
      const due = start + k * PRESS_EVERY_MS;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 0) {
        await sleep(Math.min(wait, 1));
        continue;
      }
      const state = k % 5 === 4 ? 'red' : k % 2 === 0 ? 'blue' : 'yellow';
      if (state === 'red') pendingReds.push({ dueAt: due, phase: due < attackStart ? 'baseline' : 'attack' });
      device.press(k + 1, state, due);
      k++;
    }
    const answered = await attack;
    await attackProcess.stop();
    log(`attack over; waiting up to ${p.drainMs} ms for outstanding PUBACKs and receipts`);
    const drainUntil = performance.now() + p.drainMs;
    await device.drained(p.drainMs);
    if (pendingReds.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, drainUntil - performance.now()));
        allRedsSeen = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const redSent = device.sent.filter((x) => x.state === 'red').length;
    const cutOffs = watcher.cutOffs.map((c) => ({ code: c.code, reason: c.reason, atMs: c.at - start }));
    const dashboardStats = { ...watcher.stats };
    for (const close of closers.splice(0).reverse()) close();

    stopping = true;
    await stopServer(server);
    const errorLines = server.logs.filter((l) => l.level >= 50);
    const stored = storedPresses(dataDir);
    const ackedSeqs = [...device.acked.keys()];
    const result: SiegeResult = {
      https: useTls ? certKey : null,
      households: p.households,
      rosterRows,
      baselineMs: p.baselineMs,
      attackMs: p.attackMs,
      presses: {
        sent: device.sent.length,
        acked: ackedSeqs.length,
        ackedStoredOnce: ackedSeqs.filter((s) => stored.get(s) === 1).length,
        ackedNotStored: ackedSeqs.filter((s) => !stored.has(s)),
        storedMoreThanOnce: [...stored].filter(([, n]) => n > 1).map(([s]) => s),
        storedNotAcked: [...stored.keys()].filter((s) => !device.acked.has(s)).length,
        redSent,
        redSeen,
      },
      puback: { baseline: pubackHist.baseline.summary(), attack: pubackHist.attack.summary() },
      redToScreen: { baseline: redHist.baseline.summary(), attack: redHist.attack.summary() },
      slowestReds: attackReds.sort((a, b) => b.ms - a.ms).slice(0, 5),
      logins: answered.logins,
      imports: answered.imports,
      resyncs: answered.resyncs,
      held: answered.held,
      dashboard: { cutOffs, deltas: dashboardStats.deltas, gaps: dashboardStats.gaps },
      device: { closedByBroker: device.closedByBroker },
      server: {
        crashed,
        errorLines: errorLines.length,
        errorSamples: [...new Set(errorLines.map((l) => l.msg))].slice(0, 5),
      },
      generatorLag: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
      attackProcess: { pid: attackProcess.pid, cpuPercent: answered.cpuPercent, lag: answered.lag },
      quiet,
    };
    for (const line of describeResult(result)) log(line);
    if (!opts.smoke && opts.appendResults !== false) appendResults(section(result));
    return result;
  } finally {
    if (attacker) await attacker.stop();
    for (const close of closers.reverse()) close();
    stopping = true;
    if (server) await stopServer(server).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchSiege({
    smoke: process.argv.includes('--smoke'),
    https: process.argv.includes('--https'),
    certKey: process.argv.includes('--rsa') ? 'rsa2048' : 'p256',
  }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
