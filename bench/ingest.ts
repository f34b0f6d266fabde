// Ingest benchmark: durable presses/s through the embedded broker (each press committed to
// SQLite, synchronous=FULL, before its PUBACK), publish→PUBACK latency, for several group-commit
// batch limits; beside the floor measured in the same run: Mosquitto relaying QoS 1 messages
// between two clients with nothing written to disk. `npm run bench:ingest [-- --smoke]`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { addHousehold, provisionDevice } from '../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../server/store/db.js';
import { createStores } from '../server/store/index.js';
import { freePort, startChildServer, type ChildServer } from '../test/helpers/child-server-core.js';
import { runLoad, saturatedProcesses, type LoadClient, type LoadResult } from './lib/loadgen.js';
import { startMosquitto, mosquittoVersion } from './lib/mosquitto.js';
import { runRelay, type RelayResult } from './lib/relay.js';
import { appendResults, formatCell } from './lib/results.js';

type Run = {
  batchMax: number;
  devices: number;
  processes: number;
  window: number;
  warmupMs: number;
  durationMs: number;
  ratePerSec?: number;
};

function plan(smoke: boolean): { runs: Run[]; floor: { warmupMs: number; durationMs: number } } {
  if (smoke) {
    return {
      runs: [{ batchMax: 512, devices: 4, processes: 1, window: 10, warmupMs: 0, durationMs: 400 }],
      floor: { warmupMs: 0, durationMs: 300 },
    };
  }
  const base = { devices: 200, processes: 2, window: 50, warmupMs: 1_000, durationMs: 6_000 };
  return {
    runs: [
      ...[8, 64, 512, 4096].map((batchMax) => ({ batchMax, ...base })),
      // Latency below saturation: at full speed PUBACK time is queueing (Little's law).
      { ...base, batchMax: 512, ratePerSec: 1_000 },
      { ...base, batchMax: 512, ratePerSec: 10_000 },
    ],
    floor: { warmupMs: 1_000, durationMs: 6_000 },
  };
}

function label(run: Run): string {
  return `batch ≤ ${run.batchMax}${run.ratePerSec !== undefined ? `, ${run.ratePerSec.toLocaleString('en-US')}/s` : ', full speed'}`;
}

/** The broker's connect rate limit lifted: a benchmark's devices all connect at once. */
export const NO_CONNECT_LIMIT = { MQTT_CONNECT_BURST: '100000', MQTT_CONNECT_RATE: '100000' } as const;

/** Households with one device each in a new database; the devices' MQTT logins and state topics. */
export function provision(dataDir: string, n: number): LoadClient[] {
  const stores = createStores(openDatabase(dataDir));
  try {
    const now = Date.now();
    return Array.from({ length: n }, (_, i) => {
      const householdId = addHousehold(
        stores,
        { compound: `bench-${i % 4}`, building: `${i % 20}`, room: `${i}`, name: `bench ${i}` },
        now,
      );
      const { id, secret } = provisionDevice(stores, householdId, now);
      return { clientId: id, username: id, password: secret, topic: `ribbon/${id}/state` };
    });
  } finally {
    stores.db.close();
  }
}

type IngestRow = { run: Run; load: LoadResult; stored: number; server: ChildServer['pid'] };

