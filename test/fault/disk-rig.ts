import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connectDevice, type SimDevice } from '../../device-sim/device.js';
import { addHousehold, provisionDevice } from '../../server/app/provision.js';
import { DB_FILE_NAME, openDatabase } from '../../server/store/db.js';
import { createStores } from '../../server/store/index.js';

/**
 * The host's side of the disk-fault tests (test/fault/disk.test.ts): a gate the guest's script
 * waits at (so the test decides when the disk turns bad), a relay that keeps the devices' address
 * the same across boots (each boot forwards a new host port), a data folder with devices
 * provisioned, devices pressing, and the database read back with the project's own driver.
 */

/**
 * Steps the guest waits for: its script runs `guestWait(step)`, a wget to the host (10.0.2.2 in
 * the guest is the host's 127.0.0.1 under user-mode networking) that is answered once the test
 * calls `open(step)`.
 */
export async function startGate(): Promise<{ port: number; open(step: string): void; close(): Promise<void> }> {
  const opened = new Set<string>();
  const held = new Map<string, http.ServerResponse[]>();
  const server = http.createServer((req, res) => {
    const step = /^\/wait\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    if (step === undefined) {
      res.writeHead(404).end();
      return;
    }
    if (opened.has(step)) res.end('go\n');
    else held.set(step, [...(held.get(step) ?? []), res]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    open(step) {
      opened.add(step);
      for (const res of held.get(step) ?? []) res.end('go\n');
      held.delete(step);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Guest shell: waits until the test opens `step` (RIBBON_GATE is the gate's port, exported by the script). */
export function guestWait(step: string): string {
  return `until wget -q -O /dev/null "http://10.0.2.2:$RIBBON_GATE/wait/${step}"; do sleep 1; done`;
}

/**
 * A TCP relay on 127.0.0.1: the devices' one address, piped to the current guest's forwarded port
 * (`target`); while there is none (between boots) a connection is closed at once, and the devices
 * reconnect with their backoff, resending what got no PUBACK.
 */
export async function startRelay(): Promise<{
  port: number;
  target(port: number | null): void;
  close(): Promise<void>;
}> {
  let to: number | null = null;
  const live = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    live.add(inbound);
    inbound.on('close', () => live.delete(inbound));
    inbound.on('error', () => inbound.destroy());
    if (to === null) {
      inbound.destroy();
      return;
    }
    const outbound = net.connect({ port: to, host: '127.0.0.1' });
    live.add(outbound);
    outbound.on('close', () => {
      live.delete(outbound);
      inbound.destroy();
    });
    outbound.on('error', () => outbound.destroy());
    inbound.on('close', () => outbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    target(port) {
      to = port;
      if (port === null) for (const socket of live) socket.destroy();
    },
    async close() {
      for (const socket of live) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Credentials = { id: string; secret: string };

/** `parent`/ribbon/ribbon.db, migrated, with `count` households of one device each (a data disk's content). */
export function provisionedDataDir(parent: string, count: number): Credentials[] {
  const dir = path.join(parent, 'ribbon');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = openDatabase(dir);
  try {
    const stores = createStores(db);
    const now = Date.now();
    const devices: Credentials[] = [];
    for (let i = 0; i < count; i++) {
      const householdId = addHousehold(
        stores,
        { compound: '故障小区', building: '1号楼', room: String(101 + i), name: `住户${i + 1}` },
        now,
      );
      devices.push(provisionDevice(stores, householdId, now));
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    return devices;
  } finally {
    db.close();
  }
}

/**
 * Devices pressing one press after another (blue: no alert, no notifications), each waiting for
 * its PUBACK before the next; `stop()` ends the loops after the press each has in flight, which
 * the device keeps resending until it is acknowledged (its `acked` has every PUBACKed seq).
 */
export async function pressingFleet(url: string, creds: readonly Credentials[]) {
  const devices: SimDevice[] = [];
  for (const c of creds) {
    devices.push(await connectDevice({ url, id: c.id, secret: c.secret, boot: 1, reconnectPeriodMs: 500 }));
  }
  let running = true;
  let closing = false;
  const loops = devices.map(async (d) => {
    try {
      while (running) await d.press('blue');
    } catch (err) {
      // Closed with a press still unacknowledged (the full disk refuses it): the test is over.
      if (!closing) throw err;
    }
  });
  return {
    devices,
    acked: () => devices.reduce((n, d) => n + d.acked.length, 0),
    /** Stops pressing; resolves once every press in flight is acknowledged. */
    stop(): Promise<unknown> {
      running = false;
      return Promise.all(loops);
    },
    async close(): Promise<void> {
      running = false;
      closing = true;
      await Promise.all(devices.map((d) => d.close()));
      await Promise.allSettled(loops);
    },
  };
}

/**
 * Every device press in a copy of the database folder (read with better-sqlite3, as the server
 * would open it: a WAL left behind is recovered), as counts by "device seq".
 */
export function storedPresses(dataDir: string): Map<string, number> {
  const db = new Database(path.join(dataDir, DB_FILE_NAME));
  try {
    const rows = db
      .prepare("SELECT device_id AS id, seq, count(*) AS n FROM events WHERE source = 'device' GROUP BY device_id, seq")
      .all() as Array<{ id: string; seq: number; n: number }>;
    return new Map(rows.map((r) => [`${r.id} ${r.seq}`, r.n]));
  } finally {
    db.close();
  }
}

/** What is wrong with the store, given every device's PUBACKed seqs: missing ones, doubled ones. */
export function checkAcknowledged(stored: Map<string, number>, devices: readonly SimDevice[]) {
  const missing: string[] = [];
  for (const d of devices) for (const seq of d.acked) if (!stored.has(`${d.id} ${seq}`)) missing.push(`${d.id} ${seq}`);
  const doubled = [...stored].filter(([, n]) => n > 1).map(([key]) => key);
  return { missing, doubled, acknowledged: devices.reduce((n, d) => n + d.acked.length, 0) };
}
