// The device simulator against a real aedes broker on loopback (port 0), over real sockets.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main, USAGE } from '../../../device-sim/cli.js';
import { loadCredentials } from '../../../device-sim/credentials.js';
import { parseCredentials, type CredentialsFile } from '../../../protocol/credentials.js';
import { writeCredentials } from '../../../server/admin/credentials-file.js';
import {
  connectDevice,
  ConnectRefusedError,
  DeviceClosedError,
  type ConnectDeviceOptions,
  type SimDevice,
} from '../../../device-sim/device.js';
import { closeFleet, connectFleet } from '../../../device-sim/fleet.js';
import { createRandom } from '../../../device-sim/random.js';
import { startSimBroker, type SimBroker } from '../../helpers/sim-broker.js';
import { freePort } from '../../helpers/child-server-core.js';

const ID = 'dev-test-1';
const SECRET = 's3cret-1';

async function connect(sim: SimBroker, opts: Partial<ConnectDeviceOptions> = {}): Promise<SimDevice> {
  const device = await connectDevice({
    url: sim.url,
    id: ID,
    secret: SECRET,
    reconnectPeriodMs: 20,
    connectTimeoutMs: 5000,
    ...opts,
  });
  onTestFinished(() => device.kill());
  return device;
}

const onTopic =
  (topic: string, payload?: string) =>
  (p: { topic: string; payload: Buffer | string }): boolean =>
    p.topic === topic && (payload === undefined || p.payload.toString() === payload);

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ribbon-sim-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('device', () => {
  it('when a device presses, then press resolves on PUBACK and the broker sees the exact JSON on its state topic', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });
    const fixed = new Date('2026-11-25T00:00:00Z');
    const device = await connect(sim, { boot: 7, now: () => fixed });

    const result = await device.press('red', { battery: 87 });
    expect(result).toEqual({ seq: 1, boot: 7 });
    expect(device.acked).toEqual([1]);

    const packet = await sim.waitForPublish(onTopic(`ribbon/${ID}/state`));
    expect(packet.qos).toBe(1);
    expect(packet.retain).toBe(false);
    const text = packet.payload.toString();
    const at = (JSON.parse(text) as { at: string }).at;
    expect(text).toBe(`{"state":"red","seq":1,"boot":7,"at":"${at}","battery":87}`);
    // Local time with its offset, as in the contract: 2026-11-25T08:00:00+08:00.
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(Date.parse(at)).toBe(fixed.getTime());
  });

  it('when boot, at and battery are not given, then the JSON leaves them out', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });
    const device = await connect(sim);

    await device.press('blue', { at: null });
    await device.press('yellow', { at: '2026-11-25T08:00:00+08:00' });

    const [first, second] = await sim.waitForPublishes(onTopic(`ribbon/${ID}/state`), 2);
    expect(first!.payload.toString()).toBe('{"state":"blue","seq":1}');
    expect(second!.payload.toString()).toBe('{"state":"yellow","seq":2,"at":"2026-11-25T08:00:00+08:00"}');
  });

  it('when a device connects, then it holds a retained 1 on its online topic and a later subscriber reads it', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET, observer: 'o' } });
    await connect(sim);

    const packet = await sim.waitForPublish(onTopic(`ribbon/${ID}/online`));
    expect(packet.payload.toString()).toBe('1');
    expect(packet.retain).toBe(true);
    expect(packet.qos).toBe(1);

    expect(await readRetained(sim, `ribbon/${ID}/online`)).toBe('1');
  });

  it('when a device is killed, then the broker publishes its will: a retained 0 on its online topic', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET, observer: 'o' } });
    const device = await connect(sim);

    await device.kill();

    const will = await sim.waitForPublish(onTopic(`ribbon/${ID}/online`, '0'));
    expect(will.retain).toBe(true);
    expect(will.qos).toBe(1);
    expect(device.connected).toBe(false);
    expect(await readRetained(sim, `ribbon/${ID}/online`)).toBe('0');
  });

  it('when a device closes cleanly, then no will is published and online stays 1', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET, observer: 'o' } });
    const device = await connect(sim);

    const gone = sim.waitForDisconnect(ID);
    await device.close();
    await gone;

    expect(sim.published.filter(onTopic(`ribbon/${ID}/online`, '0'))).toEqual([]);
    expect(await readRetained(sim, `ribbon/${ID}/online`)).toBe('1');
    await expect(device.press('blue')).rejects.toThrow(/after close\(\) or kill\(\)/);
  });

  it('when the secret is wrong, then connectDevice rejects with the CONNACK return code and does not retry', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });

    const attempt = connectDevice({ url: sim.url, id: ID, secret: 'wrong', reconnectPeriodMs: 10 });

    await expect(attempt).rejects.toBeInstanceOf(ConnectRefusedError);
    await expect(attempt).rejects.toMatchObject({
      returnCode: 4,
      message: expect.stringMatching(/refused CONNECT.*return code 4/),
    });
    // Absence of a retry has no event to wait for: give mqtt.js 20 reconnect periods.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sim.authAttempts).toEqual([{ id: ID, ok: false }]);
  });

  it('when nothing listens at the url, then connectDevice rejects after connectTimeoutMs naming the last error', async () => {
    const port = await freePort();

    const attempt = connectDevice({
      url: `mqtt://127.0.0.1:${port}`,
      id: ID,
      secret: SECRET,
      reconnectPeriodMs: 20,
      connectTimeoutMs: 300,
    });

    await expect(attempt).rejects.toThrow(/could not connect .* within 300 ms \(last error: .*ECONNREFUSED/);
  });

  it('when the connection drops before the PUBACK, then the press is resent after the reconnect and resolves', async () => {
    let refusedOnce = false;
    const sim = await startSimBroker({
      accounts: { [ID]: SECRET },
      authorizePublish(_client, packet, cb) {
        // MQTT 3.1.1 has no negative PUBACK: an error here makes aedes drop the connection.
        if (packet.topic === `ribbon/${ID}/state` && !refusedOnce) {
          refusedOnce = true;
          return cb(new Error('simulated failure before the commit'));
        }
        cb(null);
      },
    });
    const device = await connect(sim, { boot: 1 });
    const offline = new Promise<void>((resolve) => device.on('offline', resolve));

    const result = await device.press('red');
    await offline;

    expect(refusedOnce).toBe(true);
    expect(result).toEqual({ seq: 1, boot: 1 });
    expect(device.acked).toEqual([1]);
    const presses = sim.published.filter(onTopic(`ribbon/${ID}/state`));
    expect(presses.map((p) => JSON.parse(p.payload.toString()) as unknown)).toEqual([
      expect.objectContaining({ state: 'red', seq: 1, boot: 1 }),
    ]);
    // Every (re)connect says online again, overwriting the will the drop caused.
    await sim.waitForPublishes(onTopic(`ribbon/${ID}/online`, '1'), 2);
    expect(sim.authAttempts).toHaveLength(2);
  });

  it('when the connection drops while idle, then the will fires, the device reconnects, says online again and presses', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });
    const device = await connect(sim);
    const reconnected = new Promise<void>((resolve) => device.on('connect', resolve));

    device.dropConnection();
    await sim.waitForPublish(onTopic(`ribbon/${ID}/online`, '0'));
    await reconnected;

    await sim.waitForPublishes(onTopic(`ribbon/${ID}/online`, '1'), 2);
    expect(await device.press('blue')).toEqual({ seq: 1, boot: undefined });
    expect(device.connected).toBe(true);
  });

  it('when the device reboots, then seq restarts at 1 and boot goes up by one', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });
    const device = await connect(sim, { boot: 3 });

    const before = [await device.press('blue'), await device.press('blue')];
    device.reboot();
    const after = await device.press('yellow');

    expect(before).toEqual([
      { seq: 1, boot: 3 },
      { seq: 2, boot: 3 },
    ]);
    expect(after).toEqual({ seq: 1, boot: 4 });
    expect(device.acked).toEqual([1, 2, 1]);
    const last = (await sim.waitForPublishes(onTopic(`ribbon/${ID}/state`), 3))[2]!;
    expect(JSON.parse(last.payload.toString())).toMatchObject({ state: 'yellow', seq: 1, boot: 4 });
  });

  it('when a device without boot reboots, then boot stays absent and seq restarts', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });
    const device = await connect(sim, { startSeq: 41 });

    expect(await device.press('blue')).toEqual({ seq: 42, boot: undefined });
    device.reboot();
    expect(await device.press('blue')).toEqual({ seq: 1, boot: undefined });
    expect(device.boot).toBeUndefined();
  });

  it('when the server publishes acks, then the device parses them, counts the unreadable ones and waitForAck resolves', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });
    const device = await connect(sim);
    const seen: unknown[] = [];
    device.on('ack', (ack) => seen.push(ack));
    const { seq } = await device.press('red');
    const acknowledged = device.waitForAck({ seq, status: 'acknowledged' }, 5000);

    await sim.publish(`ribbon/${ID}/ack`, 'not json');
    await sim.publish(`ribbon/${ID}/ack`, JSON.stringify({ seq, status: 'received' }));
    await sim.publish(`ribbon/${ID}/ack`, JSON.stringify({ seq, status: 'acknowledged' }));

    expect(await acknowledged).toEqual({ seq, status: 'acknowledged' });
    // Already received: resolves at once.
    expect(await device.waitForAck((a) => a.status === 'received', 5000)).toEqual({ seq, status: 'received' });
    expect(device.acks).toEqual([
      { seq, status: 'received' },
      { seq, status: 'acknowledged' },
    ]);
    expect(seen).toEqual(device.acks);
    expect(device.unparsableAcks).toBe(1);
    await expect(device.waitForAck({ status: 'resolved' }, 20)).rejects.toThrow(/no matching ack within 20 ms/);
  });

  it('when the device is closed, then a pending waitForAck rejects', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });
    const device = await connect(sim);
    const pending = device.waitForAck({ status: 'resolved' }, 10_000);

    await device.close();

    await expect(pending).rejects.toBeInstanceOf(DeviceClosedError);
  });

  it('when a device sends a heartbeat, a bare press and raw payloads, then the broker sees them on the right topics', async () => {
    const sim = await startSimBroker({ accounts: { [ID]: SECRET } });
    const device = await connect(sim);

    await device.heartbeat(55);
    await device.pressBare('red');
    await device.publishRaw('state', '{"state":"purple"', 0);
    await device.publishRaw(`ribbon/${ID}/extra/level`, Buffer.from([0xff, 0x00]));

    await sim.waitForPublish(onTopic(`ribbon/${ID}/extra/level`));
    const mine = sim.published.filter((p) => !p.topic.endsWith('/online'));
    expect(mine.map((p) => [p.topic, p.payload.toString('latin1'), p.qos])).toEqual([
      [`ribbon/${ID}/heartbeat`, '{"battery":55}', 1],
      [`ribbon/${ID}/state`, 'red', 1],
      [`ribbon/${ID}/state`, '{"state":"purple"', 0],
      [`ribbon/${ID}/extra/level`, '\xff\x00', 1],
    ]);
    expect(device.acked).toEqual([]);
    expect(device.seq).toBe(0);
  });
});