async function measureIngest(run: Run, log: (line: string) => void): Promise<IngestRow> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-ingest-'));
  let server: ChildServer | null = null;
  try {
    const clients = provision(dataDir, run.devices);
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: {
        LOG_LEVEL: 'info',
        INGEST_BATCH_MAX: String(run.batchMax),
        ...NO_CONNECT_LIMIT,
      },
    });
    const load = await runLoad({
      url: server.mqttUrl,
      clients,
      processes: run.processes,
      windowPerClient: run.window,
      warmupMs: run.warmupMs,
      durationMs: run.durationMs,
      ...(run.ratePerSec !== undefined ? { ratePerSec: run.ratePerSec } : {}),
      payload: 'ribbon-state',
      watch: { server: server.pid },
    });
    await server.kill('SIGTERM');
    const db = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true });
    const stored = (db.prepare("SELECT count(*) AS n FROM events WHERE source = 'device'").get() as { n: number }).n;
    db.close();
    log(
      `${label(run)}: ${Math.round(load.ackedPerSec)} durable presses/s, PUBACK p50 ${formatCell(load.pubackLatency.p50)} ms ` +
        `p99 ${formatCell(load.pubackLatency.p99)} ms; acked ${load.acked}, stored ${stored}; server ` +
        `${Math.round(load.watched[0]?.cpuPercent ?? Number.NaN)} %, generators ${load.generators.map((g) => Math.round(g.cpuPercent)).join('/')} %`,
    );
    if (stored < load.acked) throw new Error(`acked ${load.acked} presses but only ${stored} are on disk`);
    return { run, load, stored, server: server.pid };
  } finally {
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measureFloor(opts: { warmupMs: number; durationMs: number }): Promise<RelayResult> {
  const broker = await startMosquitto();
  try {
    return await runRelay({
      url: broker.url,
      brokerPid: broker.pid,
      processes: 1,
      publishersPerProcess: 1,
      windowPerClient: 50,
      ...opts,
    });
  } finally {
    await broker.stop();
  }
}

export async function benchIngest(opts: { smoke: boolean; log?: (line: string) => void }) {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { runs, floor: floorPlan } = plan(opts.smoke);
  const floor = await measureFloor(floorPlan);
  log(
    `floor: Mosquitto relays ${Math.round(floor.receivedPerSec)} msg/s (generator ${Math.round(floor.generators[0]?.cpuPercent ?? 0)} %, broker ${Math.round(floor.brokerCpuPercent)} %)`,
  );
  const rows: IngestRow[] = [];
  for (const run of runs) rows.push(await measureIngest(run, log));
  const fullSpeed = rows.filter((r) => r.run.ratePerSec === undefined);
  const best = fullSpeed.reduce((a, b) => (b.load.ackedPerSec > a.load.ackedPerSec ? b : a));
  const ratio = best.load.ackedPerSec / floor.receivedPerSec;
  const version = await mosquittoVersion();
  const section = {
    title: `Ingest: durable presses through the embedded broker${opts.smoke ? ' (smoke)' : ''}`,
    method:
      `The server started as \`npm start\` does (one Node process: aedes + SQLite WAL, synchronous=FULL), ` +
      `${runs[0]?.devices} provisioned devices publishing QoS 1 \`{"state":"blue","seq":N,"boot":B}\` on their own ` +
      `\`ribbon/{id}/state\` from ${runs[0]?.processes} mqtt.js generator process(es) (bench/lib/loadgen.ts), at most ` +
      `${runs[0]?.window} presses awaiting PUBACK per device; warm-up ${runs[0]?.warmupMs} ms, measured ${runs[0]?.durationMs} ms. ` +
      `"durable/s" = PUBACKs received in the window / its length: each PUBACK is sent only after the press is committed ` +
      `(checked: rows on disk ≥ presses acked). One full-speed run per INGEST_BATCH_MAX, where PUBACK time is ` +
      `mostly queueing (${runs[0]?.devices} × ${runs[0]?.window} presses in flight); then fixed-rate runs for latency. Floor, same run: Mosquitto ${version} ` +
      `(nodelay, no persistence) relaying 100-byte QoS 1 messages from one publisher to one subscriber (bench/lib/relay.ts). ` +
      `CPU % = CPU time / wall time in the window, 100 = one core.`,
    rows: [
      ...rows.map(({ run, load, stored }) => ({
        run: `ours, ${label(run)}`,
        'msg/s': Math.round(load.ackedPerSec),
        'ratio to floor': Number((load.ackedPerSec / floor.receivedPerSec).toFixed(2)),
        'PUBACK p50 ms': load.pubackLatency.p50,
        'PUBACK p99 ms': load.pubackLatency.p99,
        'acked / stored': `${load.acked} / ${stored}`,
        'server CPU %': Math.round(load.watched[0]?.cpuPercent ?? Number.NaN),
        'generator CPU %': load.generators.map((g) => Math.round(g.cpuPercent)).join(' / '),
        'others CPU %': Math.round(load.machine.othersPercent),
        limit: saturatedProcesses(load).join(', ') || 'none at 100 %',
      })),
      {
        run: 'floor: Mosquitto relay',
        'msg/s': Math.round(floor.receivedPerSec),
        'ratio to floor': 1,
        'PUBACK p50 ms': floor.pubackLatency.p50,
        'PUBACK p99 ms': floor.pubackLatency.p99,
        'acked / stored': `${floor.acked} / (none: no disk)`,
        'server CPU %': Math.round(floor.brokerCpuPercent),
        'generator CPU %': floor.generators.map((g) => Math.round(g.cpuPercent)).join(' / '),
        'others CPU %': Math.round(floor.machine.othersPercent),
        limit: saturatedProcesses(floor).join(', ') || 'none at 100 %',
      },
    ],
    notes: [
      `Best: **${Math.round(best.load.ackedPerSec).toLocaleString('en-US')} durable presses/s** (batch ≤ ${best.run.batchMax}), ` +
        `**${ratio.toFixed(2)}×** Mosquitto's relay rate (target: 20,000/s and ≥ 0.33×).`,
    ],
  };
  if (!opts.smoke) appendResults(section);
  return { rows, floor, best, ratio, section };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchIngest({ smoke: process.argv.includes('--smoke') }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
