// Starts a throwaway Mosquitto on 127.0.0.1 for the floor measurement: the rate and latency a
// mature C broker reaches on this machine, against which our budgets are stated as ratios.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ownChild } from './child.js';
import { freePort } from '../../test/helpers/child-server-core.js';

export const DEFAULT_MOSQUITTO = '/usr/sbin/mosquitto';
const HOST = '127.0.0.1';

export interface MosquittoOptions {
  /** Path of the binary; defaults to $MOSQUITTO_BIN or /usr/sbin/mosquitto. */
  binary?: string;
  /** Fixed port; by default a free one is picked (and picked again if it was taken meanwhile). */
  port?: number;
  /** Extra mosquitto.conf lines, appended after the defaults (a later line wins for most keys). */
  extraConfig?: string[];
  /** Bound on start-up, from spawn to the first accepted TCP connection. Default 5,000 ms. */
  startTimeoutMs?: number;
}

export interface MosquittoHandle {
  url: string;
  port: number;
  pid: number;
  binary: string;
  /** The configuration it was started with (written to a temp file removed on stop). */
  config: string;
  /** Stops it (SIGTERM, then SIGKILL after 3 s) and removes its temp dir; idempotent. */
  stop(): Promise<void>;
}

/**
 * The floor's configuration, best case for relaying QoS 1 between clients (mosquitto.conf(5),
 * 2.0):
 * - `set_tcp_nodelay true`: without it, Nagle holds Mosquitto's small PUBLISH/PUBACK writes
 *   while an earlier segment is unacknowledged, which adds latency at low rates.
 * - `max_inflight_messages 0`: the default (20) lets only 20 unacknowledged QoS 1 messages
 *   travel to each subscriber; the rest wait in a queue for the subscriber's PUBACKs, so the
 *   relay rate becomes a function of the subscriber's round trip. 0 = no limit.
 * - `max_queued_messages 0`: the default (1000) silently DROPS messages for a subscriber once
 *   its queue is full, which a full-speed run would report as loss. 0 = no limit (memory is
 *   the bound; our runs are seconds long).
 * - `persistence false` (the default, stated): the floor writes nothing to disk.
 * - `sys_interval 0`, `connection_messages false`, errors/warnings only: no $SYS publishing or
 *   per-connection log lines competing with the relay (connection benches open thousands).
 */
export function floorConfig(port: number): string[] {
  return [
    `listener ${port} ${HOST}`,
    'allow_anonymous true',
    'set_tcp_nodelay true',
    'max_inflight_messages 0',
    'max_queued_messages 0',
    'persistence false',
    'sys_interval 0',
    'connection_messages false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
}

export function mosquittoBinary(binary?: string): string {
  return binary ?? process.env['MOSQUITTO_BIN'] ?? DEFAULT_MOSQUITTO;
}

export function isMosquittoAvailable(binary?: string): boolean {
  try {
    accessSync(mosquittoBinary(binary), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** "2.0.11", from the first line of `mosquitto -h` (which exits with status 3). */
export async function mosquittoVersion(binary?: string): Promise<string> {
  const bin = requireBinary(binary);
  const child = spawn(bin, ['-h'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await new Promise<void>((resolve) => child.once('close', () => resolve()));
  clearTimeout(timer);
  return /mosquitto version (\S+)/.exec(out)?.[1] ?? 'unknown';
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoHandle> {
  const binary = requireBinary(opts.binary);
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await startOnce(binary, port, opts);
    } catch (err) {
      lastError = err;
      // Another process may have taken the free port between our probe and Mosquitto's bind.
      if (!(err instanceof Error && /address already in use/i.test(err.message))) throw err;
    }
  }
  throw lastError;
}

function requireBinary(binary?: string): string {
  const bin = mosquittoBinary(binary);
  if (!isMosquittoAvailable(bin)) {
    throw new Error(
      `Mosquitto not found or not executable at ${bin}. Install it (Debian: apt-get install mosquitto) or set MOSQUITTO_BIN.`,
    );
  }
  return bin;
}

async function startOnce(binary: string, port: number, opts: MosquittoOptions): Promise<MosquittoHandle> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ribbon-mosquitto-'));
  const config = `${[...floorConfig(port), ...(opts.extraConfig ?? [])].join('\n')}\n`;
  const configPath = path.join(dir, 'mosquitto.conf');
  writeFileSync(configPath, config);

  const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4_000); // keep the tail for error messages, bounded
  });
  // Never leaves a broker behind, even if this process exits without calling stop().
  const stop = ownChild(child, dir);

  try {
    await waitForListener(child, port, opts.startTimeoutMs ?? 5_000, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  if (child.pid === undefined) throw new Error('mosquitto started without a pid');
  return { url: `mqtt://${HOST}:${port}`, port, pid: child.pid, binary, config, stop };
}

/** Retries a TCP connect every 20 ms until it succeeds, the child exits, or the time is up. */
async function waitForListener(
  child: ChildProcess,
  port: number,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  // An object, not a `let`: TypeScript would keep a `let` narrowed to null across the awaits.
  const state: { exited: string | null } = { exited: null };
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    state.exited = `exited with ${signal ?? `code ${code}`}`;
  };
  const onError = (err: Error): void => {
    state.exited = `failed to spawn: ${err.message}`;
  };
  child.once('exit', onExit);
  child.once('error', onError);
  try {
    while (performance.now() < deadline) {
      if (state.exited !== null) {
        throw new Error(`mosquitto ${state.exited} before listening on ${HOST}:${port}: ${stderr().trim()}`);
      }
      if (await canConnect(port)) return;
      await sleep(20);
    }
    throw new Error(
      `mosquitto did not accept connections on ${HOST}:${port} within ${timeoutMs} ms: ${stderr().trim()}`,
    );
  } finally {
    child.removeListener('exit', onExit);
    child.removeListener('error', onError);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
