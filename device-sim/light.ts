// The light device engine: thousands of buttons from one process, each a TCP socket, a press
// counter and one timer — no mqtt.js client, no EventEmitter of our own per device. Packets out
// are built with mqtt-packet's generate(); packets in are framed by hand (the broker sends a
// device only CONNACK, PUBACK, PINGRESP, SUBACK and, for a subscribed device, PUBLISH), because
// mqtt-packet's parser is an EventEmitter per stream.
//
// Same CONNECT as device.ts (docs/protocol.md §1): MQTT 3.1.1, client id = username = device id,
// password = secret, clean=false, will `ribbon/{id}/online` "0" retained QoS 1. Unlike the full
// device it does not reconnect on its own: a dropped connection is reported (onError) and the
// device stays down. It is a load generator, not a firmware model. The one exception is a link it
// cuts itself mid-packet (pressTorn, chaos `tear`): then it reconnects at once and resends, DUP
// set, every press still awaiting its PUBACK (it keeps their bytes until then).
//
// Limits of one process (this machine: ~20,000 open files, ~28,000 ephemeral ports per
// source/destination address pair): startLightFleet refuses a fleet larger than
// (Max open files − 200) and more devices per source address than the local port range holds,
// and warns when either is within 10 %. Spread sources with localAddresses
// (127.0.0.2 … 127.0.0.9 on loopback).
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { generate } from 'mqtt-packet';
import type { DeviceCredential } from './credentials.js';
import { cutPoint, type TearReport } from './cut.js';
import { RIBBON_STATES, type RibbonState } from '../protocol/ribbon.js';

export type LightFleetOptions = {
  host: string;
  port: number;
  devices: readonly DeviceCredential[];
  /** Source addresses used in turn (device i gets localAddresses[i % n]). Default: the OS picks. */
  localAddresses?: readonly string[] | undefined;
  /** MQTT keepalive; the device sends PINGREQ every keepaliveSec on its timer. Default 60. */
  keepaliveSec?: number | undefined;
  /** New connections started per second. Default: unpaced (only connectConcurrency bounds it). */
  connectRatePerSec?: number | undefined;
  /** Handshakes (TCP + CONNECT → CONNACK) in progress at once. Default 500. */
  connectConcurrency?: number | undefined;
  /** How long one device may take from socket creation to CONNACK. Default 30 000 ms. */
  connectTimeoutMs?: number | undefined;
  /** `boot` in every press. Default 1. */
  boot?: number | undefined;
  /** Publish `1` retained QoS 1 on `ribbon/{id}/online` after CONNACK (as device.ts). Default false: the server marks a device online from its connection. */
  announceOnline?: boolean | undefined;
  /** A device failed to connect (refusal, timeout, socket error) or lost its connection later. */
  onError?: ((index: number, err: Error) => void) | undefined;
  /** A limit (open files, ports) is near. Default: console.warn. */
  onWarning?: ((message: string) => void) | undefined;
};

export type LightConnectReport = {
  attempted: number;
  connected: number;
  failed: number;
  /** From the first connection started to the last device settled. */
  durationMs: number;
  /** Connected devices / durationMs. */
  connectsPerSec: number;
  /** Socket creation → CONNACK, per connected device, ms. */
  connectMs: { p50: number; p99: number; max: number };
  /** The refusals and errors, first 20. */
  errors: Array<{ index: number; id: string; message: string; returnCode?: number }>;
};

