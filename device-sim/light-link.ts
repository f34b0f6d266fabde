// One light device's link to the broker, as a small state machine over its socket:
//
//   Waiting ──start──▶ Connecting ──CONNACK 0──▶ Open ──pressTorn's cut──▶ Reconnecting
//                                                 ▲                             │
//                                                 └─────────CONNACK 0───────────┘
//   refusal, CONNACK timeout, socket error, broker close, keepalive miss, close() ──▶ Closed
//
// Closed is for good: a light device does not reconnect on its own (it is a load generator, not a
// firmware model). The one exception is the link it cuts itself mid-packet: then it connects again
// at once and resends, DUP set, every press still awaiting its PUBACK (it keeps their bytes).
// The fleet (light.ts) decides when a device starts and what it presses; this file keeps the link.
import net from 'node:net';
import {
  asDuplicate,
  connackReason,
  connectPacket,
  DISCONNECT,
  type Frame,
  PacketType,
  PINGREQ,
  publishPacket,
  pubackFor,
  readFrame,
  readUint16,
} from './light-packets.js';

/** CONNECT refused with CONNACK return code 1–5. */
export class LightConnectRefusedError extends Error {
  readonly returnCode: number;
  constructor(id: string, returnCode: number) {
    super(
      `light device ${id}: the broker refused CONNECT (CONNACK return code ${returnCode}: ${connackReason(returnCode)})`,
    );
    this.name = 'LightConnectRefusedError';
    this.returnCode = returnCode;
  }
}

export enum Phase {
  Waiting,
  Connecting,
  Open,
  /** After pressTorn cut the link: connecting again, to resend what is in flight. */
  Reconnecting,
  Closed,
}

/** A QoS 1 publish awaiting its PUBACK, with its bytes for a resend after a cut. */
export type Pending = { resolve: () => void; reject: (err: Error) => void; packet: Buffer };

/** One device: everything it needs, nothing more. */
export class LightDevice {
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

/** The next packet identifier of a device, 1 to 65535 and round again [MQTT-2.3.1-1]. */
export function nextId(d: LightDevice): number {
  d.nextMessageId = (d.nextMessageId % 65535) + 1;
  return d.nextMessageId;
}

export type LinkSettings = {
  host: string;
  port: number;
  /** Source addresses used in turn (device i gets localAddresses[i % n]). */
  localAddresses: readonly string[] | undefined;
  keepaliveSec: number;
  connectTimeoutMs: number;
  /** Publish `1` retained QoS 1 on `ribbon/{id}/online` after each CONNACK. */
  announceOnline: boolean;
};

/** What the fleet hears from the links. */
export type LinkHooks = {
  /** A device's first CONNACK 0 (not the one after a cut). */
  onConnected(d: LightDevice): void;
  /** A device went down for good; `wasConnecting` when it never had its first CONNACK. */
  onFailed(d: LightDevice, err: Error, wasConnecting: boolean): void;
  /** The fleet is closing: a cut link is not connected again. */
  isClosing(): boolean;
};

export type LightLinks = {
  /** A new socket and CONNECT for `d` (first connect, or the reconnect after a cut). */
  open(d: LightDevice): void;
  /** Writes the first bytes of a packet, then destroys the socket and connects again. */
  cut(d: LightDevice, head: Buffer): void;
  /** Takes `d` down for good; a no-op when it already is. */
  fail(d: LightDevice, err: Error): void;
  /** DISCONNECT (no will) and close every socket, waiting at most timeoutMs; pending presses reject. */
  closeAll(devices: readonly LightDevice[], timeoutMs: number): Promise<void>;
  /** Devices whose CONNACK accepted them and whose socket is still open. */
  connectedCount(): number;
  /** PUBLISHes cut mid-packet so far. */
  tornCount(): number;
};

export function createLightLinks(s: LinkSettings, hooks: LinkHooks): LightLinks {
  let connected = 0;
  let tornCount = 0;

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
    hooks.onFailed(d, err, wasConnecting);
  };

