import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBroker, type BrokerOptions, type DeviceMessage } from '../../../broker/create-broker.js';
import { DEFAULT_BROKER_LIMITS } from '../../../broker/options.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';

// The broker as a library: started on its own, with no server behind it, on port 0. Everything
// it knows about devices and topics comes from its options.

async function start(opts: Partial<BrokerOptions> = {}) {
  const broker = await createBroker({ log: pino({ level: 'silent' }), ...opts });
  onTestFinished(() => broker.close());
  const { port } = await broker.listen(0, '127.0.0.1');
  return { broker, port };
}

const alice = { clientId: 'dev-alice', username: 'dev-alice', password: 'alice-secret' };

/** Rules for tests: a device publishes on `t/{id}/state`, subscribes to `t/{id}/ack`, wills on `t/{id}/online`. */
const TEST_RULES: NonNullable<BrokerOptions['topics']> = {
  publishChannel: (id, topic) => (topic === `t/${id}/state` ? 'state' : null),
  maySubscribe: (id, filter) => filter === `t/${id}/ack`,
  mayWill: (id, topic) => topic === `t/${id}/online`,
  ackTopic: (id) => `t/${id}/ack`,
};

describe('createBroker with only a logger', () => {
  it('when a device connects, then it is refused (nobody was set up to be let in)', async () => {
    const { port } = await start();
    const { raw, connack } = await RawMqtt.connect(port, alice);
    expect(connack.returnCode).toBe(4);
    await raw.expectClosed();
  });

  it('when a let-in device publishes, subscribes or sets a will, then the default rules refuse it', async () => {
    const messages: DeviceMessage[] = [];
    const { port } = await start({
      authenticateDevice: () => true,
      onDeviceMessage: (m, done) => {
        messages.push(m);
        done(null);
      },
    });
    const willed = await RawMqtt.connect(port, { ...alice, will: { topic: 't/dev-alice/online', payload: '0' } }).catch(
      () => null,
    );
    expect(willed === null || willed.connack.returnCode !== 0).toBe(true);

    const sub = await RawMqtt.connect(port, alice);
    sub.raw.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 't/dev-alice/ack', qos: 1 }] });
    const suback = await sub.raw.next((p) => p.cmd === 'suback');
    expect(suback.cmd === 'suback' && suback.granted).toEqual([128]);

    sub.raw.send(sub.raw.publish('t/dev-alice/state', 'red', 1));
    await sub.raw.expectClosed();
    expect(messages).toEqual([]);
  });
});

describe('createBroker with rules and hooks', () => {
  it('when a device publishes on a topic its rules allow, then the message reaches onDeviceMessage before the PUBACK', async () => {
    const messages: DeviceMessage[] = [];
    const { port } = await start({
      topics: TEST_RULES,
      now: () => 1234,
      authenticateDevice: (id, secret) => id === alice.username && secret?.toString() === alice.password,
      onDeviceMessage: (m, done) => {
        messages.push(m);
        done(null);
      },
    });
    const { raw, connack } = await RawMqtt.connect(port, alice);
    expect(connack.returnCode).toBe(0);
    raw.send(raw.publish('t/dev-alice/state', 'red', 1));
    await raw.next((p) => p.cmd === 'puback');
    expect(messages).toEqual([
      {
        deviceId: 'dev-alice',
        channel: 'state',
        topic: 't/dev-alice/state',
        payload: Buffer.from('red'),
        receivedAt: 1234,
      },
    ]);
  });

  it('when no onDeviceMessage is given, then an allowed publish gets no PUBACK (nothing stored it)', async () => {
    const { port } = await start({ topics: TEST_RULES, authenticateDevice: () => true });
    const { raw } = await RawMqtt.connect(port, alice);
    raw.send(raw.publish('t/dev-alice/state', 'red', 1));
    await raw.expectClosed();
    expect(raw.packets.some((p) => p.cmd === 'puback')).toBe(false);
  });

  it('when the server acks a device, then the ack goes to the topic its rules name', async () => {
    const { broker, port } = await start({ topics: TEST_RULES, authenticateDevice: () => true });
    const { raw } = await RawMqtt.connect(port, alice);
    raw.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 't/dev-alice/ack', qos: 1 }] });
    await raw.next((p) => p.cmd === 'suback');
    broker.publishAck('dev-alice', { seq: 3, status: 'received' });
    const ack = await raw.next((p) => p.cmd === 'publish');
    expect(ack.cmd === 'publish' && [ack.topic, ack.payload.toString()]).toEqual([
      't/dev-alice/ack',
      '{"seq":3,"status":"received"}',
    ]);
  });
});

describe('createBroker: sockets count from accept', () => {
  it('when maxConnections sockets are open without CONNECT, then one more is closed at once, and a device connects once they are gone', async () => {
    const connectTimeoutMs = 1500;
    const { port } = await start({
      limits: { ...DEFAULT_BROKER_LIMITS, maxConnections: 3, connectTimeoutMs },
      authenticateDevice: (id, secret) => id === alice.username && secret?.toString() === alice.password,
    });
    const idle = [await RawMqtt.open(port), await RawMqtt.open(port), await RawMqtt.open(port)];
    const extra = await RawMqtt.open(port);
    await extra.expectClosed(connectTimeoutMs / 2);
    expect(idle.map((r) => r.isClosed)).toEqual([false, false, false]);

    await Promise.all(idle.map((r) => r.expectClosed(connectTimeoutMs + 3000)));
    const { connack } = await RawMqtt.connect(port, alice);
    expect(connack.returnCode).toBe(0);
  });
});