export type LightFleet = {
  readonly size: number;
  /** Devices whose CONNACK accepted them and whose socket is still open. */
  connectedCount(): number;
  isConnected(index: number): boolean;
  /** Socket creation → CONNACK in ms, or NaN when not (yet) connected. */
  connectTimeMs(index: number): number;
  /** The report of the connect phase (also what startLightFleet resolved with). */
  readonly report: LightConnectReport;
  /** QoS 1 press `{"state","seq","boot"}` on `ribbon/{id}/state`; resolves on its PUBACK. */
  press(index: number, state: RibbonState): Promise<{ seq: number; boot: number }>;
  /**
   * A press whose link is cut inside its PUBLISH (chaos `tear`): only the first
   * cutPoint(size, cut) bytes are written, then the socket is destroyed. The device reconnects at
   * once and resends (DUP set) every press still awaiting a PUBACK, this one included; resolves on
   * this press's PUBACK. Rejects if the reconnect fails (the device is then down, as after any drop).
   */
  pressTorn(index: number, state: RibbonState, cut: number): Promise<{ seq: number; boot: number; tear: TearReport }>;
  /** PUBLISHes cut mid-packet by pressTorn so far, over the fleet. */
  tornPackets(): number;
  /** DISCONNECT (no will) and close every socket; pending presses reject. Never rejects. */
  close(timeoutMs?: number): Promise<void>;
};

/** CONNECT refused with CONNACK return code 1–5. */
export class LightConnectRefusedError extends Error {
  readonly returnCode: number;
  constructor(id: string, returnCode: number) {
    super(
      `light device ${id}: the broker refused CONNECT (CONNACK return code ${returnCode}: ${CONNACK_REASONS[returnCode] ?? 'unknown'})`,
    );
    this.name = 'LightConnectRefusedError';
    this.returnCode = returnCode;
  }
}

const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** File descriptors kept free for everything else in the process (logs, a database, timers' epoll…). */
export const FD_RESERVE = 200;

const PINGREQ = Buffer.from([0xc0, 0x00]);
const DISCONNECT = Buffer.from([0xe0, 0x00]);

enum Phase {
  Waiting,
  Connecting,
  Open,
  /** After pressTorn cut the link: connecting again, to resend what is in flight. */
  Reconnecting,
  Closed,
}

/** A QoS 1 publish awaiting its PUBACK, with its bytes for a resend after a cut. */
type Pending = { resolve: () => void; reject: (err: Error) => void; packet: Buffer };

/** DUP flag of a PUBLISH's fixed header [MQTT-3.3.1-1]. */
const DUP = 0x08;

/** One device: everything it needs, nothing more. */
class LightDevice {
  socket: net.Socket | null = null;
  phase: Phase = Phase.Waiting;
  seq = 0;
  nextMessageId = 0;
  timer: NodeJS.Timeout | null = null;
  startedAt = 0;
  connectMs = Number.NaN;
  /** Bytes of an incomplete packet. */
  rest: Buffer | null = null;
  /** Awaiting PUBACK, by message id; created on the first press. */
  inflight: Map<number, Pending> | null = null;
  awaitingPingResp = false;
  constructor(
    readonly index: number,
    readonly id: string,
    readonly secret: string,
  ) {}
}

/** "Max open files" soft limit of this process from /proc/self/limits; null when unreadable. */
export function readOpenFileLimit(): number | null {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line?.[1]) return null;
    return line[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(line[1]);
  } catch {
    return null;
  }
}

function countOpenFiles(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** Ports one source address may use towards one destination (net.ipv4.ip_local_port_range). */
export function readLocalPortRange(): number | null {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return lo !== undefined && hi !== undefined && hi >= lo ? hi - lo + 1 : null;
  } catch {
    return null;
  }
}

/**
 * Checks the fleet against this process's open-file limit and the local port range; throws a
 * RangeError naming the limit when it cannot fit, warns when it is within 10 % of one.
 */
