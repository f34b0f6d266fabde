// Live benchmarks (issue 6, parts 2 and 5): press → WebSocket delta on `/ws` dashboards.
//
// 1. Red to screen: one dashboard connection; background load of 1,000 blue presses/s from the
//    mqtt.js load generator (bench/lib/loadgen.ts, a child process) while probe devices (the light
//    engine, in THIS process) press red at a low rate, each on a household of its own (each a new
//    emergency). Two latencies per probe press, from the press sent (performance.now() just before
//    the PUBLISH is written), read on the same clock in the same process:
//    - "seen": → the household's `receipt` change with status `recording` on the WebSocket, which
//      the server sends when the press arrives, BEFORE its commit (what a screen shows first);
//    - "on record": → the household's `report` change, sent after the group commit's fsync (the
//      press is on disk and its emergency alert raised).
//    Floor, same run: Mosquitto publish → subscriber latency at 1,000 msg/s (bench/lib/relay.ts).
//    Target: "seen" p99 within 10× the floor's p99; "on record" is given beside it, with its ratio.
// 2. Fan-out: N dashboards (100) on `/ws`, the same load: changes ("deltas") and delta frames
//    delivered/s over all connections, and both latencies of the probe presses on every connection.
// 3. The peer of docs/design.md §5 (not in smoke mode): Node-RED 4, one flow `mqtt in` → `websocket out`,
//    on its own Mosquitto (bench/lib/node-red.ts, installed on demand), red to screen at 100/s and
//    1,000/s background load; ours is measured at the same rates.
//
// The server is a child process started as `npm start` starts it (ADMIN_PASSWORD set; the bench
// logs in over HTTP and opens its WebSockets with that cookie and a same-host Origin).
// `node --import tsx bench/live.ts [--smoke] [--red-only] [--cpu-prof DIR]`: with --cpu-prof the server is
// sampled (bench/lib/cpu-profile-preload.mjs) and writes DIR/server-<pid>.cpuprofile when it stops
// (figures are then inflated by the profiler, so nothing is appended to RESULTS.md). --red-only
// measures the floor and red to screen at each rate (~1 min), without the peer or fan-out, and
// only prints (a partial run appended as a full section would read as a missing figure).
//
// This file provisions, starts the server and runs the parts in order; the pieces are in bench/lib/:
// live-plan.ts (rates and windows, the background load), live-dashboard.ts (the /ws client),
// live-probe.ts (one part on our server), commit-metrics.ts (GET /metrics), live-peer.ts (Node-RED)
// and live-report.ts (the printed lines, the verdict and the RESULTS.md section).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DeviceCredential } from '../device-sim/credentials.js';
import { startLightFleet, type LightFleet } from '../device-sim/light.js';
import { addHousehold, provisionDevice } from '../server/app/provision.js';
import { openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { freePort, loginOverHttp, startChildServer, type ChildServer } from '../test/helpers/child-server-core.js';
import { measurePeer } from './lib/live-peer.js';
import { plan, type Plan } from './lib/live-plan.js';
import { runPart, type PartResult } from './lib/live-probe.js';
import { describePart, redToScreenVerdict, resultsSection, type LiveBenchResult } from './lib/live-report.js';
import type { LoadClient } from './lib/loadgen.js';
import { startMosquitto } from './lib/mosquitto.js';
import { waitForQuietMachine } from './lib/proc-stat.js';
import { runRelay, type RelayResult } from './lib/relay.js';
import { appendResults, formatCell } from './lib/results.js';

export type { LiveBenchResult };

const ADMIN_PASSWORD = 'bench-live-admin-password';
const PROFILE_PRELOAD = fileURLToPath(new URL('./lib/cpu-profile-preload.mjs', import.meta.url));

type Provisioned = { load: LoadClient[]; probes: DeviceCredential[] };

/** Background devices (compounds live-0..3) and probe devices (compound live-probe), one household each. */
function provision(dataDir: string, loadDevices: number, probeDevices: number): Provisioned {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    return stores.db.transaction(() => {
      const load = Array.from({ length: loadDevices }, (_, i): LoadClient => {
        const householdId = addHousehold(
          stores,
          { compound: `live-${i % 4}`, building: `${i % 20}`, room: `${i}`, name: `load ${i}` },
          now,
        );
        const { id, secret } = provisionDevice(stores, householdId, now);
        return { clientId: id, username: id, password: secret, topic: `ribbon/${id}/state` };
      });
      const probes = Array.from({ length: probeDevices }, (_, i): DeviceCredential => {
        const householdId = addHousehold(
          stores,
          { compound: 'live-probe', building: `${i % 20}`, room: `p${i}`, name: `probe ${i}` },
          now,
        );
        const { id, secret } = provisionDevice(stores, householdId, now);
        return { id, secret, householdId };
      });
      return { load, probes };
    })();
  } finally {
    stores.db.close();
  }
}

async function measureFloor(p: Plan): Promise<RelayResult> {
  const broker = await startMosquitto();
  try {
    return await runRelay({
      url: broker.url,
      brokerPid: broker.pid,
      processes: 1,
      publishersPerProcess: 1,
      windowPerClient: 50,
      ratePerSec: p.loadRate,
      warmupMs: p.warmupMs,
      durationMs: p.floorMs,
    });
  } finally {
    await broker.stop();
  }
}

