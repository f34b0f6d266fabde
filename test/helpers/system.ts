import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { onTestFinished } from 'vitest';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/log.js';
import { DB_FILE_NAME, openDatabase } from '../../server/store/db.js';
import { startSystem, type Clock, type RunningSystem } from '../../server/system.js';

/** The first admin's password in test systems (username "admin"). */
export const TEST_ADMIN_PASSWORD = 'test-admin-password';

export type LogLine = { level: number; msg: string; [key: string]: unknown };

/** A pino destination that keeps every line, so tests can assert what was logged. */
export function captureLogs() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return {
    lines,
    log: createLogger('debug', stream),
    find(predicate: (line: LogLine) => boolean): LogLine | undefined {
      return lines.find(predicate);
    },
  };
}

/** A migrated empty database, made once per test worker (rm'd with the OS's temp dir). */
let template: string | null = null;

/**
 * A fresh data dir holding a copy of an empty database already migrated: what `openDatabase`
 * would make, without running every migration again for each of the hundreds of systems the
 * tests start (migrations have their own tests, on databases they build).
 */
export function migratedDataDir(): string {
  if (template === null) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-template-'));
    const db = openDatabase(dir);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    template = path.join(dir, DB_FILE_NAME);
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const dataDir = tempDir();
  fs.copyFileSync(template, path.join(dataDir, DB_FILE_NAME));
  fs.chmodSync(path.join(dataDir, DB_FILE_NAME), 0o600);
  return dataDir;
}

export function tempDir(prefix = 'ribbon-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type TestSystem = RunningSystem & {
  logs: ReturnType<typeof captureLogs>;
  dataDir: string;
  mqttUrl: string;
  /** mqtts://127.0.0.1:port when the broker speaks TLS, else ''. */
  mqttsUrl: string;
  httpUrl: string;
  /** Adds a household with one device; returns the credentials (secret shown once). */
  provision(opts?: { compound?: string; building?: string; room?: string; name?: string }): {
    id: string;
    secret: string;
    householdId: number;
  };
};

/**
 * Starts the whole server in this process on port 0 with a real SQLite file in a temp dir;
 * stops it (and removes the dir) when the test finishes. `env` overrides configuration.
 */
export async function startTestSystem(
  opts: {
    env?: Record<string, string>;
    clock?: Clock;
    dataDir?: string;
    scheduler?: boolean;
    aroundSync?: Parameters<typeof startSystem>[1]['aroundSync'];
    /** A test that fails the WAL sync on purpose hears of it here (default: the test fails). */
    onSyncFailure?: (err: Error) => void;
  } = {},
): Promise<TestSystem> {
  const dataDir = opts.dataDir ?? migratedDataDir();
  const config = loadConfig({
    PORT: '0',
    MQTT_PORT: '0',
    MQTTS_PORT: '0',
    DATA_DIR: dataDir,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    ...opts.env,
  });
  const logs = captureLogs();
  const syncFailures: Error[] = [];
  const system = await startSystem(config, {
    log: logs.log,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.scheduler !== undefined ? { scheduler: opts.scheduler } : {}),
    ...(opts.aroundSync ? { aroundSync: opts.aroundSync } : {}),
    // Not the server's exit(70): a failed WAL sync fails the test that caused it, loudly.
    onSyncFailure: opts.onSyncFailure ?? ((err) => syncFailures.push(err)),
  });
  onTestFinished(() => {
    if (syncFailures.length > 0)
      throw new Error(`a WAL sync failed during the test: ${syncFailures.map((e) => e.message).join('; ')}`);
  });
  onTestFinished(() => system.stop());
  let n = 0;
  const now = (): number => opts.clock?.now() ?? Date.now();
  return Object.assign(system, {
    logs,
    dataDir,
    mqttUrl: system.mqttAddress ? `mqtt://127.0.0.1:${system.mqttAddress.port}` : (config.mqttUrl ?? ''),
    mqttsUrl: system.mqttsAddress ? `mqtts://127.0.0.1:${system.mqttsAddress.port}` : '',
    httpUrl: `http://127.0.0.1:${system.httpAddress.port}`,
    provision(p: { compound?: string; building?: string; room?: string; name?: string } = {}) {
      n += 1;
      const householdId = addHousehold(
        system.stores,
        {
          compound: p.compound ?? '阳光小区',
          building: p.building ?? '1号楼',
          room: p.room ?? `${100 + n}`,
          name: p.name ?? `住户${n}`,
        },
        now(),
      );
      return { ...provisionDevice(system.stores, householdId, now()), householdId };
    },
  });
}
