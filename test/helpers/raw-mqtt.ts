import net from 'node:net';
import tls from 'node:tls';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { onTestFinished } from 'vitest';

/**
 * A bare MQTT 3.1.1 client on a socket, for tests that need exact control of the bytes:
 * several packets in one TCP write, oversize headers, forbidden topics, CONNECT variants.
 */
export class RawMqtt {
  readonly packets: Packet[] = [];
  private waiters: Array<{ match: (p: Packet) => boolean; resolve: (p: Packet) => void }> = [];
  readonly closed: Promise<void>;
  private closedFlag = false;

  private constructor(readonly socket: net.Socket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet: Packet) => {
      this.packets.push(packet);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(packet)) return true;
        w.resolve(packet);
        return false;
      });
    });
    // Bytes that are not MQTT (a TLS alert from a TLS port) are not a test's crash.
    parser.on('error', () => socket.destroy());
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true;
        resolve();
      }),
    );
  }

  /** Opens a socket: plain TCP, or TLS verified against `tls.ca` (resolves once the handshake is done). */
  static async open(port: number, opts: { tls?: { ca: Buffer } } = {}): Promise<RawMqtt> {
    const socket = opts.tls
      ? tls.connect({ port, host: '127.0.0.1', ca: opts.tls.ca })
      : net.connect({ port, host: '127.0.0.1', noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', resolve);
      socket.once('error', reject);
    });
    const raw = new RawMqtt(socket);
    onTestFinished(() => {
      socket.destroy();
    });
    return raw;
  }

  /** Opens a socket and sends CONNECT; resolves with the CONNACK (or rejects if closed first). */
  static async connect(
    port: number,
    opts: {
      clientId: string;
      username?: string;
      password?: string;
      keepalive?: number;
      will?: { topic: string; payload: string };
      /** Default MQTT 3.1.1; `3.1` sends protocol name MQIsdp, level 3. */
      protocol?: '3.1.1' | '3.1';
      tls?: { ca: Buffer };
    },
  ): Promise<{ raw: RawMqtt; connack: Packet & { cmd: 'connack' } }> {
    const raw = await RawMqtt.open(port, opts.tls ? { tls: opts.tls } : {});
    const v31 = opts.protocol === '3.1';
    raw.send({
      cmd: 'connect',
      protocolId: v31 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v31 ? 3 : 4,
      clean: true,
      clientId: opts.clientId,
      keepalive: opts.keepalive ?? 60,
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: Buffer.from(opts.password) } : {}),
      ...(opts.will
        ? { will: { topic: opts.will.topic, payload: Buffer.from(opts.will.payload), qos: 1, retain: true } }
        : {}),
    });
    const connack = (await raw.next((p) => p.cmd === 'connack')) as Packet & { cmd: 'connack' };
    return { raw, connack };
  }

  static bytes(packet: Packet): Buffer {
    return mqttPacket.generate(packet, { protocolVersion: 4 });
  }

  send(...packets: Packet[]): void {
    // One write: the broker sees them in one TCP chunk (aedes handles such a chunk concurrently).
    this.socket.write(Buffer.concat(packets.map((p) => RawMqtt.bytes(p))));
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  publish(topic: string, payload: string | Buffer, messageId: number, qos: 0 | 1 = 1, dup = false): Packet {
    return {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos,
      messageId,
      retain: false,
      dup,
    };
  }

  /** The next packet matching `match` (already received ones count), or rejects on close/timeout. */
  next(match: (p: Packet) => boolean, timeoutMs = 5000): Promise<Packet> {
    const seen = this.packets.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching packet within ${timeoutMs} ms`)), timeoutMs);
      const waiter = {
        match,
        resolve: (p: Packet) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      this.waiters.push(waiter);
      void this.closed.then(() => {
        clearTimeout(timer);
        if (this.waiters.includes(waiter)) reject(new Error('connection closed before a matching packet'));
      });
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Resolves when the broker closes the connection; rejects if it is still open after timeoutMs. */
  async expectClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
