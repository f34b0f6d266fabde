// What the simulator's command line accepts: the help text, the limits and defaults of each
// option, and parseCliArgs, which turns argv into checked arguments or a UsageError (exit 2).
import { parseArgs } from 'node:util';
import { MAX_TIMER_MS } from './cli-timing.js';
import { describeBadUrl } from './credentials.js';
import type { RibbonState } from './device.js';
import { isProfile, PROFILES, type Profile } from './profiles.js';

export const USAGE = `Usage: npm run sim -- --credentials FILE [options]
       npm run sim -- --label FILE [options]
       tsx device-sim/cli.ts --credentials FILE [options]

Simulated Ribbon Pact buttons. Each device sends heartbeats with a slowly draining battery and
presses at random (blue ~90 %, yellow ~8 %, red ~2 %); one line is printed per press, with the
time its PUBACK took.

Options:
  --credentials FILE     devices file written by provisioning (required): each
                         \`npm run admin -- add-device --household ID --credentials FILE\`
                         appends one device
  --label FILE           one device from its installer's label instead: the QR code's JSON
                         {"v":1,"host","port","tls","id","secret"} (POST /api/devices); its
                         host, port and tls give the URL
  --url URL              broker URL (default: the label's or the file's url, else
                         mqtt://127.0.0.1:1883); mqtts://host:port for MQTT over TLS
  --tls                  connect over TLS (an mqtt:// URL becomes mqtts://; default port 8883);
                         the server's certificate is always verified, host name included
  --ca FILE              PEM CA certificate the server's certificate must chain to (the one
                         the operator gave you; default: the system's CAs); needs TLS
  --devices N            use the first N devices of the file (default: all)
  --presses-per-hour X   average presses per device and hour (default 6; 0 for none)
  --heartbeat SEC        seconds between a device's heartbeats (default 60)
  --duration SEC         stop after SEC seconds (default: run until Ctrl-C)
  --seed N               random seed, 0 to 4294967295 (default: random, and printed);
                         the same seed gives the same plan
  --profile NAME         play a day-like plan instead of random presses:
                           daily  a blue press most mornings (sometimes forgotten), yellow a few
                                  times a month, red about once a household-year, hourly
                                  heartbeats with a draining battery, now and then offline for hours
                           storm  a power cut ends every sim hour: every device reconnects and
                                  presses within seconds, mostly blue, some red
                           chaos  drops between packets and mid-packet (the link cut inside a
                                  press's PUBLISH, then resent), duplicates, reordered seqs,
                                  malformed payloads, clock skew, reboots, reconnect storms
                         With a profile, --duration is in simulated seconds (default 86400) and
                         --presses-per-hour/--heartbeat do not apply.
  --speed K              with --profile: simulated time runs K times faster, 1 to 100000
                         (default 1); an action due at sim time t fires at real time t / K
  --engine NAME          mqttjs  the full mqtt.js device (default): reconnects, resends what
                                 was not acknowledged, heartbeats, profiles
                         light   net + mqtt-packet, a socket, a counter and a timer per device,
                                 for thousands of devices from one process: random presses only,
                                 no heartbeats (--heartbeat and --profile are refused), no
                                 reconnect; above 10,000 devices it connects from source addresses
                                 127.0.0.2-127.0.0.9 (a loopback broker only)
  -h, --help             show this help

A profile run ends with a summary: actions by kind, PUBACK p50/p99, failures and, for chaos,
how many presses were cut mid-packet on the wire.

Exit status: 0 when done, 1 when the run failed (e.g. could not connect), 2 for bad arguments.
`;

export const DEFAULT_URL = 'mqtt://127.0.0.1:1883';
/** The mix of random presses (the help text says it in words). */
export const STATE_WEIGHTS = { blue: 90, yellow: 8, red: 2 } as const satisfies Record<RibbonState, number>;
const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
/** 100 presses a second per device: beyond that a run measures this process, not the server. */
const MAX_PRESSES_PER_HOUR = 360_000;
export const ENGINES = ['mqttjs', 'light'] as const;
export type Engine = (typeof ENGINES)[number];
const MAX_SPEED = 100_000;
/** A profile plays at most a year of simulated time. */
const MAX_PROFILE_SECONDS = 366 * 86_400;
export const DEFAULT_PROFILE_SECONDS = 86_400;

export type CliArgs = {
  /** Exactly one of the two: a credentials file, or one device's label. */
  credentials: string | undefined;
  label: string | undefined;
  url: string | undefined;
  tls: boolean;
  ca: string | undefined;
  devices: number | undefined;
  pressesPerHour: number;
  heartbeatSec: number;
  durationSec: number | undefined;
  seed: number | undefined;
  profile: Profile | undefined;
  speed: number;
  engine: Engine;
};

