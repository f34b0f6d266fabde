import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LISTEN_BACKLOG } from '../../../broker/create-broker.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem } from '../../helpers/system.js';
import { requireProgram } from '../../helpers/tools.js';

// The embedded broker's door: authentication, ACL and limits, over real TCP on port 0.

function mqttPort(system: { mqttAddress: { port: number } | null }): number {
  if (system.mqttAddress === null) throw new Error('embedded broker not started');
  return system.mqttAddress.port;
}

describe('authentication at CONNECT', () => {
  it('when a device connects with its id and secret, then it is accepted', async () => {
    const system = await startTestSystem();
    const device = system.provision();
    const { connack } = await RawMqtt.connect(mqttPort(system), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    expect(connack.returnCode).toBe(0);
  });

  it.each([
    [
      'a wrong secret',
      (d: { id: string; secret: string }) => ({ clientId: d.id, username: d.id, password: `${d.secret}x` }),
      4,
    ],
    [
      'an unknown device',
      () => ({ clientId: 'rp-unknown00000', username: 'rp-unknown00000', password: 'whatever-secret' }),
      4,
    ],
    ['no password', (d: { id: string }) => ({ clientId: d.id, username: d.id }), 4],
    [
      'a client id other than the username',
      (d: { id: string; secret: string }) => ({ clientId: `${d.id}x`, username: d.id, password: d.secret }),
      2,
    ],
    ['no username', (d: { id: string }) => ({ clientId: d.id }), 2],
  ])(
    'when a device connects with %s, then CONNECT is refused (CONNACK %i) and logged',
    async (_name, credentials, code) => {
      const system = await startTestSystem();
      const device = system.provision();
      const { raw, connack } = await RawMqtt.connect(mqttPort(system), credentials(device));
      expect(connack.returnCode).toBe(code);
      await raw.expectClosed();
      expect(system.logs.find((l) => l.level === 40 && /CONNECT refused/.test(l.msg))).toBeDefined();
      // The secret never reaches the log.
      expect(JSON.stringify(system.logs.lines)).not.toContain(device.secret);
    },
  );
});

describe('protocol versions', () => {
  it('when a device CONNECTs with MQTT 3.1 (MQIsdp, level 3), then it is accepted and its press is PUBACKed and stored', async () => {
    const system = await startTestSystem();
    const device = system.provision();
    const { raw, connack } = await RawMqtt.connect(mqttPort(system), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      protocol: '3.1',
    });
    expect(connack.returnCode).toBe(0);
    raw.send(raw.publish(`ribbon/${device.id}/state`, '{"state":"blue","seq":1,"boot":1}', 1));
    await raw.next((p) => p.cmd === 'puback');
    expect(system.stores.events.listForHousehold(device.householdId).map((e) => e.state)).toEqual(['blue']);
  });
});

