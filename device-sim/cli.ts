// The simulator's command line: `npm run sim -- --credentials devices.json`. Each device sends
// heartbeats with a slowly draining battery and presses at random, one printed line per press.
// This file reads the arguments and the credentials file and hands over to one of three runs:
// cli-run-mqttjs.ts (the default), cli-run-light.ts (--engine light), cli-run-profile.ts (--profile).
import { randomInt } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type CliArgs, DEFAULT_PROFILE_SECONDS, DEFAULT_URL, parseCliArgs, UsageError, USAGE } from './cli-args.js';
import type { CliIo } from './cli-report.js';
import { runLight } from './cli-run-light.js';
import { runMqttjs } from './cli-run-mqttjs.js';
import { runProfilePlan } from './cli-run-profile.js';
import { type CredentialsFile, loadCredentials } from './credentials.js';
import { estimatePlanSize, MAX_PLAN_ACTIONS } from './profiles.js';

export { type Engine, ENGINES, parseCliArgs, USAGE } from './cli-args.js';
export type { AckedPress, CliIo, ProfileRunResult } from './cli-report.js';

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the CLI; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let args: CliArgs | 'help';
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`error: ${err.message}`);
    io.err('Run with --help for usage.');
    return 2;
  }
  if (args === 'help') {
    io.out(USAGE.trimEnd());
    return 0;
  }

  let file: CredentialsFile;
  try {
    file = await loadCredentials(args.credentials);
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 2;
  }
  if (args.devices !== undefined && args.devices > file.devices.length) {
    io.err(`error: --devices ${args.devices}, but ${args.credentials} lists only ${file.devices.length}`);
    return 2;
  }
  const url = args.url ?? file.url ?? DEFAULT_URL;
  const credentials = file.devices.slice(0, args.devices ?? file.devices.length);
  const seed = args.seed ?? randomInt(0, 2 ** 32);
  if (args.profile !== undefined) {
    const estimate = estimatePlanSize(args.profile, {
      devices: credentials.length,
      durationSimSec: args.durationSec ?? DEFAULT_PROFILE_SECONDS,
    });
    if (estimate > MAX_PLAN_ACTIONS) {
      io.err(
        `error: about ${estimate} actions planned, more than ${MAX_PLAN_ACTIONS}: use fewer --devices or a shorter --duration`,
      );
      return 2;
    }
  }
  if (args.profile !== undefined) return runProfilePlan({ ...args, url, seed, profile: args.profile }, credentials, io);
  if (args.engine === 'light') return runLight({ ...args, url, seed }, credentials, io);
  return runMqttjs({ ...args, url, seed }, credentials, io);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  // once: a second Ctrl-C gets Node's default and ends the process at once.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  main(process.argv.slice(2), { ...defaultIo, signal: controller.signal })
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
        process.exitCode = 1;
      },
    )
    .finally(() => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
}