export function checkFleetLimits(devices: number, sources: number, warn: (message: string) => void): void {
  const limit = readOpenFileLimit();
  if (limit !== null && Number.isFinite(limit)) {
    const allowed = limit - FD_RESERVE;
    if (devices > allowed) {
      throw new RangeError(
        `light fleet: ${devices} devices need ${devices} sockets, but this process may open at most ${limit} files ` +
          `(Max open files in /proc/self/limits) and ${FD_RESERVE} are kept for everything else: at most ${allowed} devices here. ` +
          'Split the fleet over several processes or raise the limit (ulimit -n).',
      );
    }
    const open = countOpenFiles() ?? 0;
    if (open + devices > limit - FD_RESERVE || devices > allowed * 0.9) {
      warn(
        `light fleet: ${devices} devices + ${open} files already open is near this process's open-file limit of ${limit}`,
      );
    }
  }
  const ports = readLocalPortRange();
  if (ports !== null) {
    const perSource = Math.ceil(devices / Math.max(1, sources));
    const how = sources > 1 ? `${sources} source addresses` : 'one source address';
    if (perSource > ports) {
      throw new RangeError(
        `light fleet: ${devices} devices over ${how} is ${perSource} connections per source/destination address pair, ` +
          `but only ${ports} local ports exist per pair (net.ipv4.ip_local_port_range). ` +
          'Pass more localAddresses (127.0.0.2, 127.0.0.3, … on loopback).',
      );
    }
    if (perSource > ports * 0.9) {
      warn(
        `light fleet: ${perSource} connections per source address is near the ${ports} local ports per address pair; pass more localAddresses`,
      );
    }
  }
}

/**
 * Connects every device (bounded: connectConcurrency handshakes at once, connectRatePerSec new
 * ones per second) and resolves once each has connected or failed, with the fleet. Failures do
 * not reject: they go to onError and the report. Throws only for bad options and limits.
 */
