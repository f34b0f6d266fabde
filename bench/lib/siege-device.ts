// The pressing device of the siege benchmark: one MQTT 3.1.1 connection (mqtt-packet on a bare
// socket, so the send instant and the PUBACK's arrival are this process's own, with no client
// library queue between), pressing open-loop: a press leaves at its scheduled instant whether or
// not earlier ones have their PUBACK yet, and its latency counts from that instant.
import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export type Press = { seq: number; state: 'red' | 'yellow' | 'blue'; dueAt: number; sentAt: number };

export type PressingDevice = {
  /** Sends one press now (QoS 1); `dueAt` is its scheduled instant (performance.now()). */
  press(seq: number, state: Press['state'], dueAt: number): void;
  /** Resolves once every press sent so far has its PUBACK, or after timeoutMs (false then). */
  drained(timeoutMs: number): Promise<boolean>;
  /** Presses sent, in order, and for each acked seq its PUBACK latency (ms from dueAt). */
  readonly sent: readonly Press[];
  readonly acked: ReadonlyMap<number, number>;
  /** Set when the broker closed the connection before we did. */
  readonly closedByBroker: boolean;
  close(): void;
};

export const DEVICE_BOOT = 1;

/** Connects and resolves once CONNACK 0 arrived; `onAck(press, latencyMs)` runs on each PUBACK. */
export async function connectPressingDevice(opts: {
  port: number;
  deviceId: string;
  secret: string;
  onAck: (press: Press, latencyMs: number) => void;
}): Promise<PressingDevice> {
  const socket = net.connect({ host: '127.0.0.1', port: opts.port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const sent: Press[] = [];
  const acked = new Map<number, number>();
  // messageId → press; QoS 1 ids are 1..65535 and reused only once their PUBACK is in.
  const inflight = new Map<number, Press>();
  let nextId = 1;
  let closing = false;
  let closedByBroker = false;
  let drainWaiter: (() => void) | null = null;
  let connack: ((code: number) => void) | null = null;

  parser.on('packet', (packet: Packet) => {
    if (packet.cmd === 'connack') connack?.(packet.returnCode ?? -1);
    if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
    const at = performance.now();
    const p = inflight.get(packet.messageId);
    if (!p) return;
    inflight.delete(packet.messageId);
    const ms = at - p.dueAt;
    acked.set(p.seq, ms);
    opts.onAck(p, ms);
    if (inflight.size === 0) drainWaiter?.();
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('error', () => undefined);
  socket.once('close', () => {
    if (!closing) closedByBroker = true;
    drainWaiter?.();
  });

  const code = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no CONNACK within 10 s')), 10_000);
    connack = (c) => {
      clearTimeout(timer);
      resolve(c);
    };
    socket.write(
      mqttPacket.generate(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: opts.deviceId,
          keepalive: 60,
          username: opts.deviceId,
          password: Buffer.from(opts.secret),
        },
        { protocolVersion: 4 },
      ),
    );
  });
  if (code !== 0) {
    socket.destroy();
    throw new Error(`the pressing device got CONNACK ${code}`);
  }

  return {
    press(seq, state, dueAt) {
      if (socket.destroyed) return;
      let id = nextId;
      // Skip ids still waiting for their PUBACK (a wrap past 65,535 presses in flight would be a
      // stall long enough to report anyway).
      while (inflight.has(id)) id = (id % 65_535) + 1;
      nextId = (id % 65_535) + 1;
      const p: Press = { seq, state, dueAt, sentAt: performance.now() };
      inflight.set(id, p);
      sent.push(p);
      socket.write(
        mqttPacket.generate(
          {
            cmd: 'publish',
            topic: `ribbon/${opts.deviceId}/state`,
            payload: Buffer.from(JSON.stringify({ state, seq, boot: DEVICE_BOOT })),
            qos: 1,
            messageId: id,
            retain: false,
            dup: false,
          },
          { protocolVersion: 4 },
        ),
      );
    },
    drained(timeoutMs) {
      if (inflight.size === 0 || socket.destroyed) return Promise.resolve(inflight.size === 0);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          drainWaiter = null;
          resolve(false);
        }, timeoutMs);
        drainWaiter = () => {
          clearTimeout(timer);
          drainWaiter = null;
          resolve(inflight.size === 0);
        };
      });
    },
    sent,
    acked,
    get closedByBroker() {
      return closedByBroker;
    },
    close() {
      closing = true;
      if (!socket.destroyed) socket.end(mqttPacket.generate({ cmd: 'disconnect' }, { protocolVersion: 4 }));
      socket.destroySoon();
    },
  };
}
