import { planDistrictDay } from '../device-sim/district-day.js';
import { ConfigError, loadConfig } from './config.js';
import { ensureDemoData } from './demo/data-dir.js';
import { connectDemoFleet } from './demo/play.js';
import { DEMO_TIME_ZONE } from './demo/seed.js';
import { startVolunteers } from './demo/volunteers.js';
import { localDate, startOfLocalDay, addDays } from './domain/zoned-time.js';
import { createLogger } from './log.js';
import { listenFailureMessage } from './start-failure.js';
import { type RunningSystem, startSystem } from './system.js';

const HELP = `npm run demo — a demo district, a second server beside npm start

A second server with its own database, its own admin password and its own ports: it seeds
(once) a district into DATA_DIR (default ./data-demo, apart from ./data) — 于洪区, 2 streets,
4 communities, 12 compounds, about 2,000 households with a device each, the people who answer
(a volunteer per building, duty rosters of tier 1 and 2 per compound, a duty officer per
community) and the demo volunteer login — then plays a believable day until Ctrl-C:
most households check in (blue) in the morning and some in the evening; about 1% are silent
(missed check-ins, as the rules make them); reds are rare (a few an hour across the district)
and answered by simulated volunteers through the HTTP API as the demo volunteer (acknowledged
within 20–90 s, arrived within minutes, resolved with a note); yellows are claimed and
completed; a few devices go offline for hours.

The first admin's password is printed at the first start (as npm start does; ADMIN_PASSWORD
chooses it), the demo volunteer's at the first start too (kept in DATA_DIR/demo.json).

Options:
  --speed N   play the day and the volunteers N times faster (1-3600, default 1: real time);
              the server's own rules keep the clock's time (escalation after 60 s, missed
              check-ins when due)
  -h, --help  this text

Environment variables are those of npm start (npm start -- --help), with other defaults:
  PORT 8090, MQTT_PORT 1893, DATA_DIR ./data-demo, MQTT_CONNECT_BURST and MQTT_CONNECT_RATE 5000
  (every demo device connects from 127.0.0.1).
`;

/** The demo's own defaults: it runs beside npm start (8080, 1883, ./data). */
export const DEMO_DEFAULTS = {
  PORT: '8090',
  MQTT_PORT: '1893',
  DATA_DIR: './data-demo',
  MQTT_CONNECT_BURST: '5000',
  MQTT_CONNECT_RATE: '5000',
} as const;

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): { help: boolean; speed: number } {
  let speed = 1;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--speed') {
      const value = Number(argv[++i]);
      if (!(value >= 1 && value <= 3600)) throw new UsageError('--speed needs a number from 1 to 3600');
      speed = value;
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg)} (npm run demo -- --help)`);
  }
  return { help, speed };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const config = loadConfig({ ...DEMO_DEFAULTS, ...process.env });
  const log = createLogger(config.logLevel);
  const data = await ensureDemoData(config.dataDir, Date.now());
  if (data.seeded)
    process.stdout.write(
      `seeded a district of ${data.devices.length} households with devices into ${config.dataDir}\n`,
    );

  let system: RunningSystem;
  try {
    system = await startSystem(config, { log });
  } catch (err) {
    // Everything is stopped again; the port's variable named (exit 1 below).
    const reason = listenFailureMessage(err, config) ?? (err instanceof Error ? err.message : String(err));
    throw new Error(`could not start: ${reason}`);
  }
  // The volunteers and the buttons reach the server where it listens (loopback for a wildcard).
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const origin = (scheme: string, port: number): string =>
    `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const http = origin(config.tls ? 'https' : 'http', system.httpAddress.port);
  const mqtt = config.mqttUrl ?? origin('mqtt', system.mqttAddress?.port ?? config.mqttPort);
  // Like the first admin's: shown once the server listens (a start that fails shows no password).
  if (data.seeded)
    process.stdout.write(
      `\nDemo volunteer (the simulated volunteers act as this user). Username: ${data.volunteer.username}  Password: ${data.volunteer.password}\n(kept in ${config.dataDir}/demo.json)\n\n`,
    );
  const out = (line: string): void => {
    process.stdout.write(
      `${new Date().toLocaleTimeString('zh-CN', { timeZone: DEMO_TIME_ZONE, hour12: false })} ${line}\n`,
    );
  };
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  try {
    const volunteers = await startVolunteers({
      baseUrl: http,
      ...data.volunteer,
      speed: args.speed,
      seed: data.seed,
      report: out,
    });
    log.info({ http, households: data.devices.length, speed: args.speed }, 'demo running; Ctrl-C stops it');
    try {
      await playDays(mqtt, data, args.speed, stop.signal, out);
    } finally {
      await volunteers.stop();
    }
  } finally {
    await system.stop();
  }
  return 0;
}

/** Day after day: from now to the next local midnight (with today's earlier check-ins first), then whole days. */
async function playDays(
  url: string,
  data: Awaited<ReturnType<typeof ensureDemoData>>,
  speed: number,
  signal: AbortSignal,
  out: (line: string) => void,
): Promise<void> {
  const fleet = await connectDemoFleet(data.devices, { url, report: out });
  out(`${data.devices.length} buttons connected`);
  try {
    let start = Date.now();
    while (!signal.aborted) {
      const today = localDate(start, DEMO_TIME_ZONE);
      const localMidnight = startOfLocalDay(today, DEMO_TIME_ZONE);
      const durationMs = startOfLocalDay(addDays(today, 1), DEMO_TIME_ZONE) - start;
      const devices = data.devices.length;
      // Each calendar day its own plan (a restart the same day plays that day again).
      const seed = (data.seed + Math.floor(localMidnight / 86_400_000)) >>> 0;
      const plan = planDistrictDay({ devices, seed, silentSeed: data.seed, start, localMidnight, durationMs });
      out(`${today}: ${plan.length} actions planned for ${devices} buttons`);
      const playing = fleet.play(plan, speed);
      const onAbort = (): void => void playing.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      await playing.finished;
      signal.removeEventListener('abort', onAbort);
      await playing.stop();
      out(`${today}: sent ${JSON.stringify(playing.sent)}`);
      start += durationMs;
    }
  } finally {
    await fleet.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof ConfigError || err instanceof UsageError ? 2 : 1);
  },
);
