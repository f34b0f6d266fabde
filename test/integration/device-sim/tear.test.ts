// Chaos `tear`: a device's link cut inside a PUBLISH, against the real server (embedded aedes,
// SQLite). The server must stay healthy, serve other devices, and store the torn press exactly once
// when the device resends it. A watcher on the server's sockets proves each cut really happened:
// the connection closed with an incomplete PUBLISH of exactly the bytes the device sent.
import type net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main, type ProfileRunResult } from '../../../device-sim/cli.js';
import { writeCredentials } from '../../../server/admin/credentials-file.js';
import { cutPoint } from '../../../device-sim/cut.js';
import { connectDevice, type SimDevice } from '../../../device-sim/device.js';
import { startLightFleet } from '../../../device-sim/light.js';
import { startTestSystem, tempDir, type TestSystem } from '../../helpers/system.js';

type Incomplete = { firstByte: number; have: number; need: number | null };
type SocketWatch = {
  /** Connections that closed in the middle of a packet: what the server had of it. */
  incomplete: Incomplete[];
  /** First bytes of the complete PUBLISH packets received (0x32: QoS 1; 0x3a: QoS 1 with DUP). */
  publishes: number[];
};

/**
 * Frames every byte the server's sockets receive (as the kernel hands them over, before aedes
 * reads them) and notes each connection that closes inside a packet.
 */
function watchServerSockets(server: net.Server): SocketWatch {
  const watch: SocketWatch = { incomplete: [], publishes: [] };
  const onConnection = (socket: net.Socket): void => {
    let first = -1; // -1: between packets
    let have = 0;
    let need: number | null = null;
    let length = 0;
    let multiplier = 1;
    const endPacket = (): void => {
      if (first >> 4 === 3) watch.publishes.push(first);
      first = -1;
    };
    const feed = (bytes: Buffer): void => {
      let i = 0;
      while (i < bytes.length) {
        if (first === -1) {
          first = bytes[i++] as number;
          have = 1;
          need = null;
          length = 0;
          multiplier = 1;
        } else if (need === null) {
          const b = bytes[i++] as number;
          have += 1;
          length += (b & 0x7f) * multiplier;
          multiplier *= 128;
          if ((b & 0x80) === 0) {
            need = have + length;
            if (have === need) endPacket();
          }
        } else {
          const take = Math.min(need - have, bytes.length - i);
          have += take;
          i += take;
          if (have === need) endPacket();
        }
      }
    };
    // net.Socket hands received bytes to its readable side with this.push(); aedes reads them
    // later. Wrapping push sees them all, even if aedes never gets to read them.
    const push = socket.push.bind(socket);
    socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (Buffer.isBuffer(chunk)) feed(chunk);
      return push(chunk, encoding);
    };
    socket.once('close', () => {
      if (first !== -1) watch.incomplete.push({ firstByte: first, have, need });
    });
  };
  server.on('connection', onConnection);
  onTestFinished(() => void server.off('connection', onConnection));
  return watch;
}

type StoredPress = { seq: number; state: string; n: number };

function storedPresses(system: TestSystem, deviceId: string): StoredPress[] {
  return system.stores.db
    .prepare('SELECT seq, state, COUNT(*) AS n FROM events WHERE device_id = ? GROUP BY boot, seq, state ORDER BY seq')
    .all(deviceId) as StoredPress[];
}

async function healthy(system: TestSystem): Promise<boolean> {
  return (await fetch(`${system.httpUrl}/healthz`)).status === 200;
}

// From the first byte alone (type and flags) to one byte short of the whole packet.
const CUTS = [0, 0.02, 0.2, 0.5, 0.8, 0.999] as const;
const STATES = ['red', 'blue', 'yellow', 'blue', 'red', 'blue'] as const;

