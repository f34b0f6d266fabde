// The simulator's command line: `npm run sim -- --credentials devices.json`. Each device sends
// heartbeats with a slowly draining battery and presses at random, one printed line per press.
// This file reads the arguments and the credentials file and hands over to one of three runs:
// cli-run-mqttjs.ts (the default), cli-run-light.ts (--engine light), cli-run-profile.ts (--profile).
import { randomInt } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { type CliArgs, DEFAULT_PROFILE_SECONDS, DEFAULT_URL, parseCliArgs, UsageError, USAGE } from './cli-args.js';
import type { CliIo } from './cli-report.js';
import { runLight } from './cli-run-light.js';
import { runMqttjs } from './cli-run-mqttjs.js';
import { runProfilePlan } from './cli-run-profile.js';
import { loadCredentials, type SimCredential } from './credentials.js';
import { TLS_SCHEMES } from './device-connection.js';
import { type DeviceLabel, labelUrl, parseDeviceLabel } from '../protocol/label.js';
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

  let source: { url: string | undefined; devices: readonly SimCredential[] };
  let ca: Buffer | undefined;
  try {
    source = await loadDevices(args);
    ca = args.ca === undefined ? undefined : await readCa(args.ca);
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 2;
  }
  const from = args.credentials ?? args.label;
  if (args.devices !== undefined && args.devices > source.devices.length) {
    io.err(`error: --devices ${args.devices}, but ${from} lists only ${source.devices.length}`);
    return 2;
  }
  const url = args.tls ? overTls(args.url ?? source.url ?? DEFAULT_URL) : (args.url ?? source.url ?? DEFAULT_URL);
  if (ca !== undefined && !TLS_SCHEMES.includes(new URL(url).protocol)) {
    io.err(`error: --ca needs TLS, but ${url} is plain MQTT: add --tls or use an mqtts:// URL`);
    return 2;
  }
  const credentials = source.devices.slice(0, args.devices ?? source.devices.length);
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
  if (args.profile !== undefined)
    return runProfilePlan({ ...args, url, ca, seed, profile: args.profile }, credentials, io);
  if (args.engine === 'light') return runLight({ ...args, url, ca, seed }, credentials, io);
  return runMqttjs({ ...args, url, ca, seed }, credentials, io);
}

/** The devices to run and the URL they carry: a credentials file's, or one label's. */
async function loadDevices(args: CliArgs): Promise<{ url: string | undefined; devices: readonly SimCredential[] }> {
  if (args.label !== undefined) {
    const path = args.label;
    const text = await readFile(path, 'utf8').catch((err: unknown) => {
      throw new Error(`cannot read label file ${path}: ${(err as { code?: string }).code ?? (err as Error).message}`);
    });
    let label: DeviceLabel;
    try {
      label = parseDeviceLabel(text);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`);
    }
    return { url: labelUrl(label), devices: [{ id: label.id, secret: label.secret }] };
  }
  const file = await loadCredentials(args.credentials ?? '');
  return { url: file.url, devices: file.devices };
}

async function readCa(path: string): Promise<Buffer> {
  const pem = await readFile(path).catch((err: unknown) => {
    throw new Error(`cannot read --ca file ${path}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  });
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--ca file ${path} holds no PEM certificate`);
  return pem;
}

/** --tls: the same broker over TLS (mqtt:// → mqtts://, with 8883 when the URL gave no port). */
function overTls(raw: string): string {
  const url = new URL(raw);
  if (TLS_SCHEMES.includes(url.protocol) || url.protocol === 'wss:') return raw;
  if (url.protocol === 'ws:') return `wss://${url.host}${url.pathname}`;
  return `mqtts://${url.host}`;
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