describe('topic ACL', () => {
  async function connected() {
    const system = await startTestSystem();
    const device = system.provision();
    const other = system.provision();
    const { raw } = await RawMqtt.connect(mqttPort(system), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    return { system, device, other, raw };
  }

  it.each([
    ["another device's state topic", (_d: string, o: string) => `ribbon/${o}/state`],
    ['$SYS', () => '$SYS/broker/clients'],
    ['an unknown channel of its own', (d: string) => `ribbon/${d}/command`],
    ['its own ack topic', (d: string) => `ribbon/${d}/ack`],
    ['a topic outside ribbon/', (d: string) => `other/${d}/state`],
  ])(
    'when a device publishes to %s, then the connection is closed, nothing is stored and the device id is logged',
    async (_name, topic) => {
      const { system, device, other, raw } = await connected();
      raw.send(raw.publish(topic(device.id, other.id), '{"state":"red","seq":1}', 1));
      await raw.expectClosed();
      expect(raw.packets.some((p) => p.cmd === 'puback')).toBe(false);
      expect(system.stores.events.listForHousehold(other.householdId)).toHaveLength(0);
      expect(system.stores.events.listForHousehold(device.householdId)).toHaveLength(0);
      expect(system.logs.find((l) => /PUBLISH refused/.test(l.msg) && l.deviceId === device.id)).toBeDefined();
    },
  );

  it.each([
    ['#', (_d: string, _o: string) => '#'],
    ['+/+/ack', () => '+/+/ack'],
    ['ribbon/+/ack', () => 'ribbon/+/ack'],
    ["another device's ack", (_d: string, o: string) => `ribbon/${o}/ack`],
    ['$SYS/#', () => '$SYS/#'],
    ['its own state topic', (d: string) => `ribbon/${d}/state`],
  ])('when a device subscribes to %s, then SUBACK refuses it with 0x80', async (_name, filter) => {
    const { device, other, raw } = await connected();
    raw.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: filter(device.id, other.id), qos: 1 }] });
    const suback = await raw.next((p) => p.cmd === 'suback');
    expect(suback.cmd === 'suback' && suback.granted).toEqual([128]);
  });

  it('when a device subscribes to its own ack topic, then it is granted', async () => {
    const { device, raw } = await connected();
    raw.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: `ribbon/${device.id}/ack`, qos: 1 }] });
    const suback = await raw.next((p) => p.cmd === 'suback');
    expect(suback.cmd === 'suback' && suback.granted).toEqual([1]);
  });

  it('when a device sets its will on another topic, then CONNECT is refused', async () => {
    const system = await startTestSystem();
    const device = system.provision();
    const raw = await RawMqtt.open(mqttPort(system));
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: device.id,
      keepalive: 60,
      username: device.id,
      password: Buffer.from(device.secret),
      will: { topic: 'ribbon/someone-else/state', payload: Buffer.from('red'), qos: 1, retain: false },
    });
    await raw.expectClosed();
    expect(raw.packets.some((p) => p.cmd === 'connack' && p.returnCode === 0)).toBe(false);
    expect(system.logs.find((l) => /will on a forbidden topic/.test(l.msg))).toBeDefined();
  });
});

