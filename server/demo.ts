import fs from 'node:fs';
import path from 'node:path';
import { main as runSim } from '../device-sim/cli.js';
import type { CredentialsFile } from '../protocol/credentials.js';
import { writeCredentials } from './admin/credentials-file.js';
import { addHousehold, provisionDevice } from './app/provision.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { openDatabase } from './store/db.js';
import { createStores } from './store/index.js';
import { listenFailureMessage } from './start-failure.js';
import { type RunningSystem, startSystem } from './system.js';

const HELP = `npm run demo — a small demo community, alive at once

Seeds (once) 2 compounds with 200 households, each with a device, into DATA_DIR
(default ./data-demo, kept apart from ./data), starts the server like npm start, and runs
simulated buttons against it until Ctrl-C. Device credentials: DATA_DIR/demo-credentials.json.
Environment variables are those of npm start (npm start -- --help).
`;

const COMPOUNDS = ['阳光小区', '幸福里小区'] as const;
const BUILDINGS_PER_COMPOUND = 5;
const HOUSEHOLDS_PER_BUILDING = 20;
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const GIVEN = ['桂兰', '秀英', '淑珍', '玉兰', '建国', '德明', '凤英', '志强', '素芬', '国庆'];

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  // All demo devices connect from 127.0.0.1: let the whole community in at once.
  const config = loadConfig({ DATA_DIR: './data-demo', MQTT_CONNECT_BURST: '1000', ...process.env });
  const credentialsPath = path.join(config.dataDir, 'demo-credentials.json');
  if (!fs.existsSync(credentialsPath)) await seed(config.dataDir, credentialsPath);

  const log = createLogger(config.logLevel);
  let system: RunningSystem;
  try {
    system = await startSystem(config, { log });
  } catch (err) {
    // Everything is stopped again; the port's variable named (exit 1 below).
    const reason = listenFailureMessage(err, config) ?? (err instanceof Error ? err.message : String(err));
    throw new Error(`could not start: ${reason}`);
  }
  const url = `mqtt://127.0.0.1:${system.mqttAddress?.port ?? config.mqttPort}`;
  log.info(
    { http: `http://${config.host}:${system.httpAddress.port}`, credentials: credentialsPath },
    'demo running; Ctrl-C stops it',
  );

  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  // 30 presses an hour per device: about 100 presses a minute across the community.
  const code = await runSim(
    ['--credentials', credentialsPath, '--url', url, '--presses-per-hour', '30', '--heartbeat', '30'],
    {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      signal: stop.signal,
    },
  );
  await system.stop();
  return code;
}

async function seed(dataDir: string, credentialsPath: string): Promise<void> {
  const stores = createStores(openDatabase(dataDir));
  const file: CredentialsFile = { devices: [] };
  const now = Date.now();
  try {
    let n = 0;
    for (const compound of COMPOUNDS) {
      for (let b = 1; b <= BUILDINGS_PER_COMPOUND; b++) {
        for (let h = 0; h < HOUSEHOLDS_PER_BUILDING; h++) {
          const room = `${Math.floor(h / 4) + 1}0${(h % 4) + 1}`;
          const name = `${SURNAMES[n % SURNAMES.length]}${GIVEN[Math.floor(n / SURNAMES.length) % GIVEN.length]}`;
          const householdId = addHousehold(stores, { compound, building: `${b}号楼`, room, name }, now);
          file.devices.push({ ...provisionDevice(stores, householdId, now), householdId });
          n += 1;
        }
      }
    }
  } finally {
    stores.db.close();
  }
  await writeCredentials(credentialsPath, file);
  process.stdout.write(`seeded ${file.devices.length} households with devices into ${dataDir}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
