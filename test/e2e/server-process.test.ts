import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../../server/store/db.js';
import { createStores } from '../../server/store/index.js';
import { freePort, ROOT_DIR, startChildServer } from '../helpers/child-server.js';
import { RawMqtt } from '../helpers/raw-mqtt.js';
import { tempDir } from '../helpers/system.js';

// The server as `npm start` runs it: one process, its own SQLite file.

function provisionOne(dataDir: string): { id: string; secret: string } {
  const stores = createStores(openDatabase(dataDir));
  try {
    const householdId = addHousehold(
      stores,
      { compound: '阳光小区', building: '1号楼', room: '101', name: '王桂兰' },
      Date.now(),
    );
    return provisionDevice(stores, householdId, Date.now());
  } finally {
    stores.db.close();
  }
}

/** A port held by another program on 127.0.0.1 (the server's default HOST) until the test ends. */
async function heldPort(): Promise<number> {
  const holder = net.createServer();
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.listen(0, '127.0.0.1', () => resolve());
  });
  onTestFinished(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  return (holder.address() as net.AddressInfo).port;
}

/** Runs `npm start` (or the demo) to its end with only these variables. */
function runToExit(script: 'server/main.ts' | 'server/demo.ts', env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT_DIR,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

function countUsers(dataDir: string): number {
  const db = new Database(path.join(dataDir, DB_FILE_NAME), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the server process', () => {
  it('when another writer holds the database, then the PUBACK waits for the commit (never before it)', async () => {
    const dataDir = tempDir();
    const device = provisionOne(dataDir);
    const server = await startChildServer({ dataDir, mqttPort: await freePort() });
    const { raw, connack } = await RawMqtt.connect(server.mqttPort, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    expect(connack.returnCode).toBe(0);

    // Take SQLite's write lock from this process: the server cannot commit until it is released.
    const db = new Database(path.join(dataDir, DB_FILE_NAME));
    onTestFinished(() => {
      db.close();
    });
    db.exec('BEGIN IMMEDIATE');
    raw.send(raw.publish(`ribbon/${device.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    // Absence of a PUBACK can only be shown by waiting: 700 ms is far beyond a normal commit
    // (about a millisecond) and well inside the server's 5 s busy timeout.
    await expect(raw.next((p) => p.cmd === 'puback', 700)).rejects.toThrow(/no matching packet/);
    db.exec('COMMIT');

    await raw.next((p) => p.cmd === 'puback' && p.messageId === 1, 5000);
    const row = db.prepare('SELECT state, seq, boot FROM events WHERE device_id = ?').get(device.id);
    expect(row).toEqual({ state: 'red', seq: 1, boot: 1 });
  });

  it('when a setting is invalid, then start-up stops with exit code 2 and a message naming the variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: 'eighty', DATA_DIR: tempDir() },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT="eighty" is not valid: expected a whole number from 0 to 65535');
  });

  it.each(['PORT', 'MQTT_PORT'] as const)(
    'when %s is already in use, then the start stops with exit code 1 and a message naming it, and no admin password is printed or created',
    async (name) => {
      const dataDir = tempDir();
      const port = await heldPort();
      const result = runToExit('server/main.ts', {
        DATA_DIR: dataDir,
        PORT: name === 'PORT' ? String(port) : '0',
        MQTT_PORT: name === 'MQTT_PORT' ? String(port) : '0',
      });
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toContain(`ribbon-pact: could not start: ${name}=${port} is already in use on 127.0.0.1`);
      expect(result.stdout).not.toMatch(/Password:/);
      // The next start, on a free port, is the one that creates the first admin and shows its password.
      expect(countUsers(dataDir)).toBe(0);
    },
  );

  it('when the demo is started on a port in use, then it stops with exit code 1 and a message naming the port', async () => {
    const port = await heldPort();
    const result = runToExit('server/demo.ts', { DATA_DIR: tempDir(), PORT: String(port), MQTT_PORT: '0' });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain(`demo: could not start: PORT=${port} is already in use on 127.0.0.1`);
    expect(result.stdout).not.toMatch(/Password:/);
  });

  it('when the demo is started with --help, then it says it is a second server with its own database, password and ports, and exits 0', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/demo.ts', '--help'], {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('second server with its own database, its own admin password and its own ports');
    expect(result.stdout).toMatch(/PORT 8090, MQTT_PORT 1893, DATA_DIR \.\/data-demo/);
  });

  it('when started with --help, then it lists every environment variable and exits 0', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts', '--help'], {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(0);
    for (const name of [
      'PORT',
      'MQTT_PORT',
      'HOST',
      'DATA_DIR',
      'MQTT_URL',
      'ADMIN_PASSWORD',
      'MQTT_MAX_PACKET_BYTES',
      'INGEST_BATCH_MAX',
    ]) {
      expect(result.stdout).toContain(name);
    }
  });

  it('when SIGTERM arrives, then the server stops cleanly with exit code 0', async () => {
    const server = await startChildServer({ dataDir: tempDir(), mqttPort: await freePort() });
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    const exit = await server.kill('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
