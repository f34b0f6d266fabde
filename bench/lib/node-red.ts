// The hobbyist peer of docs/design.md §5: Node-RED 4 with one flow, MQTT-in → WebSocket-out, fed by a
// Mosquitto broker. Installed on demand into bench/peers/node-red/ (`npm ci --prefix`, pinned by
// its package-lock.json; node_modules is not committed) and run as a child process on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ownChild } from './child.js';
import { freePort } from '../../test/helpers/child-server-core.js';

export const NODE_RED_DIR = fileURLToPath(new URL('../peers/node-red/', import.meta.url));
const RED_JS = path.join(NODE_RED_DIR, 'node_modules', 'node-red', 'red.js');
export const NODE_RED_WS_PATH = '/ws/presses';
/** The presses the flow forwards (a button's topic, as server/domain/topics.ts names it). */
export const NODE_RED_TOPIC = 'ribbon/+/state';

/** Installs the pinned Node-RED if it is not there yet (bounded); returns its version. */
export function ensureNodeRed(timeoutMs = 180_000): string {
  if (!existsSync(RED_JS)) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['ci', '--prefix', NODE_RED_DIR, '--no-audit', '--no-fund', '--omit=dev'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      encoding: 'utf8',
    });
    if (r.status !== 0 || !existsSync(RED_JS)) {
      throw new Error(
        `npm ci --prefix ${NODE_RED_DIR} failed (${r.error?.message ?? `status ${r.status}`}): ${(r.stderr ?? '').trim().slice(-500)}`,
      );
    }
  }
  const pkg = spawnSync(
    process.execPath,
    ['-p', `require(${JSON.stringify(path.join(NODE_RED_DIR, 'node_modules', 'node-red', 'package.json'))}).version`],
    { encoding: 'utf8' },
  );
  return pkg.stdout.trim();
}

/**
 * The flow a hobbyist would draw: `mqtt in` (the topic, QoS 1, auto-detect payload) wired to
 * `websocket out` on a listener at NODE_RED_WS_PATH (payload only: what a dashboard page needs).
 */
export function nodeRedFlow(mqttPort: number): unknown[] {
  return [
    { id: 'tab', type: 'tab', label: 'presses' },
    {
      id: 'broker',
      type: 'mqtt-broker',
      name: 'mosquitto',
      broker: '127.0.0.1',
      port: String(mqttPort),
      clientid: 'node-red-peer',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
    },
    {
      id: 'in',
      type: 'mqtt in',
      z: 'tab',
      name: 'presses',
      topic: NODE_RED_TOPIC,
      qos: '1',
      datatype: 'auto-detect',
      broker: 'broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['out']],
    },
    { id: 'listener', type: 'websocket-listener', path: NODE_RED_WS_PATH, wholemsg: 'false' },
    { id: 'out', type: 'websocket out', z: 'tab', name: 'to dashboards', server: 'listener', client: '', wires: [] },
  ];
}

export type NodeRedHandle = {
  pid: number;
  version: string;
  wsUrl: string;
  stop(): Promise<void>;
};

/** Starts Node-RED with the flow against the broker at mqttPort; resolves once a WebSocket opens. */
export async function startNodeRed(opts: { mqttPort: number; startTimeoutMs?: number }): Promise<NodeRedHandle> {
  const version = ensureNodeRed();
  const userDir = mkdtempSync(path.join(os.tmpdir(), 'ribbon-node-red-'));
  const port = await freePort();
  writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(nodeRedFlow(opts.mqttPort)));
  // No editor or admin API (httpAdminRoot false), logs at warn: only the flow runs.
  writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      httpAdminRoot: false,
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      diagnostics: { enabled: false },
      telemetry: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    })};\n`,
  );
  const child = spawn(
    process.execPath,
    [RED_JS, '--settings', path.join(userDir, 'settings.js'), '--userDir', userDir],
    {
      cwd: userDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: userDir, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = ownChild(child, userDir);
  const wsUrl = `ws://127.0.0.1:${port}${NODE_RED_WS_PATH}`;
  try {
    const deadline = performance.now() + (opts.startTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`node-red exited before listening: ${output.trim()}`);
      if (await canOpen(wsUrl)) break;
      if (performance.now() > deadline) throw new Error(`node-red did not open ${wsUrl} in time: ${output.trim()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  if (child.pid === undefined) throw new Error('node-red started without a pid');
  return { pid: child.pid, version, wsUrl, stop };
}

function canOpen(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const done = (ok: boolean): void => {
      ws.terminate();
      resolve(ok);
    };
    ws.once('open', () => done(true));
    ws.once('error', () => done(false));
    ws.once('unexpected-response', () => done(false));
  });
}
