import { type Config, ConfigError, ENV_HELP, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { listenFailureMessage } from './start-failure.js';
import { composeLanes, type RunningLanes, superviseThisThread } from './lanes/lanes.js';

const HELP = `彩带之约 · Ribbon Pact server

Usage: npm start            (one process: the safety core on its own thread, the people side on the main one)

Environment variables (all optional):
${ENV_HELP.map(([name, text]) => `  ${name.padEnd(30)} ${text}`).join('\n')}

Provision devices with \`npm run admin -- --help\`; see docs/protocol.md for the device contract.
`;

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ribbon-pact: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // Either lane failing ends the process (a supervisor restarts it), never half a system: the
  // people side here (an error nothing caught), the safety core on its own thread.
  superviseThisThread(log);
  const onCrash = (err: Error) => {
    log.fatal({ err }, 'the safety core stopped unexpectedly; ending the process so it is restarted whole');
    process.exit(70);
  };
  // Built first, then listening: the device side, the scheduler, then HTTP. If a port cannot be
  // opened, listen() has stopped everything again: say which, and exit non-zero (a supervisor
  // or the person at the terminal must see that nothing runs).
  const composed = await composeLanes(config, { log, onCrash });
  let system: RunningLanes;
  try {
    system = await composed.listen();
  } catch (err) {
    const message = listenFailureMessage(err, config);
    if (message === null) throw err;
    log.fatal({ err }, message);
    process.stderr.write(`ribbon-pact: could not start: ${message}\n`);
    process.exit(1);
  }
  log.info(
    {
      http: `http://${system.httpAddress.address}:${system.httpAddress.port}`,
      httpPort: system.httpAddress.port,
      mqttPort: system.mqttAddress?.port ?? null,
      mqttsPort: system.mqttsAddress?.port ?? null,
      mqttUrl: config.mqttUrl === null ? null : '(external)',
      dataDir: config.dataDir,
    },
    'ribbon-pact listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    system.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`ribbon-pact: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