describe('a press torn mid-packet against the real server', () => {
  it('when the mqtt.js device tears presses at six cut points, then the server sees each incomplete PUBLISH, keeps serving another device, and stores every press once after the resend', async () => {
    const system = await startTestSystem();
    const watch = watchServerSockets(system.broker!.server);
    const tearer = system.provision();
    const bystander = system.provision();
    const connect = async (cred: { id: string; secret: string }): Promise<SimDevice> => {
      const device = await connectDevice({
        url: system.mqttUrl,
        ...cred,
        boot: 1,
        reconnectPeriodMs: 50,
        connectTimeoutMs: 5000,
      });
      onTestFinished(() => device.kill());
      return device;
    };
    const a = await connect(tearer);
    const b = await connect(bystander);

    const tears = [];
    for (const [i, cut] of CUTS.entries()) {
      const state = STATES[i]!;
      const pressed = await a.pressTorn(state, cut);
      expect(pressed).toMatchObject({ seq: i + 1, boot: 1 });
      expect(pressed.tear).not.toBeNull();
      tears.push(pressed.tear!);
      expect(pressed.tear!.sentBytes).toBe(cutPoint(pressed.tear!.packetBytes, cut));
      // The PUBACK came after the resend's commit; the server's ack follows it. Waiting for it
      // also keeps inbound bytes from meeting the next cut.
      await a.waitForAck({ seq: i + 1, status: 'received' }, 5000);
      // Between cuts the server still takes another device's press.
      expect(await b.press('blue')).toEqual({ seq: i + 1, boot: 1 });
    }

    expect(a.tornPackets).toBe(CUTS.length);
    // The cuts happened on the wire: each torn connection closed holding the start of a QoS 1
    // PUBLISH (0x32), exactly as many bytes as the device sent, fewer than the packet has.
    expect(watch.incomplete).toEqual(
      tears.map((t) => ({
        firstByte: 0x32,
        have: t.sentBytes,
        need: t.sentBytes === 1 ? null : t.packetBytes,
      })),
    );
    expect(tears[0]!.sentBytes).toBe(1);
    expect(tears.at(-1)!.sentBytes).toBe(tears.at(-1)!.packetBytes - 1);

    // Each torn press is stored once, in its colour; the bystander's presses too.
    expect(storedPresses(system, tearer.id)).toEqual(STATES.map((state, i) => ({ seq: i + 1, state, n: 1 })));
    expect(storedPresses(system, bystander.id)).toEqual(STATES.map((_, i) => ({ seq: i + 1, state: 'blue', n: 1 })));
    expect(a.connected).toBe(true);
    expect(await healthy(system)).toBe(true);
    // The metrics still answer, and the device is back online.
    expect((await fetch(`${system.httpUrl}/metrics`)).status).toBe(200);
    expect(system.stores.devices.get(tearer.id)?.online).toBe(true);
  });

  it('when a light device tears presses, one with another press in flight, then it reconnects, resends with DUP set, and every press is stored once', async () => {
    const system = await startTestSystem();
    const watch = watchServerSockets(system.broker!.server);
    const creds = [system.provision(), system.provision()];
    const errors: Error[] = [];
    const fleet = await startLightFleet({
      host: '127.0.0.1',
      port: system.mqttAddress!.port,
      devices: creds,
      connectTimeoutMs: 5000,
      onError: (_i, err) => errors.push(err),
    });
    onTestFinished(() => fleet.close());
    expect(fleet.connectedCount()).toBe(2);

    const tears = [];
    for (const [i, cut] of CUTS.entries()) {
      const pressed = await fleet.pressTorn(0, STATES[i]!, cut);
      expect(pressed).toMatchObject({ seq: i + 1, boot: 1 });
      expect(pressed.tear.sentBytes).toBe(cutPoint(pressed.tear.packetBytes, cut));
      tears.push(pressed.tear);
      expect(fleet.isConnected(0)).toBe(true);
      expect(await fleet.press(1, 'blue')).toEqual({ seq: i + 1, boot: 1 });
    }
    expect(watch.incomplete).toEqual(
      tears.map((t) => ({ firstByte: 0x32, have: t.sentBytes, need: t.sentBytes === 1 ? null : t.packetBytes })),
    );
    // Every torn press went out again whole, marked as a redelivery [MQTT-3.3.1-1].
    expect(watch.publishes.filter((b) => b === 0x3a).length).toBeGreaterThanOrEqual(CUTS.length);

    // A press whose bytes were all sent, torn away with the next one before its PUBACK: both are
    // resent; the server takes the repeat as a redelivery (same boot and seq).
    const [whole, torn] = await Promise.all([fleet.press(0, 'yellow'), fleet.pressTorn(0, 'red', 0.5)]);
    expect(whole.seq).toBe(CUTS.length + 1);
    expect(torn.seq).toBe(CUTS.length + 2);

    expect(fleet.tornPackets()).toBe(CUTS.length + 1);
    expect(watch.incomplete).toHaveLength(CUTS.length + 1);
    expect(errors).toEqual([]);
    const expected = [
      ...STATES.map((state, i) => ({ seq: i + 1, state, n: 1 })),
      { seq: 7, state: 'yellow', n: 1 },
      { seq: 8, state: 'red', n: 1 },
    ];
    expect(storedPresses(system, creds[0]!.id)).toEqual(expected);
    expect(storedPresses(system, creds[1]!.id)).toEqual(STATES.map((_, i) => ({ seq: i + 1, state: 'blue', n: 1 })));
    expect(await healthy(system)).toBe(true);
  });

  it('when pressTorn gets a cut outside [0, 1) or a device that is not connected, then it refuses', async () => {
    const system = await startTestSystem();
    const cred = system.provision();
    const fleet = await startLightFleet({ host: '127.0.0.1', port: system.mqttAddress!.port, devices: [cred] });
    onTestFinished(() => fleet.close());
    await expect(fleet.pressTorn(0, 'red', 1)).rejects.toThrow(RangeError);
    const device = await connectDevice({ url: system.mqttUrl, ...cred, boot: 2 });
    onTestFinished(() => device.kill());
    await expect(device.pressTorn('red', -0.5)).rejects.toThrow(/cut must be in \[0, 1\)/);
    // The mqtt.js device took over the light device's session: the light device is down now.
    await new Promise((r) => setTimeout(r, 100));
    await expect(fleet.pressTorn(0, 'red', 0.5)).rejects.toThrow(/not connected/);
  });

  it('when a chaos run of the CLI tears presses, then the server saw each cut and every acknowledged press is stored once', async () => {
    const system = await startTestSystem();
    const watch = watchServerSockets(system.broker!.server);
    const devices = Array.from({ length: 3 }, () => system.provision());
    const file = join(tempDir('ribbon-sim-tear-'), 'devices.json');
    await writeCredentials(file, { url: system.mqttUrl, devices });
    const out: string[] = [];
    const err: string[] = [];
    let result: ProfileRunResult | undefined;
    const controller = new AbortController();
    const guard = setTimeout(() => controller.abort(), 20_000);
    onTestFinished(() => clearTimeout(guard));
    // Seed 4 plans 7 tears for 3 devices over 6 sim hours (1 s real at this speed).
    const code = await main(
      ['--credentials', file, '--profile', 'chaos', '--speed', '20000', '--duration', '21600', '--seed', '4'],
      {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        signal: controller.signal,
        onProfileResult: (r) => (result = r),
      },
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const r = result!;
    expect(r.completed).toBe(true);
    expect(r.failed).toBe(0);
    expect(r.planned.tear).toBe(7);
    expect(r.done.tear).toBe(7);
    // A drop planned for the same instant may take the link before a cut's bytes are out (the
    // press is resent all the same): at most as many cuts on the wire as tears.
    expect(r.torn).toBeGreaterThan(0);
    expect(r.torn).toBeLessThanOrEqual(7);
    expect(out.at(-1)).toMatch(new RegExp(`, cut mid-packet ${r.torn}$`));
    // Every cut on the wire reached the server as a connection closed inside a QoS 1 PUBLISH.
    expect(watch.incomplete).toHaveLength(r.torn);
    for (const cut of watch.incomplete) {
      expect(cut.firstByte).toBe(0x32);
      if (cut.need !== null) expect(cut.have).toBeLessThan(cut.need);
    }
    expect(await healthy(system)).toBe(true);
    // Every acknowledged press, torn ones included, is stored exactly once.
    const rows = system.stores.db
      .prepare(
        'SELECT device_id AS device, boot, seq, COUNT(*) AS n FROM events WHERE seq IS NOT NULL GROUP BY device_id, boot, seq',
      )
      .all() as Array<{ device: string; boot: number; seq: number; n: number }>;
    expect(rows.filter((row) => row.n !== 1)).toEqual([]);
    const stored = new Set(rows.map((row) => `${row.device}/${row.boot}/${row.seq}`));
    expect(r.acked.filter((a) => !stored.has(`${a.device}/${a.boot}/${a.seq}`))).toEqual([]);
  });
});
