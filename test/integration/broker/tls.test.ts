import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { main } from '../../../device-sim/cli.js';
import { CertificateRefusedError, connectDevice } from '../../../device-sim/device.js';
import { listenFailureMessage } from '../../../server/start-failure.js';
import { loadConfig } from '../../../server/config.js';
import { client, loginAdmin } from '../../helpers/api.js';
import { freePort } from '../../helpers/child-server-core.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem, tempDir, type TestSystem } from '../../helpers/system.js';
import { caSignedCert } from '../../helpers/tls.js';
import { requireProgram, waitUntil } from '../../helpers/tools.js';

// MQTT over TLS on the embedded broker (issue 16): certificates made with Debian's openssl at
// test time, presses from Debian's mosquitto_pub and from the simulator, real sockets on loopback.

const run = promisify(execFile);
const openssl = requireProgram('/usr/bin/openssl', 'openssl');
const mosquittoPub = requireProgram('/usr/bin/mosquitto_pub', 'mosquitto-clients');

type Certs = ReturnType<typeof caSignedCert>;

// Certificates are made once per file (openssl takes a while on a busy machine) and removed after it.
const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ribbon-mqtts-'));
afterAll(() => fs.rmSync(certDir, { recursive: true, force: true }));
const made = new Map<string, Certs>();
function certsFor(kind: 'valid' | 'expired' | 'other'): Certs {
  let certs = made.get(kind);
  if (certs === undefined) {
    const dir = path.join(certDir, kind);
    fs.mkdirSync(dir);
    certs = caSignedCert(dir, { expired: kind === 'expired' });
    made.set(kind, certs);
  }
  return certs;
}

/** A system whose broker speaks TLS with a CA-signed certificate; plain MQTT off unless `env` says. */
async function tlsSystem(
  opts: { expired?: boolean; env?: Record<string, string> } = {},
): Promise<{ system: TestSystem; certs: Certs; port: number }> {
  const certs = certsFor(opts.expired ? 'expired' : 'valid');
  const system = await startTestSystem({
    scheduler: false,
    env: { MQTT_TLS_CERT_FILE: certs.certFile, MQTT_TLS_KEY_FILE: certs.keyFile, ...opts.env },
  });
  if (system.mqttsAddress === null) throw new Error('the broker does not speak TLS');
  return { system, certs, port: system.mqttsAddress.port };
}