export class UsageError extends Error {}

/** Arguments of a run, once the URL, the CA and the seed are settled. */
export type RunArgs = Omit<CliArgs, 'url' | 'seed' | 'ca'> & { url: string; seed: number; ca: Buffer | undefined };

export function parseCliArgs(argv: readonly string[]): CliArgs | 'help' {
  const parsed = (() => {
    try {
      return parseArgs({
        args: [...argv],
        strict: true,
        allowPositionals: false,
        options: {
          help: { type: 'boolean', short: 'h' },
          credentials: { type: 'string' },
          label: { type: 'string' },
          url: { type: 'string' },
          tls: { type: 'boolean' },
          ca: { type: 'string' },
          devices: { type: 'string' },
          'presses-per-hour': { type: 'string' },
          heartbeat: { type: 'string' },
          duration: { type: 'string' },
          seed: { type: 'string' },
          profile: { type: 'string' },
          speed: { type: 'string' },
          engine: { type: 'string' },
        },
      });
    } catch (err) {
      // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes and a readable message.
      throw new UsageError((err as Error).message);
    }
  })();
  const v = parsed.values;
  if (v.help) return 'help';
  const hasCredentials = v.credentials !== undefined && v.credentials !== '';
  const hasLabel = v.label !== undefined && v.label !== '';
  if (hasCredentials === hasLabel) {
    throw new UsageError(
      hasLabel
        ? '--credentials and --label do not go together: give one'
        : '--credentials FILE (or --label FILE) is required',
    );
  }
  if (v.ca === '') throw new UsageError('--ca needs a FILE');
  if (v.url !== undefined) {
    const problem = describeBadUrl(v.url);
    if (problem) throw new UsageError(`--url ${problem}`);
  }
  const engine = v.engine ?? 'mqttjs';
  if (!(ENGINES as readonly string[]).includes(engine))
    throw new UsageError(`--engine must be one of ${ENGINES.join(', ')}, got "${engine}"`);
  if (engine === 'light') {
    if (v.profile !== undefined) {
      throw new UsageError(
        '--profile needs the full device (--engine mqttjs): profiles go offline, reconnect and send heartbeats, which the light engine does not',
      );
    }
    if (v.heartbeat !== undefined)
      throw new UsageError('--heartbeat is not supported with --engine light (light devices send no heartbeats)');
  }
  let profile: Profile | undefined;
  if (v.profile !== undefined) {
    if (!isProfile(v.profile))
      throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}, got "${v.profile}"`);
    profile = v.profile;
    if (v['presses-per-hour'] !== undefined) throw new UsageError('--presses-per-hour does not apply with --profile');
    if (v.heartbeat !== undefined) throw new UsageError('--heartbeat does not apply with --profile');
  } else if (v.speed !== undefined) {
    throw new UsageError('--speed needs --profile');
  }
  const speed = v.speed === undefined ? 1 : numberArg('--speed', v.speed, { min: 1, max: MAX_SPEED });
  const maxDuration = profile === undefined ? MAX_SECONDS : MAX_PROFILE_SECONDS;
  return {
    profile,
    speed,
    engine: engine as Engine,
    credentials: hasCredentials ? v.credentials : undefined,
    label: hasLabel ? v.label : undefined,
    url: v.url,
    tls: v.tls ?? false,
    ca: v.ca,
    devices: v.devices === undefined ? undefined : integerArg('--devices', v.devices, 1, Number.MAX_SAFE_INTEGER),
    pressesPerHour:
      v['presses-per-hour'] === undefined
        ? 6
        : numberArg('--presses-per-hour', v['presses-per-hour'], { min: 0, max: MAX_PRESSES_PER_HOUR }),
    heartbeatSec:
      v.heartbeat === undefined
        ? 60
        : numberArg('--heartbeat', v.heartbeat, { min: 0, minExclusive: true, max: MAX_SECONDS }),
    durationSec:
      v.duration === undefined
        ? undefined
        : numberArg('--duration', v.duration, { min: 0, minExclusive: true, max: maxDuration }),
    seed: v.seed === undefined ? undefined : integerArg('--seed', v.seed, 0, 2 ** 32 - 1),
  };
}

function integerArg(name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function numberArg(name: string, text: string, range: { min: number; max: number; minExclusive?: boolean }): number {
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  const low = range.minExclusive ? value <= range.min : value < range.min;
  if (Number.isNaN(value) || low || value > range.max) {
    const bound = range.minExclusive ? `greater than ${range.min}` : `at least ${range.min}`;
    throw new UsageError(`${name} must be a number ${bound} and at most ${range.max}, got "${text}"`);
  }
  return value;
}