export async function startLightFleet(opts: LightFleetOptions): Promise<LightFleet> {
  const keepaliveSec = opts.keepaliveSec ?? 60;
  if (!Number.isInteger(keepaliveSec) || keepaliveSec < 1 || keepaliveSec > 65535) {
    throw new RangeError(`light fleet: keepaliveSec must be an integer from 1 to 65535, got ${keepaliveSec}`);
  }
  const concurrency = opts.connectConcurrency ?? 500;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`light fleet: connectConcurrency must be a positive integer, got ${concurrency}`);
  const rate = opts.connectRatePerSec;
  if (rate !== undefined && !(rate > 0))
    throw new RangeError(`light fleet: connectRatePerSec must be > 0, got ${rate}`);
  const localAddresses = opts.localAddresses;
  if (localAddresses !== undefined && localAddresses.length === 0)
    throw new RangeError('light fleet: localAddresses must not be empty when given');
  const connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
  const boot = opts.boot ?? 1;
  const warn = opts.onWarning ?? ((m: string) => console.warn(m));
  const onError = opts.onError;
  checkFleetLimits(opts.devices.length, localAddresses?.length ?? 1, warn);

  const devices = opts.devices.map((c, i) => new LightDevice(i, c.id, c.secret));
  let connected = 0;
  let settled = 0;
  let inProgress = 0;
  let next = 0;
  let closing = false;
  let firstStart = 0;
  let tornCount = 0;
  const errors: LightConnectReport['errors'] = [];
  let failedCount = 0;
  let allSettled: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allSettled = resolve));
  let pacer: NodeJS.Timeout | null = null;

  const fail = (d: LightDevice, err: Error): void => {
    const wasConnecting = d.phase === Phase.Connecting || d.phase === Phase.Waiting;
    const wasOpen = d.phase === Phase.Open;
    if (d.phase === Phase.Closed) return;
    d.phase = Phase.Closed;
    if (d.timer) clearTimeout(d.timer);
    d.timer = null;
    d.socket?.destroy();
    d.rest = null;
    if (d.inflight) {
      for (const r of d.inflight.values()) r.reject(err);
      d.inflight = null;
    }
    if (wasOpen) connected -= 1;
    if (wasConnecting) {
      failedCount += 1;
      if (errors.length < 20) {
        errors.push({
          index: d.index,
          id: d.id,
          message: err.message,
          ...(err instanceof LightConnectRefusedError ? { returnCode: err.returnCode } : {}),
        });
      }
      settleOne();
    }
    if (!closing) onError?.(d.index, err);
  };

  const settleOne = (): void => {
    settled += 1;
    inProgress -= 1;
    if (settled === devices.length) allSettled();
    else pump();
  };

  const keepalive = (d: LightDevice): void => {
    d.timer = setTimeout(() => {
      if (d.phase !== Phase.Open) return;
      if (d.awaitingPingResp) {
        fail(d, new Error(`light device ${d.id}: no PINGRESP within ${keepaliveSec} s`));
        return;
      }
      d.awaitingPingResp = true;
      d.socket?.write(PINGREQ);
      keepalive(d);
    }, keepaliveSec * 1000);
  };

  const onPacket = (d: LightDevice, buf: Buffer, start: number, bodyStart: number, end: number): void => {
    const first = buf[start] as number;
    const type = first >> 4;
    switch (type) {
      case 2: {
        // CONNACK: flags, return code
        const rc = buf[bodyStart + 1] as number;
        if (d.phase !== Phase.Connecting && d.phase !== Phase.Reconnecting) return;
        if (rc !== 0) {
          fail(d, new LightConnectRefusedError(d.id, rc));
          return;
        }
        const reconnected = d.phase === Phase.Reconnecting;
        d.phase = Phase.Open;
        if (!reconnected) d.connectMs = performance.now() - d.startedAt;
        connected += 1;
        if (d.timer) clearTimeout(d.timer);
        keepalive(d);
        if (reconnected && d.inflight) {
          // What the cut left unacknowledged goes out again, in its order, DUP set [MQTT-3.3.1-1].
          for (const pending of d.inflight.values()) {
            const again = Buffer.from(pending.packet);
            again[0] = (again[0] as number) | DUP;
            d.socket?.write(again);
          }
        }
        if (opts.announceOnline) {
          const messageId = nextId(d);
          const packet = generate({
            cmd: 'publish',
            topic: `ribbon/${d.id}/online`,
            payload: '1',
            qos: 1,
            retain: true,
            dup: false,
            messageId,
          });
          (d.inflight ??= new Map()).set(messageId, { resolve: () => undefined, reject: () => undefined, packet });
          d.socket?.write(packet);
        }
        if (!reconnected) settleOne();
        return;
      }
      case 4: {
        // PUBACK
        const messageId = ((buf[bodyStart] as number) << 8) | (buf[bodyStart + 1] as number);
        const r = d.inflight?.get(messageId);
        if (r) {
          d.inflight?.delete(messageId);
          r.resolve();
        }
        return;
      }
      case 13:
        d.awaitingPingResp = false;
        return;
      case 3: {
        // PUBLISH to the device (its ack topic, if it subscribed): acknowledge QoS 1.
        const qos = (first >> 1) & 3;
        if (qos === 1) {
          const topicLen = ((buf[bodyStart] as number) << 8) | (buf[bodyStart + 1] as number);
          const idAt = bodyStart + 2 + topicLen;
          if (idAt + 2 <= end) d.socket?.write(Buffer.from([0x40, 0x02, buf[idAt] as number, buf[idAt + 1] as number]));
        }
        return;
      }
      default:
        return; // SUBACK, UNSUBACK: nothing to do
    }
  };

  const onData = (d: LightDevice, chunk: Buffer): void => {
    const buf = d.rest ? Buffer.concat([d.rest, chunk]) : chunk;
    d.rest = null;
    let pos = 0;
    while (pos < buf.length) {
      // Fixed header: type byte, then remaining length (1–4 bytes, 7 bits each).
      let len = 0;
      let mul = 1;
      let i = pos + 1;
      let complete = false;
      for (; i < buf.length && i < pos + 5; i++) {
        const b = buf[i] as number;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete) {
        if (i >= pos + 5) {
          fail(d, new Error(`light device ${d.id}: malformed remaining length from the broker`));
          return;
        }
        break;
      }
      const end = i + len;
      if (end > buf.length) break;
      onPacket(d, buf, pos, i, end);
      if (d.phase === Phase.Closed) return;
      pos = end;
    }
    if (pos < buf.length) d.rest = Buffer.from(buf.subarray(pos));
  };

  const startOne = (d: LightDevice): void => {
    inProgress += 1;
    d.phase = Phase.Connecting;
    d.startedAt = performance.now();
    if (firstStart === 0) firstStart = d.startedAt;
    openSocket(d);
  };

  /** A new socket and CONNECT for `d` (first connect, or the reconnect after a cut). */
  const openSocket = (d: LightDevice): void => {
    const localAddress = localAddresses?.[d.index % localAddresses.length];
    const socket = net.createConnection({
      host: opts.host,
      port: opts.port,
      noDelay: true,
      ...(localAddress ? { localAddress } : {}),
    });
    d.socket = socket;
    d.timer = setTimeout(
      () => fail(d, new Error(`light device ${d.id}: no CONNACK within ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
    socket.once('connect', () => {
      socket.write(
        generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: false,
          clientId: d.id,
          keepalive: keepaliveSec,
          username: d.id,
          password: Buffer.from(d.secret),
          will: { topic: `ribbon/${d.id}/online`, payload: Buffer.from('0'), qos: 1, retain: true },
        }),
      );
    });
    socket.on('data', (chunk: Buffer) => onData(d, chunk));
    socket.on('error', (err) => fail(d, new Error(`light device ${d.id}: ${err.message}`, { cause: err })));
    socket.on('close', () => fail(d, new Error(`light device ${d.id}: the broker closed the connection`)));
  };

  /**
   * Writes the first bytes of a packet, then destroys the socket and connects again. The old
   * socket's listeners go first: its close is ours, not news, and nothing more is read from it.
   */
  const cutLink = (d: LightDevice, head: Buffer): void => {
    const socket = d.socket as net.Socket;
    socket.removeAllListeners('data');
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    socket.on('error', () => undefined);
    d.phase = Phase.Reconnecting;
    connected -= 1;
    if (d.timer) clearTimeout(d.timer);
    d.timer = null;
    d.rest = null;
    d.awaitingPingResp = false;
    // Destroyed only once the bytes are handed to the OS: a destroy right away could drop them.
    socket.write(head, (err) => {
      socket.destroy();
      if (!err) tornCount += 1;
      if (d.phase === Phase.Reconnecting && !closing) openSocket(d);
    });
  };

  // Starts devices while below the concurrency bound and, if paced, the rate allows.
  const pump = (): void => {
    if (closing) return;
    const now = performance.now();
    while (next < devices.length && inProgress < concurrency) {
      if (rate !== undefined && next >= ((now - firstStart) / 1000) * rate + 1 && firstStart !== 0) {
        pacer ??= setTimeout(
          () => {
            pacer = null;
            pump();
          },
          Math.max(1, Math.ceil(1000 / rate)),
        );
        return;
      }
      startOne(devices[next++] as LightDevice);
    }
  };

  if (devices.length === 0) allSettled();
  else pump();
  await done;
  if (pacer) clearTimeout(pacer);
  const durationMs = devices.length === 0 ? 0 : performance.now() - firstStart;
  const times = devices
    .map((d) => d.connectMs)
    .filter((t) => !Number.isNaN(t))
    .sort((a, b) => a - b);
  const pct = (p: number): number =>
    times.length === 0
      ? Number.NaN
      : (times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] as number);
  const report: LightConnectReport = {
    attempted: devices.length,
    connected: devices.length - failedCount,
    failed: failedCount,
    durationMs,
    connectsPerSec: durationMs > 0 ? ((devices.length - failedCount) / durationMs) * 1000 : Number.NaN,
    connectMs: { p50: pct(50), p99: pct(99), max: times.at(-1) ?? Number.NaN },
    errors,
  };

  const deviceAt = (index: number): LightDevice => {
    const d = devices[index];
    if (!d) throw new RangeError(`light fleet: no device ${index} (fleet of ${devices.length})`);
    return d;
  };

  /** The next press of a connected device: its seq, a free message id and the PUBLISH bytes. */
  function nextPress(what: string, index: number, state: RibbonState) {
    if (!RIBBON_STATES.includes(state))
      return { error: new TypeError(`${what}(): state must be one of ${RIBBON_STATES.join(', ')}`) };
    const d = deviceAt(index);
    if (d.phase !== Phase.Open || !d.socket)
      return { error: new Error(`light device ${d.id}: ${what}() while not connected`) };
    const seq = ++d.seq;
    const messageId = nextId(d);
    const inflight = (d.inflight ??= new Map());
    if (inflight.has(messageId)) return { error: new Error(`light device ${d.id}: 65,535 presses awaiting PUBACK`) };
    const packet = generate({
      cmd: 'publish',
      topic: `ribbon/${d.id}/state`,
      payload: JSON.stringify({ state, seq, boot }),
      qos: 1,
      retain: false,
      dup: false,
      messageId,
    });
    return { d, seq, messageId, inflight, packet };
  }

  return {
    size: devices.length,
    report,
    connectedCount: () => connected,
    isConnected: (index) => deviceAt(index).phase === Phase.Open,
    connectTimeMs: (index) => deviceAt(index).connectMs,
    press(index, state) {
      const next = nextPress('press', index, state);
      if ('error' in next) return Promise.reject(next.error);
      const { d, seq, messageId, inflight, packet } = next;
      return new Promise((resolve, reject) => {
        inflight.set(messageId, { resolve: () => resolve({ seq, boot }), reject, packet });
        d.socket?.write(packet);
      });
    },
    pressTorn(index, state, cut) {
      if (!(cut >= 0 && cut < 1))
        return Promise.reject(new RangeError(`pressTorn(): cut must be in [0, 1), got ${cut}`));
      const next = nextPress('pressTorn', index, state);
      if ('error' in next) return Promise.reject(next.error);
      const { d, seq, messageId, inflight, packet } = next;
      const tear: TearReport = { sentBytes: cutPoint(packet.length, cut), packetBytes: packet.length };
      return new Promise((resolve, reject) => {
        inflight.set(messageId, { resolve: () => resolve({ seq, boot, tear }), reject, packet });
        cutLink(d, packet.subarray(0, tear.sentBytes));
      });
    },
    tornPackets: () => tornCount,
    async close(timeoutMs = 5000) {
      closing = true;
      if (pacer) clearTimeout(pacer);
      const waits: Array<Promise<void>> = [];
      for (const d of devices) {
        const socket = d.socket;
        if (!socket || socket.destroyed) {
          fail(d, new Error(`light device ${d.id}: closed`));
          continue;
        }
        waits.push(new Promise<void>((r) => socket.once('close', () => r())));
        if (d.phase === Phase.Open) {
          // Clean: DISCONNECT (the broker drops the will, MQTT-3.1.2-10), then FIN.
          d.phase = Phase.Closed;
          connected -= 1;
          if (d.timer) clearTimeout(d.timer);
          d.timer = null;
          if (d.inflight)
            for (const r of d.inflight.values()) r.reject(new Error(`light device ${d.id}: closed before PUBACK`));
          d.inflight = null;
          socket.end(DISCONNECT);
        } else fail(d, new Error(`light device ${d.id}: closed`));
      }
      if (waits.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(waits), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      for (const d of devices) d.socket?.destroy();
    },
  };
}

function nextId(d: LightDevice): number {
  d.nextMessageId = (d.nextMessageId % 65535) + 1;
  return d.nextMessageId;
}