  const keepalive = (d: LightDevice): void => {
    d.timer = setTimeout(() => {
      if (d.phase !== Phase.Open) return;
      if (d.awaitingPingResp) {
        fail(d, new Error(`light device ${d.id}: no PINGRESP within ${s.keepaliveSec} s`));
        return;
      }
      d.awaitingPingResp = true;
      d.socket?.write(PINGREQ);
      keepalive(d);
    }, s.keepaliveSec * 1000);
  };

  const onConnack = (d: LightDevice, returnCode: number): void => {
    if (d.phase !== Phase.Connecting && d.phase !== Phase.Reconnecting) return;
    if (returnCode !== 0) {
      fail(d, new LightConnectRefusedError(d.id, returnCode));
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
      for (const pending of d.inflight.values()) d.socket?.write(asDuplicate(pending.packet));
    }
    if (s.announceOnline) {
      const messageId = nextId(d);
      const packet = publishPacket(`ribbon/${d.id}/online`, '1', messageId, true);
      (d.inflight ??= new Map()).set(messageId, { resolve: () => undefined, reject: () => undefined, packet });
      d.socket?.write(packet);
    }
    if (!reconnected) hooks.onConnected(d);
  };

  const onPacket = (d: LightDevice, buf: Buffer, start: number, frame: Frame): void => {
    switch ((buf[start] as number) >> 4) {
      case PacketType.CONNACK:
        // Body: acknowledge flags, return code.
        onConnack(d, buf[frame.bodyStart + 1] as number);
        return;
      case PacketType.PUBACK: {
        const messageId = readUint16(buf, frame.bodyStart);
        const r = d.inflight?.get(messageId);
        if (r) {
          d.inflight?.delete(messageId);
          r.resolve();
        }
        return;
      }
      case PacketType.PINGRESP:
        d.awaitingPingResp = false;
        return;
      case PacketType.PUBLISH: {
        const puback = pubackFor(buf, start, frame);
        if (puback) d.socket?.write(puback);
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
      const frame = readFrame(buf, pos);
      if (frame === 'malformed') {
        fail(d, new Error(`light device ${d.id}: malformed remaining length from the broker`));
        return;
      }
      if (frame === 'incomplete') break;
      onPacket(d, buf, pos, frame);
      if (d.phase === Phase.Closed) return;
      pos = frame.end;
    }
    if (pos < buf.length) d.rest = Buffer.from(buf.subarray(pos));
  };

  const open = (d: LightDevice): void => {
    const localAddress = s.localAddresses?.[d.index % s.localAddresses.length];
    const socket = net.createConnection({
      host: s.host,
      port: s.port,
      noDelay: true,
      ...(localAddress ? { localAddress } : {}),
    });
    d.socket = socket;
    d.timer = setTimeout(
      () => fail(d, new Error(`light device ${d.id}: no CONNACK within ${s.connectTimeoutMs} ms`)),
      s.connectTimeoutMs,
    );
    socket.once('connect', () => {
      socket.write(connectPacket(d.id, d.secret, s.keepaliveSec));
    });
    socket.on('data', (chunk: Buffer) => onData(d, chunk));
    socket.on('error', (err) => fail(d, new Error(`light device ${d.id}: ${err.message}`, { cause: err })));
    socket.on('close', () => fail(d, new Error(`light device ${d.id}: the broker closed the connection`)));
  };

  // The old socket's listeners go first: its close is ours, not news, and nothing more is read from it.
  const cut = (d: LightDevice, head: Buffer): void => {
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
      if (d.phase === Phase.Reconnecting && !hooks.isClosing()) open(d);
    });
  };

  const closeAll = async (devices: readonly LightDevice[], timeoutMs: number): Promise<void> => {
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
  };

  return {
    open,
    cut,
    fail,
    closeAll,
    connectedCount: () => connected,
    tornCount: () => tornCount,
  };
}