/** mosquitto_pub of one press over TLS; resolves with its exit code and output (never rejects). */
async function pressWithMosquitto(
  port: number,
  device: { id: string; secret: string },
  cafile: string,
): Promise<{ code: number; output: string }> {
  const args = ['-V', 'mqttv311', '-h', '127.0.0.1', '-p', String(port), '--cafile', cafile, '-q', '1'];
  args.push('-i', device.id, '-u', device.id, '-P', device.secret);
  args.push('-t', `ribbon/${device.id}/state`, '-m', '{"state":"red","seq":1,"boot":1}');
  try {
    const { stdout, stderr } = await run('/usr/bin/mosquitto_pub', args, { timeout: 10_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function refusedConnection(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
  });
}

describe.skipIf(!openssl.available)('MQTT over TLS', () => {
  it.skipIf(!mosquittoPub.available)(
    'when a device presses over TLS with mosquitto_pub --cafile, then it gets its PUBACK and the press is stored',
    async () => {
      const { system, certs, port } = await tlsSystem();
      const device = system.provision();
      const result = await pressWithMosquitto(port, device, certs.caFile);
      // mosquitto_pub exits 0 only once it has the PUBACK (QoS 1).
      expect(result, result.output).toMatchObject({ code: 0 });
      const events = system.stores.events.listForHousehold(device.householdId);
      expect(events.map((e) => e.state)).toEqual(['red']);
    },
  );

  it('when the simulator connects over TLS verifying the certificate, then its press is PUBACKed and acked', async () => {
    const { system, certs } = await tlsSystem();
    const d = system.provision();
    const device = await connectDevice({ url: system.mqttsUrl, id: d.id, secret: d.secret, ca: certs.ca, boot: 1 });
    onTestFinished(() => device.kill());
    const ack = device.waitForAck({ seq: 1, status: 'received' }, 5000);
    await device.press('red');
    expect(device.acked).toEqual([1]);
    await expect(ack).resolves.toMatchObject({ seq: 1, status: 'received' });
    expect(system.stores.events.listForHousehold(d.householdId)).toHaveLength(1);
  });

  it('when a device is provisioned, then its label says the TLS port and tls: true, and the simulator run from that label presses over TLS', async () => {
    const mqttsPort = await freePort();
    const { system, certs } = await tlsSystem({ env: { MQTTS_PORT: String(mqttsPort) } });
    const householdId = system.provision().householdId;
    const admin = client(system.app, await loginAdmin(system.app));
    const made = await admin('POST', '/api/devices', { householdId }, { host: '127.0.0.1' });
    expect(made.statusCode, made.body).toBe(201);
    const issued = made.json() as { id: string; secret: string; connect: { host: string; port: number; tls: boolean } };
    expect(issued.connect).toEqual({ host: '127.0.0.1', port: mqttsPort, tls: true });

    // The QR code's text, as the dashboard writes it (dashboard/src/views/device-secret.ts).
    const dir = tempDir();
    const label = path.join(dir, 'label.json');
    fs.writeFileSync(label, JSON.stringify({ v: 1, ...issued.connect, id: issued.id, secret: issued.secret }));
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      [
        '--label',
        label,
        '--ca',
        certs.caFile,
        '--presses-per-hour',
        '36000',
        '--heartbeat',
        '3600',
        '--duration',
        '1',
        '--seed',
        '7',
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    expect(code, err.join('\n')).toBe(0);
    expect(out[0]).toContain(`mqtts://127.0.0.1:${mqttsPort}`);
    expect(out.some((l) => /puback=/.test(l))).toBe(true);
    expect(system.stores.events.listForHousehold(householdId).length).toBeGreaterThan(0);
  });

  it('when the simulator is given a plain URL with --tls, then it connects over TLS; --ca without TLS is a usage error', async () => {
    const { system, certs, port } = await tlsSystem();
    const d = system.provision();
    const dir = tempDir();
    const credentials = path.join(dir, 'devices.json');
    fs.writeFileSync(credentials, JSON.stringify({ devices: [d] }));
    const io = { out: () => {}, err: (l: string) => errors.push(l) };
    const errors: string[] = [];
    const base = ['--credentials', credentials, '--ca', certs.caFile, '--presses-per-hour', '0', '--duration', '0.2'];
    expect(await main([...base, '--url', `mqtt://127.0.0.1:${port}`], io)).toBe(2);
    expect(errors.join('\n')).toMatch(/--ca needs TLS/);
    expect(await main([...base, '--url', `mqtt://127.0.0.1:${port}`, '--tls'], io)).toBe(0);
  });

  it('when the client trusts another CA, then verification fails, nothing is sent, and the server logs the refused handshake', async () => {
    const { system, port } = await tlsSystem();
    const d = system.provision();
    const other = certsFor('other');
    const refused = connectDevice({ url: system.mqttsUrl, id: d.id, secret: d.secret, ca: other.ca });
    await expect(refused).rejects.toBeInstanceOf(CertificateRefusedError);
    await expect(refused).rejects.toThrow(/certificate was not accepted/);
    if (mosquittoPub.available) {
      const result = await pressWithMosquitto(port, d, other.caFile);
      expect(result.code).not.toBe(0);
    }
    expect(system.stores.events.listForHousehold(d.householdId)).toEqual([]);
    await waitUntil(
      () => system.logs.find((l) => /TLS handshake did not complete/.test(l.msg)) !== undefined,
      'the log line',
    );
  });

  it('when the server certificate has expired, then a verifying client refuses it', async () => {
    const { system, certs, port } = await tlsSystem({ expired: true });
    const d = system.provision();
    const refused = connectDevice({ url: system.mqttsUrl, id: d.id, secret: d.secret, ca: certs.ca });
    await expect(refused).rejects.toMatchObject({ name: 'CertificateRefusedError', code: 'CERT_HAS_EXPIRED' });
    if (mosquittoPub.available) {
      const result = await pressWithMosquitto(port, d, certs.caFile);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/TLS|expired|verify/i);
    }
    expect(system.stores.events.listForHousehold(d.householdId)).toEqual([]);
  });

  it('when plain MQTT clients knock on the TLS port, then they get no CONNACK, are logged at a bounded rate, and TLS devices are still served', async () => {
    const { system, certs, port } = await tlsSystem();
    const d = system.provision();
    const attempts = await Promise.all(
      Array.from({ length: 30 }, () =>
        RawMqtt.connect(port, { clientId: d.id, username: d.id, password: d.secret }).then(
          () => 'connack',
          () => 'closed without a CONNACK',
        ),
      ),
    );
    expect(new Set(attempts)).toEqual(new Set(['closed without a CONNACK']));
    const logged = system.logs.lines.filter((l) => /TLS handshake did not complete/.test(l.msg));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.length).toBeLessThanOrEqual(20 + 2); // the refusal log's burst, then 2/s
    expect(logged[0]).toMatchObject({ address: '127.0.0.1' });

    const { raw, connack } = await RawMqtt.connect(port, {
      clientId: d.id,
      username: d.id,
      password: d.secret,
      tls: { ca: certs.ca },
    });
    expect(connack.returnCode).toBe(0);
    raw.send(raw.publish(`ribbon/${d.id}/state`, 'red', 1));
    await raw.next((p) => p.cmd === 'puback');
    expect(system.stores.events.listForHousehold(d.householdId)).toHaveLength(1);
  });

  it('when TLS is configured without MQTT_PLAIN, then the plain port does not listen; with MQTT_PLAIN=on both do', async () => {
    const plainPort = await freePort();
    const tlsOnly = await tlsSystem({ env: { MQTT_PORT: String(plainPort) } });
    expect(tlsOnly.system.mqttAddress).toBeNull();
    expect(await refusedConnection(plainPort)).toBe('ECONNREFUSED');
    await tlsOnly.system.stop();

    const both = await tlsSystem({ env: { MQTT_PLAIN: 'on' } });
    const d = both.system.provision();
    const plain = await RawMqtt.connect(both.system.mqttAddress?.port ?? -1, {
      clientId: d.id,
      username: d.id,
      password: d.secret,
    });
    expect(plain.connack.returnCode).toBe(0);
  });

  it('when the HTTPS certificate is set and no MQTT one, then MQTT over TLS uses it', async () => {
    const certs = certsFor('valid');
    const system = await startTestSystem({
      scheduler: false,
      env: { TLS_CERT_FILE: certs.certFile, TLS_KEY_FILE: certs.keyFile },
    });
    expect(system.mqttAddress).toBeNull();
    const d = system.provision();
    const { connack } = await RawMqtt.connect(system.mqttsAddress?.port ?? -1, {
      clientId: d.id,
      username: d.id,
      password: d.secret,
      tls: { ca: certs.ca },
    });
    expect(connack.returnCode).toBe(0);
  });
});

describe.skipIf(!openssl.available)('the TLS listener keeps the limits of the plain one, counted from accept', () => {
  it('when a socket on the TLS port starts no handshake, or finishes it and sends no CONNECT, then it is closed at the connect timeout', async () => {
    const timeoutMs = 600;
    const { system, certs, port } = await tlsSystem({ env: { MQTT_CONNECT_TIMEOUT_MS: String(timeoutMs) } });
    const started = Date.now();
    const silent = net.connect({ port, host: '127.0.0.1' });
    silent.on('error', () => {});
    onTestFinished(() => {
      silent.destroy();
    });
    const silentClosed = new Promise<number>((resolve) => silent.once('close', () => resolve(Date.now() - started)));
    const idle = await RawMqtt.open(port, { tls: { ca: certs.ca } });
    await idle.expectClosed(timeoutMs + 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeoutMs - 50);
    const silentAfter = await silentClosed;
    expect(silentAfter).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(silentAfter).toBeLessThan(timeoutMs + 3000);
    expect(
      system.logs.find((l) => /no TLS handshake and CONNECT within the connect timeout/.test(l.msg)),
    ).toBeDefined();
  });

  it('when a handshake dribbles in a byte at a time, then the connect timeout still closes it, counted from accept', async () => {
    const timeoutMs = 600;
    const { port } = await tlsSystem({ env: { MQTT_CONNECT_TIMEOUT_MS: String(timeoutMs) } });
    // A real ClientHello, sent one byte every 50 ms: activity that must not keep the socket open.
    const hello = await captureClientHello();
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    onTestFinished(() => {
      socket.destroy();
    });
    const started = Date.now();
    let i = 0;
    const drip = setInterval(() => {
      if (i < hello.length && !socket.destroyed) socket.write(hello.subarray(i, ++i));
    }, 50);
    onTestFinished(() => clearInterval(drip));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const after = Date.now() - started;
    expect(after).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(after).toBeLessThan(timeoutMs + 2000);
  });

  it('when an address opens more TLS sockets than its limit without a CONNECT, then the extra one is closed at accept', async () => {
    const { system, certs, port } = await tlsSystem({ env: { MQTT_CONNECT_BURST: '2' } });
    const waiting = [
      await RawMqtt.open(port, { tls: { ca: certs.ca } }),
      await RawMqtt.open(port, { tls: { ca: certs.ca } }),
    ];
    await expect(RawMqtt.open(port, { tls: { ca: certs.ca } })).rejects.toThrow();
    expect(waiting.map((r) => r.isClosed)).toEqual([false, false]);
    expect(system.logs.find((l) => /waiting for their CONNECT/.test(l.msg))?.address).toBe('127.0.0.1');
    // Closed sockets no longer count: the address may connect again (once the server has seen
    // the closes, a moment after the client).
    for (const r of waiting) r.socket.destroy();
    const d = system.provision();
    await vi.waitFor(
      async () => {
        const { connack } = await RawMqtt.connect(port, {
          clientId: d.id,
          username: d.id,
          password: d.secret,
          tls: { ca: certs.ca },
        });
        expect(connack.returnCode).toBe(0);
      },
      { timeout: 3000, interval: 50 },
    );
  });

  it('when a packet over TLS announces more than MQTT_MAX_PACKET_BYTES, then the connection is closed without a PUBACK', async () => {
    const { system, certs, port } = await tlsSystem({ env: { MQTT_MAX_PACKET_BYTES: '256' } });
    const d = system.provision();
    const { raw } = await RawMqtt.connect(port, {
      clientId: d.id,
      username: d.id,
      password: d.secret,
      tls: { ca: certs.ca },
    });
    raw.send(raw.publish(`ribbon/${d.id}/state`, 'x'.repeat(400), 1));
    await raw.expectClosed();
    expect(raw.packets.some((p) => p.cmd === 'puback')).toBe(false);
    expect(system.logs.find((l) => /packet refused before buffering/.test(l.msg))).toBeDefined();
  });
});

describe.skipIf(!openssl.available)('a TLS configuration that cannot work stops the start', () => {
  it('when the MQTT key file is missing, then the start fails naming the variables and the file', async () => {
    const certs = certsFor('valid');
    const missing = path.join(tempDir(), 'no-such-key.pem');
    await expect(
      startTestSystem({ env: { MQTT_TLS_CERT_FILE: certs.certFile, MQTT_TLS_KEY_FILE: missing } }),
    ).rejects.toThrow(/MQTT_TLS_CERT_FILE \/ MQTT_TLS_KEY_FILE.*no-such-key\.pem/);
  });

  it('when the key does not match the certificate, then the start fails naming the variables', async () => {
    const certs = certsFor('valid');
    const other = certsFor('other');
    await expect(
      startTestSystem({ env: { MQTT_TLS_CERT_FILE: certs.certFile, MQTT_TLS_KEY_FILE: other.keyFile } }),
    ).rejects.toThrow(/MQTT_TLS_CERT_FILE \/ MQTT_TLS_KEY_FILE .* not a usable PEM certificate and matching key/);
  });

  it('when MQTTS_PORT is in use, then the start fails and the message names MQTTS_PORT', async () => {
    const certs = certsFor('valid');
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as net.AddressInfo).port;
    const env = { MQTT_TLS_CERT_FILE: certs.certFile, MQTT_TLS_KEY_FILE: certs.keyFile, MQTTS_PORT: String(port) };
    const failure = await startTestSystem({ env }).catch((err: unknown) => err);
    const config = loadConfig({ ...env, PORT: '0', MQTT_PORT: '0', DATA_DIR: tempDir() });
    expect(listenFailureMessage(failure, config)).toMatch(new RegExp(`^MQTTS_PORT=${port} is already in use`));
  });
});

/** The first bytes a TLS client sends (its ClientHello), caught by a listener that answers nothing. */
async function captureClientHello(): Promise<Buffer> {
  const server = net.createServer();
  const got = new Promise<Buffer>((resolve) =>
    server.once('connection', (s) =>
      s.once('data', (chunk: Buffer) => {
        resolve(chunk);
        s.destroy();
      }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  const c = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return hello;
}
