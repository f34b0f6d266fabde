// The server against a real Mosquitto (MQTT_URL) as an operator sets it up
// (docs/external-broker.md): the admin's files, then Mosquitto, then the server. Shared by the
// external-broker tests.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { expect, onTestFinished } from 'vitest';
import { connectDevice, type ConnectDeviceOptions, type SimDevice } from '../../device-sim/device.js';
import { runAdmin } from '../../server/admin/main.js';
import { startMosquitto, type Mosquitto } from './mosquitto.js';
import { startTestSystem, tempDir, type TestSystem } from './system.js';

export const SERVER_USER = 'ribbon-server';
/** Upper bound for anything that crosses Mosquitto and a commit once (or a 1 s reconnect). */
export const WAIT_MS = 10_000;

export type Provisioned = { id: string; secret: string; householdId: number };

export type Stack = {
  dataDir: string;
  broker: Mosquitto;
  passwordFile: string;
  aclFile: string;
  devices: Provisioned[];
  /** The server now running (replaced by restart()). */
  server: TestSystem;
  /** The server's environment; a change applies at the next restart(). */
  serverEnv: Record<string, string>;
  /** Starts the server again on the same data dir, client id and account. */
  restart(): Promise<TestSystem>;
};

/** Runs an admin command as `npm run admin -- …` would, on the given data dir. */
export async function admin(dataDir: string, ...argv: string[]): Promise<string> {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir }, { write: (text) => void (out += text) });
  expect(code, out).toBe(0);
  return out;
}

export async function provision(dataDir: string, passwordFile: string, n: number): Promise<Provisioned> {
  const household = JSON.parse(
    await admin(
      dataDir,
      'add-household',
      '--compound',
      '阳光小区',
      '--building',
      '1号楼',
      '--name',
      `住户${n}`,
      '--room',
      `${100 + n}`,
      '--json',
    ),
  ) as { id: number };
  return JSON.parse(
    await admin(
      dataDir,
      'add-device',
      '--household',
      String(household.id),
      '--mosquitto-passwd',
      passwordFile,
      '--json',
    ),
  ) as Provisioned;
}

/**
 * The operator's sequence: households and devices (each appending its password line), the
 * server's account, the ACL; then Mosquitto; then the server with MQTT_URL.
 */
/**
 * `connections`: the server's accounts written to Mosquitto's files (MQTT_CONNECTIONS); the
 * server starts with `startWith` of them (default all; change `serverEnv` before `restart()`).
 */
export async function startStack(
  deviceCount: number,
  opts: { connections?: number; startWith?: number; env?: Record<string, string> } = {},
): Promise<Stack> {
  const connections = opts.connections ?? 1;
  const dataDir = tempDir();
  const filesDir = tempDir('ribbon-mosquitto-files-');
  const passwordFile = path.join(filesDir, 'passwd');
  const aclFile = path.join(filesDir, 'acl');
  const devices: Provisioned[] = [];
  for (let n = 1; n <= deviceCount; n++) devices.push(await provision(dataDir, passwordFile, n));
  const serverPassword = randomBytes(18).toString('base64url');
  // `--password=…`: a base64url password may start with '-', which parseArgs would take for an option.
  await admin(
    dataDir,
    'mosquitto-passwd',
    '--out',
    passwordFile,
    '--user',
    SERVER_USER,
    `--password=${serverPassword}`,
    '--connections',
    String(connections),
  );
  await admin(
    dataDir,
    'mosquitto-acl',
    '--out',
    aclFile,
    '--server-user',
    SERVER_USER,
    '--connections',
    String(connections),
  );

  const broker = await startMosquitto({ passwordFile, aclFile });
  const serverEnv = {
    MQTT_URL: broker.url,
    MQTT_USERNAME: SERVER_USER,
    MQTT_PASSWORD: serverPassword,
    MQTT_CLIENT_ID: SERVER_USER,
    MQTT_CONNECTIONS: String(opts.startWith ?? connections),
    ...opts.env,
  };
  const stack: Stack = {
    dataDir,
    broker,
    passwordFile,
    aclFile,
    devices,
    serverEnv,
    server: await startTestSystem({ dataDir, env: serverEnv }),
    async restart() {
      stack.server = await startTestSystem({ dataDir, env: serverEnv });
      return stack.server;
    },
  };
  return stack;
}

export async function connect(
  stack: Stack,
  device: Provisioned,
  opts: Partial<ConnectDeviceOptions> = {},
): Promise<SimDevice> {
  const sim = await connectDevice({
    url: stack.broker.url,
    id: device.id,
    secret: device.secret,
    boot: 1,
    reconnectPeriodMs: 100,
    connectTimeoutMs: 5000,
    ...opts,
  });
  onTestFinished(() => sim.kill());
  return sim;
}

/** A plain mqtt.js client (no reconnects), for what the device simulator will not do. */
export async function rawClient(url: string, opts: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  onTestFinished(() => client.endAsync(true));
  return client;
}

export type StoredKey = { deviceId: string; boot: number | null; seq: number | null; n: number };

/** Device presses in the database, counted by (device, boot, seq). */
export function storedPresses(system: TestSystem): StoredKey[] {
  return system.stores.db
    .prepare<[], StoredKey>(
      `SELECT device_id AS deviceId, boot, seq, count(*) AS n FROM events WHERE source = 'device'
       GROUP BY device_id, boot, seq ORDER BY device_id, boot, seq`,
    )
    .all();
}

export function countEvents(system: TestSystem, deviceId?: string): number {
  const row =
    deviceId === undefined
      ? system.stores.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM events WHERE source = 'device'`).get()
      : system.stores.db
          .prepare<[string], { n: number }>('SELECT count(*) AS n FROM events WHERE device_id = ?')
          .get(deviceId);
  return row?.n ?? 0;
}

export function countRejected(system: TestSystem): number {
  return system.stores.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM rejected_messages').get()?.n ?? 0;
}

/** Every press 1..device.seq of these devices, each stored exactly once under boot 1. */
export function expectEachPressStoredOnce(system: TestSystem, devices: readonly SimDevice[]): void {
  const expected = devices
    .flatMap((d) => Array.from({ length: d.seq }, (_, i) => ({ deviceId: d.id, boot: 1, seq: i + 1, n: 1 })))
    .sort((a, b) => (a.deviceId === b.deviceId ? a.seq - b.seq : a.deviceId < b.deviceId ? -1 : 1));
  expect(storedPresses(system)).toEqual(expected);
}
