// Connections benchmark: N light devices (device-sim/light.ts) connected with auth and 60 s
// keepalive to the server run as `npm start` runs it; connect rate, server RSS per device, server
// CPU during the connect storm and idle afterwards. Targets (issue 6): ≤ 0.5 GB RSS and ≥ 1,000
// connects/s at 15,000 devices. `node --import tsx bench/connections.ts [--smoke]`.
//
// The light engine runs in THIS process (one socket per device: 15,000 + a few files fits under
// the ~20,000 open files a process may hold); the server is a child process with its own limit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { DeviceCredential } from '../device-sim/credentials.js';
import { startLightFleet, type LightConnectReport, type LightFleet } from '../device-sim/light.js';
import { addHousehold, provisionDevice } from '../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { freePort, startChildServer, type ChildServer } from '../test/helpers/child-server-core.js';
import { cpuPercentBetween, readProcessCpu, readProcessRss } from './lib/proc-stat.js';
import { appendResults, formatCell } from './lib/results.js';

export const SOURCE_ADDRESSES = [
  '127.0.0.2',
  '127.0.0.3',
  '127.0.0.4',
  '127.0.0.5',
  '127.0.0.6',
  '127.0.0.7',
  '127.0.0.8',
  '127.0.0.9',
];
const KEEPALIVE_SEC = 60;
/** Handshakes in flight at once from the light engine. */
export const CONNECT_CONCURRENCY = 2000;
const MB = 1024 * 1024;

type Plan = { devices: number; idleMs: number; settleMs: number; connectTimeoutMs: number };

function plan(smoke: boolean): Plan {
  return smoke
    ? { devices: 200, idleMs: 1_000, settleMs: 500, connectTimeoutMs: 20_000 }
    : { devices: 15_000, idleMs: 10_000, settleMs: 2_000, connectTimeoutMs: 60_000 };
}

/** N households with one device each, in one transaction, straight into the data dir. */
function provision(dataDir: string, n: number): DeviceCredential[] {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    return stores.db.transaction(() =>
      Array.from({ length: n }, (_, i) => {
        const householdId = addHousehold(
          stores,
          { compound: `conn-${i % 10}`, building: `${i % 100}`, room: `${i}`, name: `conn ${i}` },
          now,
        );
        const { id, secret } = provisionDevice(stores, householdId, now);
        return { id, secret, householdId };
      }),
    )();
  } finally {
    stores.db.close();
  }
}