describe('fleet', () => {
  const creds = [1, 2, 3].map((n) => ({ id: `dev-fleet-${n}`, secret: `secret-${n}`, householdId: n }));
  const accounts = Object.fromEntries(creds.map((c) => [c.id, c.secret]));

  it('when a fleet connects, then every device is online in credentials order and closeFleet disconnects them all', async () => {
    const sim = await startSimBroker({ accounts });
    const progress: number[] = [];

    const devices = await connectFleet(creds, {
      url: sim.url,
      concurrency: 2,
      onConnected: (_d, n) => progress.push(n),
    });
    onTestFinished(() => closeFleet(devices));

    expect(devices.map((d) => d.id)).toEqual(creds.map((c) => c.id));
    expect(devices.every((d) => d.connected)).toBe(true);
    expect(progress).toEqual([1, 2, 3]);
    const gone = Promise.all(creds.map((c) => sim.waitForDisconnect(c.id)));
    await closeFleet(devices);
    await gone;
    expect(devices.some((d) => d.connected)).toBe(false);
  });

  it('when one device of a fleet is refused, then connectFleet rejects and closes the ones that connected', async () => {
    const sim = await startSimBroker({ accounts });
    const bad = creds.map((c, i) => (i === 1 ? { ...c, secret: 'wrong' } : c));

    const attempt = connectFleet(bad, { url: sim.url, concurrency: 1 });

    await expect(attempt).rejects.toThrow(/1 of 3 devices connected before a failure: .*return code 4/);
    // The first device closed cleanly (no will), the third never tried.
    expect(sim.published.filter((p) => p.payload.toString() === '0')).toEqual([]);
    expect(sim.authAttempts.map((a) => a.id)).toEqual(['dev-fleet-1', 'dev-fleet-2']);
  });
});