export async function benchLive(opts: {
  smoke: boolean;
  log?: (line: string) => void;
  appendResults?: boolean;
  /** Profile the server: `--cpu-prof` into this directory (written when it stops on SIGTERM). */
  cpuProfDir?: string;
  /** Only the floor and red to screen (every rate): no peer, no fan-out, nothing appended. */
  redOnly?: boolean;
}): Promise<LiveBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const p = opts.redOnly === true ? { ...plan(opts.smoke), dashboards: 1 } : plan(opts.smoke);
  if (!opts.smoke) {
    const quiet = await waitForQuietMachine({ maxBusyPercent: 25, timeoutMs: 30_000 });
    if (!quiet.quiet)
      log(
        `warning: machine still ${Math.round(quiet.busyPercent)} % busy after ${Math.round(quiet.waitedMs / 1000)} s: figures are contended`,
      );
  }
  const floor = await measureFloor(p);
  log(
    `floor: Mosquitto at ${Math.round(floor.receivedPerSec)} msg/s, publish→subscriber p50 ${formatCell(floor.receiveLatency.p50)} ms ` +
      `p99 ${formatCell(floor.receiveLatency.p99)} ms max ${formatCell(floor.receiveLatency.max)} ms`,
  );

  const probesPerPart = Math.ceil((p.probeRate * p.probeMs) / 1000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-live-'));
  let server: ChildServer | null = null;
  let fleet: LightFleet | null = null;
  try {
    const otherRates = p.peerRates.filter((r) => r !== p.loadRate);
    const prov = provision(dataDir, p.loadDevices, probesPerPart * (2 + otherRates.length));
    // The peer first, alone on the machine (our server is not started yet); same load clients.
    const peer = opts.redOnly === true ? { runs: [], error: null } : await measurePeer(p, prov.load, log);
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: {
        LOG_LEVEL: 'info',
        ADMIN_PASSWORD,
        MQTT_CONNECT_BURST: '100000',
        MQTT_CONNECT_RATE: '100000',
        // 100 dashboards of one session from one address: the fan-out part, not an attack.
        LIVE_MAX_SOCKETS_PER_SESSION: '1000',
        LIVE_MAX_SOCKETS_PER_ADDRESS: '1000',
        LIVE_MAX_SNAPSHOTS_PER_SESSION: '100000',
        // Node refuses --cpu-prof in NODE_OPTIONS; a preloaded module runs the same sampler.
        ...(opts.cpuProfDir !== undefined
          ? {
              NODE_OPTIONS: `--import ${pathToFileURL(PROFILE_PRELOAD).href}`,
              RIBBON_CPU_PROF_DIR: path.resolve(opts.cpuProfDir),
            }
          : {}),
      },
    });
    const cookie = await loginOverHttp(server.httpUrl, 'admin', ADMIN_PASSWORD);
    fleet = await startLightFleet({
      host: '127.0.0.1',
      port: server.mqttPort,
      devices: prov.probes,
      onWarning: log,
      onError: (i, err) => log(`probe device ${i}: ${err.message}`),
    });
    if (fleet.report.connected !== prov.probes.length)
      throw new Error(`only ${fleet.report.connected}/${prov.probes.length} probe devices connected`);
    const probeHousehold = (i: number): number => (prov.probes[i] as DeviceCredential).householdId;
    const common = { server, cookie, fleet, probeCount: probesPerPart, probeHousehold, loadClients: prov.load, p, log };
    const floorP99 = floor.receiveLatency.p99;
    const redToScreen = await runPart({
      ...common,
      name: 'red to screen',
      dashboards: 1,
      probeOffset: 0,
      loadRate: p.loadRate,
    });
    log(describePart(redToScreen, floorP99));
    log(redToScreenVerdict(redToScreen, floorP99));
    const redToScreenAt: PartResult[] = [];
    for (const [k, rate] of otherRates.entries()) {
      const r = await runPart({
        ...common,
        name: 'red to screen',
        dashboards: 1,
        probeOffset: probesPerPart * (2 + k),
        loadRate: rate,
      });
      log(describePart(r, floorP99));
      redToScreenAt.push(r);
    }
    if (opts.redOnly === true) return { floor, redToScreen, redToScreenAt, fanOut: null, peer };
    const fanOut = await runPart({
      ...common,
      name: 'fan-out',
      dashboards: p.dashboards,
      probeOffset: probesPerPart,
      loadRate: p.loadRate,
    });
    log(describePart(fanOut, floorP99));
    const result = { floor, redToScreen, redToScreenAt, fanOut, peer };
    if (!opts.smoke && opts.appendResults !== false && opts.cpuProfDir === undefined)
      appendResults(await resultsSection(result, fanOut, p));
    return result;
  } finally {
    if (fleet) await fleet.close(3_000);
    if (server) await server.kill('SIGTERM').catch(() => undefined);
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const profAt = process.argv.indexOf('--cpu-prof');
  const cpuProfDir = profAt >= 0 ? process.argv[profAt + 1] : undefined;
  if (profAt >= 0 && (cpuProfDir === undefined || cpuProfDir.startsWith('--')))
    throw new Error('--cpu-prof needs a directory');
  benchLive({
    smoke: process.argv.includes('--smoke'),
    redOnly: process.argv.includes('--red-only'),
    ...(cpuProfDir !== undefined ? { cpuProfDir } : {}),
  }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
