// External-broker benchmark: durable presses/s through Mosquitto (MQTT_URL) with one server
// connection and with MQTT_CONNECTIONS sharing one subscription, beside the embedded broker and
// the floor (Mosquitto relaying QoS 1 between two clients), all in one run.
// `npm run bench:external [-- --smoke]`.
//
// Through Mosquitto a device's PUBACK comes from Mosquitto, not from our commit, so the durable
// rate is read off the database: generators send a fixed number of presses as fast as Mosquitto
// takes them, and the rate is the presses stored over the time from the first stored row to the
// last (the backlog Mosquitto builds is drained at the server's rate, which is what is measured).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { DB_FILE_NAME } from '../server/store/db.js';
import { freePort, startChildServer, type ChildServer } from '../test/helpers/child-server-core.js';
import { NO_CONNECT_LIMIT, provision } from './ingest.js';
import { runLoad } from './lib/loadgen.js';
import { mosquittoVersion, startMosquitto } from './lib/mosquitto.js';
import { runRelay } from './lib/relay.js';
import { appendResults } from './lib/results.js';

type Plan = { devices: number; presses: number; window: number; connections: number[]; floorMs: number };

function plan(smoke: boolean): Plan {
  return smoke
    ? { devices: 8, presses: 400, window: 10, connections: [1, 4], floorMs: 300 }
    : { devices: 200, presses: 60_000, window: 50, connections: [1, 4, 16, 32], floorMs: 6_000 };
}

export type DrainRow = { run: string; durablePerSec: number; stored: number; sent: number; drainMs: number };

/** Presses stored over time, read from the database by a second connection every 50 ms. */
async function watchStored(file: string, target: number, timeoutMs: number) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const count = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM events WHERE source = 'device'");
  let first: number | null = null;
  let last = 0;
  let stored = 0;
  const deadline = Date.now() + timeoutMs;
  try {
    while (stored < target && Date.now() < deadline) {
      const n = count.get()?.n ?? 0;
      const t = performance.now();
      if (n > 0 && first === null) first = t;
      if (n > stored) last = t;
      stored = n;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    db.close();
  }
  return { stored, first: first ?? last, last };
}

async function measure(
  mode: { kind: 'embedded' } | { kind: 'mosquitto'; connections: number },
  p: Plan,
  log: (line: string) => void,
): Promise<DrainRow> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-bench-external-'));
  let server: ChildServer | null = null;
  const broker = mode.kind === 'mosquitto' ? await startMosquitto() : null;
  try {
    const clients = provision(dataDir, p.devices);
    server = await startChildServer({
      dataDir,
      mqttPort: await freePort(),
      env: {
        LOG_LEVEL: 'info',
        ...NO_CONNECT_LIMIT,
        ...(broker && mode.kind === 'mosquitto'
          ? { MQTT_URL: broker.url, MQTT_CLIENT_ID: 'ribbon-server', MQTT_CONNECTIONS: String(mode.connections) }
          : {}),
      },
    });
    const url = broker?.url ?? server.mqttUrl;
    const watching = watchStored(path.join(dataDir, DB_FILE_NAME), p.presses, 600_000);
    const load = await runLoad({
      url,
      clients,
      processes: p.devices >= 100 ? 2 : 1,
      windowPerClient: p.window,
      warmupMs: 0,
      durationMs: 600_000,
      count: p.presses,
      payload: 'ribbon-state',
    });
    const seen = await watching;
    const drainMs = seen.last - seen.first;
    const run = mode.kind === 'embedded' ? 'embedded broker' : `Mosquitto, MQTT_CONNECTIONS=${mode.connections}`;
    const row = {
      run,
      durablePerSec: drainMs > 0 ? (seen.stored * 1000) / drainMs : Number.NaN,
      stored: seen.stored,
      sent: load.acked,
      drainMs,
    };
    log(
      `${run}: ${Math.round(row.durablePerSec)} durable presses/s (${seen.stored} of ${load.acked} in ${Math.round(drainMs)} ms)`,
    );
    if (seen.stored < load.acked) throw new Error(`${run}: ${load.acked} PUBACKed but ${seen.stored} stored`);
    return row;
  } finally {
    if (server) await server.kill('SIGKILL').catch(() => undefined);
    await broker?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchExternal(opts: { smoke: boolean; log?: (line: string) => void }) {
  const log = opts.log ?? ((line: string) => console.log(line));
  const p = plan(opts.smoke);
  const broker = await startMosquitto();
  const floor = await runRelay({
    url: broker.url,
    brokerPid: broker.pid,
    processes: 1,
    publishersPerProcess: 1,
    windowPerClient: 50,
    warmupMs: opts.smoke ? 0 : 1_000,
    durationMs: p.floorMs,
  }).finally(() => broker.stop());
  log(`floor: Mosquitto relays ${Math.round(floor.receivedPerSec)} msg/s`);
  const rows: DrainRow[] = [await measure({ kind: 'embedded' }, p, log)];
  for (const connections of p.connections) rows.push(await measure({ kind: 'mosquitto', connections }, p, log));
  const version = await mosquittoVersion();
  const section = {
    title: `External broker: durable presses through Mosquitto with shared subscriptions${opts.smoke ? ' (smoke)' : ''}`,
    method:
      `${p.devices} provisioned devices send ${p.presses.toLocaleString('en-US')} QoS 1 presses in all, as fast as the broker ` +
      `PUBACKs them (at most ${p.window} in flight each, mqtt.js generators, bench/lib/loadgen.ts). Through Mosquitto ${version} ` +
      `(nodelay, no persistence, no queue or in-flight limits) the server (as \`npm start\` runs it, MQTT_URL) consumes with ` +
      `MQTT_CONNECTIONS connections sharing \`$share/ribbon/…\`; the embedded broker run is the same load against ` +
      `\`npm start\`'s own broker. "durable/s" = presses stored / (time of the last stored row − time of the first), ` +
      `read by a second SQLite connection every 50 ms (every press PUBACKed was found stored). Floor, same run: ` +
      `Mosquitto relaying 100-byte QoS 1 messages, one publisher to one subscriber (bench/lib/relay.ts).`,
    rows: [
      ...rows.map((r) => ({
        run: r.run,
        'durable/s': Math.round(r.durablePerSec),
        'ratio to floor': Number((r.durablePerSec / floor.receivedPerSec).toFixed(2)),
        'stored / sent': `${r.stored} / ${r.sent}`,
        'drain ms': Math.round(r.drainMs),
      })),
      {
        run: 'floor: Mosquitto relay',
        'durable/s': Math.round(floor.receivedPerSec),
        'ratio to floor': 1,
        'stored / sent': '(none: no disk)',
        'drain ms': p.floorMs,
      },
    ],
    notes: [],
  };
  if (!opts.smoke) appendResults(section);
  return { rows, floor, section };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchExternal({ smoke: process.argv.includes('--smoke') }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