describe('credentials', () => {
  const valid = { url: 'mqtt://127.0.0.1:1883', devices: [{ id: 'dev-a', secret: 'x', householdId: 1 }] };
  const withDevice = (patch: Record<string, unknown>): string =>
    JSON.stringify({ devices: [{ id: 'dev-a', secret: 'x', householdId: 1, ...patch }] });

  it('when the file is valid, then parseCredentials returns it', () => {
    expect(parseCredentials(JSON.stringify(valid))).toEqual(valid);
    expect(parseCredentials(withDevice({}))).toEqual({ devices: valid.devices });
  });

  it.each([
    ['not JSON', '{devices: []', /not valid JSON/],
    ['a top-level array', '[]', /top level must be a JSON object/],
    ['null', 'null', /top level must be a JSON object/],
    ['an unknown top-level field', JSON.stringify({ ...valid, extra: 1 }), /unknown field "extra"/],
    ['no devices', JSON.stringify({ url: valid.url }), /devices is missing/],
    ['devices not an array', JSON.stringify({ devices: {} }), /devices must be an array/],
    ['no device at all', JSON.stringify({ devices: [] }), /at least one device/],
    ['a device that is not an object', JSON.stringify({ devices: ['dev-a'] }), /devices\[0\] must be an object/],
    ['a device with an unknown field', withDevice({ name: 'x' }), /devices\[0\] has an unknown field "name"/],
    ['a missing id', withDevice({ id: undefined }), /devices\[0\]\.id must be a string/],
    ['an empty id', withDevice({ id: '' }), /devices\[0\]\.id must not be empty/],
    ['an id with a slash', withDevice({ id: 'dev/a' }), /devices\[0\]\.id must not contain '\/'/],
    ['an id with a wildcard', withDevice({ id: 'dev+' }), /devices\[0\]\.id must not contain/],
    ['an id with a space', withDevice({ id: 'dev a' }), /devices\[0\]\.id must be printable ASCII/],
    ['an empty secret', withDevice({ secret: '' }), /devices\[0\]\.secret must be a non-empty string/],
    ['a numeric secret', withDevice({ secret: 42 }), /devices\[0\]\.secret must be a non-empty string/],
    ['householdId 0', withDevice({ householdId: 0 }), /devices\[0\]\.householdId must be a positive integer/],
    ['householdId as a string', withDevice({ householdId: '1' }), /householdId must be a positive integer/],
    ['a fractional householdId', withDevice({ householdId: 1.5 }), /householdId must be a positive integer/],
    [
      'a repeated id',
      JSON.stringify({ devices: [valid.devices[0], { ...valid.devices[0], householdId: 2 }] }),
      /devices\[1\]\.id "dev-a" repeats devices\[0\]\.id/,
    ],
    ['a url that is not a string', JSON.stringify({ ...valid, url: 1883 }), /url must be a string/],
    [
      'a url that is not a URL',
      JSON.stringify({ ...valid, url: '127.0.0.1:1883' }),
      /url "127\.0\.0\.1:1883" is not a URL/,
    ],
    [
      'a url without a scheme',
      JSON.stringify({ ...valid, url: 'localhost:1883' }),
      /url "localhost:1883" must start with one of mqtt:\/\//,
    ],
    [
      'an http url',
      JSON.stringify({ ...valid, url: 'http://127.0.0.1' }),
      /url "http:\/\/127\.0\.0\.1" must start with/,
    ],
  ])('when the file has %s, then parseCredentials throws naming it', (_what, text, message) => {
    expect(() => parseCredentials(text)).toThrow(message);
  });

  it('when credentials are written, then the file is mode 0600 and reads back the same', async () => {
    const dir = await tempDir();
    const path = join(dir, 'devices.json');
    await writeFile(path, 'old', { mode: 0o644 });

    await writeCredentials(path, valid);

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadCredentials(path)).toEqual(valid);
    expect(await readFile(path, 'utf8')).toBe(`${JSON.stringify(valid, null, 2)}\n`);
  });

  it('when credentials are invalid, then writeCredentials refuses and leaves no file behind', async () => {
    const dir = await tempDir();
    const path = join(dir, 'devices.json');

    await expect(writeCredentials(path, { devices: [] })).rejects.toThrow(/at least one device/);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('when the file is missing, then loadCredentials names the path', async () => {
    const dir = await tempDir();
    await expect(loadCredentials(join(dir, 'nope.json'))).rejects.toThrow(
      /cannot read credentials file .*nope\.json: ENOENT/,
    );
  });
});

describe('random', () => {
  it('when two generators share a seed, then they give the same sequence; another seed differs', () => {
    const draw = (seed: number): number[] => {
      const rng = createRandom(seed);
      return Array.from({ length: 20 }, () => rng.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('when picking with weights, then choices follow them and int stays in range', () => {
    const rng = createRandom(7);
    const counts = { blue: 0, yellow: 0, red: 0, never: 0 };
    for (let i = 0; i < 10_000; i++) counts[rng.pick({ blue: 90, yellow: 8, red: 2, never: 0 })] += 1;
    expect(counts.never).toBe(0);
    expect(counts.blue / 10_000).toBeCloseTo(0.9, 1);
    expect(counts.yellow / 10_000).toBeCloseTo(0.08, 1);
    expect(counts.red).toBeGreaterThan(100);
    const ints = Array.from({ length: 1000 }, () => rng.int(6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });
});

describe('cli', () => {
  const capture = (): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
  };

  async function credentialsFile(file: CredentialsFile): Promise<string> {
    const path = join(await tempDir(), 'devices.json');
    await writeCredentials(path, file);
    return path;
  }

  it('when run with --help, then it prints the usage and exits 0', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out.join('\n')).toBe(USAGE.trimEnd());
    expect(c.out.join('\n')).toMatch(/--credentials FILE/);
  });

  it.each([
    [['--devices', '2'], /--credentials FILE \(or --label FILE\) is required/],
    [['--credentials', 'f', '--label', 'l'], /--credentials and --label do not go together/],
    [['--credentials', 'f', '--ca='], /--ca needs a FILE/],
    [['--credentials', 'f', '--devices', '0'], /--devices must be a whole number from 1/],
    [['--credentials', 'f', '--devices', '2x'], /--devices must be a whole number/],
    [['--credentials', 'f', '--presses-per-hour=-1'], /--presses-per-hour must be a number at least 0/],
    [['--credentials', 'f', '--heartbeat', '0'], /--heartbeat must be a number greater than 0/],
    [['--credentials', 'f', '--heartbeat', 'abc'], /--heartbeat must be a number/],
    [['--credentials', 'f', '--duration', '1e3'], /--duration must be a number/],
    [['--credentials', 'f', '--seed', '4294967296'], /--seed must be a whole number from 0 to 4294967295/],
    [['--credentials', 'f', '--url', 'http://x'], /--url "http:\/\/x" must start with one of/],
    [['--credentials', 'f', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['--credentials', 'f', 'extra'], /positional argument/],
    [['--credentials'], /argument missing/],
  ])('when run with %j, then it names the problem and exits 2', async (argv, message) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(message);
    expect(c.err.join('\n')).toMatch(/--help/);
  });

  it('when the credentials file is bad or short of devices, then it exits 2 naming the file', async () => {
    const dir = await tempDir();
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"devices":[]}');
    const good = await credentialsFile({ devices: [{ id: 'dev-a', secret: 'x', householdId: 1 }] });

    const c = capture();
    expect(await main(['--credentials', bad], c.io)).toBe(2);
    expect(await main(['--credentials', good, '--devices', '2'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/bad\.json: credentials: devices must list at least one device/);
    expect(c.err.join('\n')).toMatch(/--devices 2, but .*devices\.json lists only 1/);
  });

  it('when run as a program with a bad argument, then the process exits with status 2', async () => {
    const { code, stderr } = await runCli(['--credentials', 'x', '--heartbeat', '-5']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--heartbeat/);
  });

  it('when run against a broker until stopped, then devices press, print PUBACK times and close cleanly', async () => {
    const creds = [1, 2].map((n) => ({ id: `dev-cli-${n}`, secret: `secret-${n}`, householdId: n }));
    const sim = await startSimBroker({ accounts: Object.fromEntries(creds.map((c) => [c.id, c.secret])) });
    const path = await credentialsFile({ url: sim.url, devices: creds });
    const controller = new AbortController();
    const out: string[] = [];
    const err: string[] = [];
    const pressLine = /^\S+ dev-cli-\d (red|yellow|blue)\s+seq=\d+ puback=\d+\.\dms$/;

    const code = await main(
      ['--credentials', path, '--presses-per-hour', '72000', '--heartbeat', '0.05', '--seed', '1'],
      {
        out: (line) => {
          out.push(line);
          // Stop as soon as there are a few presses: the run itself is the event to wait for.
          if (out.filter((l) => pressLine.test(l)).length >= 3) controller.abort();
        },
        err: (line) => err.push(line),
        signal: controller.signal,
      },
    );

    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/connecting 2 device\(s\) to mqtt:\/\/127\.0\.0\.1:\d+ \(seed 1,/);
    expect(out.filter((l) => pressLine.test(l)).length).toBeGreaterThanOrEqual(3);
    expect(out.at(-1)).toMatch(/^presses \d+ \(red \d+, yellow \d+, blue \d+\), heartbeats \d+, puback p50 [\d.]+ ms/);
    const states = sim.published.filter((p) => p.topic.endsWith('/state'));
    expect(states.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(states[0]!.payload.toString())).toMatchObject({ seq: 1, battery: expect.any(Number) });
    // Closed with DISCONNECT: no will.
    expect(sim.published.filter((p) => p.topic.endsWith('/online') && p.payload.toString() === '0')).toEqual([]);
  });

  it('when run with --duration, then it stops by itself', async () => {
    const creds = [{ id: 'dev-cli-d', secret: 'secret-d', householdId: 1 }];
    const sim = await startSimBroker({ accounts: { 'dev-cli-d': 'secret-d' } });
    const path = await credentialsFile({ devices: creds });
    const c = capture();

    const code = await main(
      ['--credentials', path, '--url', sim.url, '--duration', '0.2', '--presses-per-hour', '0', '--heartbeat', '0.05'],
      c.io,
    );

    expect(code).toBe(0);
    expect(c.out.at(-1)).toMatch(/^presses 0 .*heartbeats [1-9]/);
  });
});

/** Subscribes a separate client and returns the retained payload on `topic`. */
async function readRetained(sim: SimBroker, topic: string): Promise<string> {
  const observer = await mqtt.connectAsync(sim.url, {
    protocolVersion: 4,
    clientId: 'observer',
    username: 'observer',
    password: 'o',
    reconnectPeriod: 0,
  });
  onTestFinished(() => observer.endAsync(true));
  const message = new Promise<string>((resolve) => {
    observer.on('message', (t, payload, packet) => {
      if (t === topic && packet.retain) resolve(payload.toString());
    });
  });
  await observer.subscribeAsync(topic, { qos: 1 });
  return message;
}

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'device-sim/cli.ts', ...args],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)), timeout: 20_000 },
      (err, _stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stderr });
      },
    );
  });
}