describe('limits', () => {
  it('when a packet announces more than MQTT_MAX_PACKET_BYTES, then the connection is closed before its body is buffered', async () => {
    const system = await startTestSystem({ env: { MQTT_MAX_PACKET_BYTES: '4096' } });
    const device = system.provision();
    const { raw } = await RawMqtt.connect(mqttPort(system), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    // A PUBLISH header announcing 100 MiB, followed by only a few bytes: the guard must act on
    // the header alone (mqtt-packet would wait for, and buffer, the whole body).
    const header = Buffer.from([0x32, 0x80, 0x80, 0x80, 0x32]);
    raw.write(Buffer.concat([header, Buffer.alloc(32, 0x61)]));
    await raw.expectClosed(2000);
    expect(system.logs.find((l) => /packet refused before buffering/.test(l.msg))?.reason).toMatch(
      /over the limit of 4096/,
    );
  });

  it('when a press is exactly at the packet limit, then it is accepted; one byte more is refused', async () => {
    const system = await startTestSystem({ env: { MQTT_MAX_PACKET_BYTES: '256' } });
    const device = system.provision();
    const topic = `ribbon/${device.id}/state`;
    const size = (payload: string) =>
      RawMqtt.bytes({
        cmd: 'publish',
        topic,
        payload: Buffer.from(payload),
        qos: 1,
        messageId: 1,
        retain: false,
        dup: false,
      }).length;
    let fits = 'red'; // the bare word with trailing spaces is still a press
    while (size(`${fits} `) <= 256) fits += ' ';
    const ok = await RawMqtt.connect(mqttPort(system), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    ok.raw.send(ok.raw.publish(topic, fits, 1));
    expect(RawMqtt.bytes(ok.raw.publish(topic, fits, 1)).length).toBe(256);
    await ok.raw.next((p) => p.cmd === 'puback');
    ok.raw.send(ok.raw.publish(topic, `${fits} `, 2));
    await ok.raw.expectClosed();
    expect(system.stores.events.listForHousehold(device.householdId)).toHaveLength(1);
  });

  it.each([
    ['0 (never time out)', 0],
    ['over the limit', 301],
  ])(
    'when a device asks for keepalive %s, then the connection is closed without a CONNACK (MQTT 3.1.1 has no code for it) and logged',
    async (_name, keepalive) => {
      const system = await startTestSystem({ env: { MQTT_KEEPALIVE_LIMIT: '300' } });
      const device = system.provision();
      // [MQTT-3.2.2-6]: no return code fits, so no CONNACK at all (aedes alone would send 6).
      await expect(
        RawMqtt.connect(mqttPort(system), {
          clientId: device.id,
          username: device.id,
          password: device.secret,
          keepalive,
        }),
      ).rejects.toThrow(/connection closed before a matching packet/);
      expect(system.logs.find((l) => /keepalive must be 1–300 s/.test(l.msg))).toMatchObject({ keepalive });
    },
  );

  it('when a device asks for a keepalive at the limit, then it is accepted', async () => {
    const system = await startTestSystem({ env: { MQTT_KEEPALIVE_LIMIT: '300' } });
    const device = system.provision();
    const { connack } = await RawMqtt.connect(mqttPort(system), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      keepalive: 300,
    });
    expect(connack.returnCode).toBe(0);
  });

  it('when a socket sends no CONNECT within MQTT_CONNECT_TIMEOUT_MS, then it is closed', async () => {
    const system = await startTestSystem({ env: { MQTT_CONNECT_TIMEOUT_MS: '300' } });
    const raw = await RawMqtt.open(mqttPort(system));
    const started = Date.now();
    await raw.expectClosed(3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('when a topic has more levels than MQTT_MAX_TOPIC_LEVELS, then the connection is closed', async () => {
    const system = await startTestSystem({ env: { MQTT_MAX_TOPIC_LEVELS: '4' } });
    const device = system.provision();
    const { raw } = await RawMqtt.connect(mqttPort(system), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    raw.send(raw.publish(`ribbon/${device.id}/state/a/b`, 'red', 1));
    await raw.expectClosed();
    expect(raw.packets.some((p) => p.cmd === 'puback')).toBe(false);
  });

  it('when one address CONNECTs faster than its rate allows, then the extra attempts get CONNACK 3 (server unavailable) and are logged', async () => {
    const system = await startTestSystem({ env: { MQTT_CONNECT_BURST: '3', MQTT_CONNECT_RATE: '1' } });
    const device = system.provision();
    const results: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { connack } = await RawMqtt.connect(mqttPort(system), {
        clientId: device.id,
        username: device.id,
        password: device.secret,
      });
      results.push(connack.returnCode ?? -1);
    }
    expect(results).toEqual([0, 0, 0]);
    const fourth = await RawMqtt.connect(mqttPort(system), {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    expect(fourth.connack.returnCode).toBe(3);
    await fourth.raw.expectClosed();
    expect(system.logs.find((l) => /connection rate limit/.test(l.msg))?.address).toBe('127.0.0.1');
  });

  it('when one address floods CONNECTs with bad credentials, then a device with good credentials from the same address still connects, and the flood is logged at a bounded rate', async () => {
    const system = await startTestSystem({ env: { MQTT_CONNECT_BURST: '50', MQTT_CONNECT_RATE: '1' } });
    const [during, after] = [system.provision(), system.provision()];
    const port = mqttPort(system);
    const good = (d: { id: string; secret: string }) =>
      RawMqtt.connect(port, { clientId: d.id, username: d.id, password: d.secret }).then(
        (r) => r.connack.returnCode,
        () => -1, // closed without a CONNACK
      );
    const bad = (i: number) =>
      RawMqtt.connect(port, { clientId: during.id, username: during.id, password: `wrong-secret-${i}` }).then(
        (r) => {
          r.raw.socket.destroy();
          return r.connack.returnCode ?? -1;
        },
        () => -1, // closed without a CONNACK
      );
    // 300 bad CONNECTs from 127.0.0.1, 20 at a time (under the 50 sockets an address may have
    // waiting), six times the good-login budget; the good device comes in the middle of it.
    const started = Date.now();
    const codes: number[] = [];
    let duringFlood: Promise<number | undefined> | undefined;
    for (let wave = 0; wave < 15; wave++) {
      const batch = Array.from({ length: 20 }, (_, i) => bad(wave * 20 + i));
      if (wave === 8) duringFlood = good(during);
      codes.push(...(await Promise.all(batch)));
    }
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(await duringFlood).toBe(0);
    expect(await good(after)).toBe(0);
    expect(new Set(codes)).toEqual(new Set([4]));
    const logged = system.logs.lines.filter((l) => /unknown device or wrong secret/.test(l.msg)).length;
    expect(logged).toBeGreaterThan(0);
    expect(logged).toBeLessThanOrEqual(20 + 2 * seconds + 1); // the failed-login burst, then 2/s
  });

  it('when an address opens more sockets than its limit without sending CONNECT, then the extra ones are closed at once and the others after MQTT_CONNECT_TIMEOUT_MS', async () => {
    const timeoutMs = 1500;
    const system = await startTestSystem({
      env: { MQTT_CONNECT_BURST: '3', MQTT_CONNECT_TIMEOUT_MS: String(timeoutMs) },
    });
    const device = system.provision();
    const port = mqttPort(system);
    const opened = Date.now();
    const idle = [await RawMqtt.open(port), await RawMqtt.open(port), await RawMqtt.open(port)];
    const extra = [await RawMqtt.open(port), await RawMqtt.open(port)];
    await Promise.all(extra.map((r) => r.expectClosed(timeoutMs / 2)));
    expect(idle.map((r) => r.isClosed)).toEqual([false, false, false]);
    expect(system.logs.find((l) => /waiting for their CONNECT/.test(l.msg))?.address).toBe('127.0.0.1');

    await Promise.all(idle.map((r) => r.expectClosed(timeoutMs + 3000)));
    expect(Date.now() - opened).toBeGreaterThanOrEqual(timeoutMs - 50);
    // Closed sockets no longer count: the address may connect again.
    const { connack } = await RawMqtt.connect(port, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
    });
    expect(connack.returnCode).toBe(0);
  });

  it('when MQTT_MAX_CONNECTIONS devices are connected, then one more is refused', async () => {
    const system = await startTestSystem({ env: { MQTT_MAX_CONNECTIONS: '2' } });
    const devices = [system.provision(), system.provision(), system.provision()];
    for (const d of devices.slice(0, 2)) {
      const { connack } = await RawMqtt.connect(mqttPort(system), {
        clientId: d.id,
        username: d.id,
        password: d.secret,
      });
      expect(connack.returnCode).toBe(0);
    }
    const third = devices[2] as (typeof devices)[number];
    await expect(
      RawMqtt.connect(mqttPort(system), { clientId: third.id, username: third.id, password: third.secret }),
    ).rejects.toThrow(/closed/);
    expect(system.logs.find((l) => /connection limit reached/.test(l.msg))).toBeDefined();
  });
});

describe.skipIf(!requireProgram('/usr/bin/ss', 'iproute2').available)('a reconnect storm', () => {
  it("when thousands of buttons reconnect at once, then the kernel may queue that many before we accept (listen backlog), not Node's default 511", async () => {
    const system = await startTestSystem();
    const port = system.mqttAddress?.port ?? 0;
    // `ss` shows a listening socket's backlog in its Send-Q column.
    const line = execFileSync('/usr/bin/ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
    const backlog = Number(line.split(/\s+/)[2]);
    const somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    expect(backlog).toBe(Math.min(LISTEN_BACKLOG, somaxconn));
    if (somaxconn > 511) expect(backlog).toBeGreaterThan(511);
  });
});
