// A real Mosquitto (Debian's /usr/sbin/mosquitto) on 127.0.0.1, for the external-broker tests.
// It reads the password and ACL files the caller wrote (with the admin commands, as an operator
// would) and is stopped when the test finishes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { DEFAULT_MOSQUITTO } from '../../bench/lib/mosquitto.js';
import { freePort } from './child-server-core.js';

export const MOSQUITTO_PATH = DEFAULT_MOSQUITTO;

export type MosquittoOptions = {
  passwordFile: string;
  aclFile: string;
  /** Extra mosquitto.conf lines, appended after the defaults. */
  extraConfig?: readonly string[];
  /** How long to wait for "mosquitto … running". Default 10 000 ms. */
  startTimeoutMs?: number;
};

export type Mosquitto = {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The mosquitto.conf it runs with. */
  readonly config: string;
  /** Everything Mosquitto has logged so far, for assertions and failure messages. */
  log(): string;
  /** Resolves when a log line matching `pattern` appears after `fromOffset` (a log().length). */
  waitForLog(pattern: RegExp, timeoutMs: number, fromOffset?: number): Promise<string>;
  /** SIGHUP: Mosquitto re-reads the password and ACL files (what an operator does after add-device). */
  reload(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within 3 s. Idempotent. */
  stop(): Promise<void>;
};

/**
 * The configuration docs/external-broker.md recommends, on a free loopback port:
 * - `allow_anonymous false`: every client needs a password line;
 * - `persistence false`: the tests never restart Mosquitto (production turns it on);
 * - `max_queued_messages 0`: no cap on what is queued for the server's session while it is
 *   down (the default, 1000, would drop presses beyond it);
 * - `max_inflight_messages 256`: as many unacknowledged messages per client as the server takes
 *   ahead of their commit (MQTT_MAX_AHEAD);
 * - `set_tcp_nodelay true`: PUBACKs and acks go out at once instead of waiting for Nagle;
 * - `use_username_as_clientid true`: no client can take over another's session (the server's
 *   above all) by connecting with its client id.
 */
export async function startMosquitto(opts: MosquittoOptions): Promise<Mosquitto> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-mosquitto-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A port found free can be taken before Mosquitto binds it; then Mosquitto exits and we try
  // another. Three attempts is plenty on a test machine.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(opts, dir, port);
    } catch (err) {
      lastError = err as Error;
      if (!(err instanceof PortTakenError)) throw err;
    }
  }
  throw lastError ?? new Error('mosquitto did not start');
}

class PortTakenError extends Error {}

async function launch(opts: MosquittoOptions, dir: string, port: number): Promise<Mosquitto> {
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous false',
    `password_file ${opts.passwordFile}`,
    `acl_file ${opts.aclFile}`,
    'persistence false',
    'max_queued_messages 0',
    'max_inflight_messages 256',
    'set_tcp_nodelay true',
    'use_username_as_clientid true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    // Started as root (a CI container), Mosquitto switches to the `mosquitto` user, which
    // cannot read the 0700 temp dirs holding the password and ACL files.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    ...(opts.extraConfig ?? []),
  ];
  const config = `${lines.join('\n')}\n`;
  const configFile = path.join(dir, `mosquitto-${port}.conf`);
  fs.writeFileSync(configFile, config);

  const child = spawn(MOSQUITTO_PATH, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onOutput = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedYet = false;
  void exited.then(() => {
    exitedYet = true;
    for (const listener of [...listeners]) listener();
  });

  const waitForLog = (pattern: RegExp, timeoutMs: number, fromOffset = 0): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output.slice(fromOffset));
        if (match) {
          settle();
          resolve(match[0]);
        } else if (exitedYet) {
          settle();
          reject(new Error(`mosquitto exited (code ${child.exitCode}) before logging ${pattern}:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`mosquitto did not log ${pattern} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitedYet) return;
      child.kill('SIGTERM');
      // SIGCONT too: a test may have paused it with SIGSTOP, and a stopped process only
      // acts on SIGTERM once it runs again.
      child.kill('SIGCONT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    })();
    return stopping;
  };

  try {
    await waitForLog(/mosquitto version \S+ running/, opts.startTimeoutMs ?? 10_000);
  } catch (err) {
    await stop();
    if (/Address already in use/.test(output)) throw new PortTakenError(output);
    throw err;
  }
  onTestFinished(stop);

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    config,
    log: () => output,
    waitForLog,
    async reload(timeoutMs = 5000) {
      const from = output.length;
      child.kill('SIGHUP');
      // Mosquitto is single-threaded: once it has logged this, the files are re-read before
      // it handles the next packet.
      await waitForLog(/Reloading config\./, timeoutMs, from);
    },
    stop,
  };
}