function countOnline(dataDir: string): number {
  const db = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM devices WHERE online = 1').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

export type ConnectionsResult = {
  devices: number;
  connect: LightConnectReport;
  provisionMs: number;
  online: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerDeviceBytes: number;
  serverCpuStormPercent: number;
  serverCpuIdlePercent: number;
  generatorCpuStormPercent: number;
  idleMs: number;
  stillConnected: number;
};

export async function benchConnections(opts: {
  smoke: boolean;
  log?: (line: string) => void;
  devices?: number;
  connectConcurrency?: number;
  appendResults?: boolean;
}): Promise<ConnectionsResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const p = plan(opts.smoke);
  const n = opts.devices ?? p.devices;
  const concurrency = opts.connectConcurrency ?? CONNECT_CONCURRENCY;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-conn-'));
  let server: ChildServer | null = null;
  let fleet: LightFleet | null = null;
  try {
    const t0 = performance.now();
    const creds = provision(dataDir, n);
    const provisionMs = performance.now() - t0;
    log(`provisioned ${n} devices in ${Math.round(provisionMs)} ms (one transaction)`);
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: {
        LOG_LEVEL: 'info',
        MQTT_CONNECT_BURST: '1000000',
        MQTT_CONNECT_RATE: '1000000',
        MQTT_MAX_CONNECTIONS: '19000',
      },
      readyTimeoutMs: 60_000,
    });
    const pid = server.pid;
    await new Promise((r) => setTimeout(r, p.settleMs));
    const rssBefore = readProcessRss(pid) ?? Number.NaN;

    const cpuBefore = readProcessCpu(pid);
    const genBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const errors: string[] = [];
    fleet = await startLightFleet({
      host: '127.0.0.1',
      port: server.mqttPort,
      devices: creds,
      localAddresses: SOURCE_ADDRESSES,
      keepaliveSec: KEEPALIVE_SEC,
      connectTimeoutMs: p.connectTimeoutMs,
      connectConcurrency: concurrency,
      onError: (_i, err) => {
        if (errors.length < 5) errors.push(err.message);
      },
      onWarning: (m) => log(`warning: ${m}`),
    });
    const cpuAfter = readProcessCpu(pid);
    const gen = process.cpuUsage(genBefore);
    const stormWallMs = performance.now() - wallBefore;
    const report = fleet.report;
    const serverCpuStorm = cpuBefore && cpuAfter ? cpuPercentBetween(cpuBefore, cpuAfter) : Number.NaN;
    const generatorCpuStorm = ((gen.user + gen.system) / 1000 / stormWallMs) * 100;
    log(
      `connected ${report.connected}/${n} in ${Math.round(report.durationMs)} ms: ${Math.round(report.connectsPerSec)} connects/s, ` +
        `CONNACK p50 ${formatCell(report.connectMs.p50)} ms p99 ${formatCell(report.connectMs.p99)} ms; ` +
        `server ${Math.round(serverCpuStorm)} % CPU, generator ${Math.round(generatorCpuStorm)} %`,
    );
    if (report.failed > 0)
      log(
        `failures: ${report.failed}, e.g. ${report.errors
          .slice(0, 3)
          .map((e) => e.message)
          .join('; ')}`,
      );

    // Online in the database (the server marks it from the connection; writes may lag the CONNACK).
    let online = 0;
    await waitFor(() => (online = countOnline(dataDir)) >= report.connected, opts.smoke ? 10_000 : 30_000);

    // Idle with every connection open: keepalive only (a PINGREQ per device per 60 s).
    const idleBefore = readProcessCpu(pid);
    await new Promise((r) => setTimeout(r, p.idleMs));
    const idleAfter = readProcessCpu(pid);
    const serverCpuIdle = idleBefore && idleAfter ? cpuPercentBetween(idleBefore, idleAfter) : Number.NaN;
    const rssAfter = readProcessRss(pid) ?? Number.NaN;
    const stillConnected = fleet.connectedCount();
    const rssPerDevice = (rssAfter - rssBefore) / Math.max(1, report.connected);
    log(
      `server RSS ${(rssBefore / MB).toFixed(0)} MB → ${(rssAfter / MB).toFixed(0)} MB (${(rssPerDevice / 1024).toFixed(1)} KB/device); ` +
        `idle ${Math.round(p.idleMs / 1000)} s: server ${formatCell(serverCpuIdle)} % CPU; online in DB ${online}; still connected ${stillConnected}`,
    );
    if (errors.length > 0) log(`errors: ${errors.join('; ')}`);

    const result: ConnectionsResult = {
      devices: n,
      connect: report,
      provisionMs,
      online,
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      rssPerDeviceBytes: rssPerDevice,
      serverCpuStormPercent: serverCpuStorm,
      serverCpuIdlePercent: serverCpuIdle,
      generatorCpuStormPercent: generatorCpuStorm,
      idleMs: p.idleMs,
      stillConnected,
    };
    if (!opts.smoke && opts.appendResults !== false) appendResults(section(result, concurrency));
    return result;
  } finally {
    if (fleet) await fleet.close(opts.smoke ? 3_000 : 15_000);
    if (server) await server.kill('SIGTERM').catch(() => undefined);
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function section(r: ConnectionsResult, concurrency: number) {
  const saturated = [
    r.serverCpuStormPercent >= 95 ? 'server' : '',
    r.generatorCpuStormPercent >= 95 ? 'generator (light engine)' : '',
  ].filter(Boolean);
  return {
    title: `Connections: ${r.devices.toLocaleString('en-US')} light devices with auth and ${KEEPALIVE_SEC} s keepalive`,
    method:
      `${r.devices.toLocaleString('en-US')} devices provisioned in one transaction into a fresh data dir, then the server started ` +
      'as `npm start` does (one Node process, MQTT_CONNECT_BURST/RATE 1,000,000, MQTT_MAX_CONNECTIONS 19,000). ' +
      'The light engine (device-sim/light.ts: net + mqtt-packet, one socket, counter and timer per device) ran in the ' +
      `benchmark process, from source addresses ${SOURCE_ADDRESSES[0]}–${SOURCE_ADDRESSES.at(-1)}, at most ${concurrency} handshakes at once, unpaced. ` +
      'Each CONNECT: MQTT 3.1.1, clean=false, username/secret (checked against the SHA-256 in SQLite), will on `online`. ' +
      '"connects/s" = devices with CONNACK 0 / time from the first socket to the last CONNACK. RSS = VmRSS of the server ' +
      `process before the storm and after ${r.idleMs / 1000} s idle with all connected; per device = difference / devices. ` +
      'CPU % = CPU time / wall time, 100 = one core.',
    rows: [
      {
        devices: r.devices,
        connected: r.connect.connected,
        'online in DB': r.online,
        'connects/s': Math.round(r.connect.connectsPerSec),
        'CONNACK p50 ms': r.connect.connectMs.p50,
        'CONNACK p99 ms': r.connect.connectMs.p99,
        'RSS before MB': Math.round(r.rssBeforeBytes / MB),
        'RSS after MB': Math.round(r.rssAfterBytes / MB),
        'KB / device': Number((r.rssPerDeviceBytes / 1024).toFixed(1)),
        'server CPU % storm': Math.round(r.serverCpuStormPercent),
        'generator CPU % storm': Math.round(r.generatorCpuStormPercent),
        'server CPU % idle': Number(r.serverCpuIdlePercent.toFixed(1)),
      },
    ],
    notes: [
      `Targets: all ${r.devices.toLocaleString('en-US')} connected (${r.connect.connected === r.devices ? 'met' : `MISSED: ${r.devices - r.connect.connected} never connected`}), ` +
        `≤ 512 MB RSS (${r.rssAfterBytes <= 512 * MB ? 'met' : 'MISSED'}: ${Math.round(r.rssAfterBytes / MB)} MB), ` +
        `≥ 1,000 connects/s (${r.connect.connectsPerSec >= 1000 ? 'met' : 'MISSED'}: ${Math.round(r.connect.connectsPerSec)}/s).`,
      `At 100 % during the storm: ${saturated.join(', ') || 'none'}.`,
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchConnections({ smoke: process.argv.includes('--smoke') }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
