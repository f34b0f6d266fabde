// The light device engine: thousands of buttons from one process, each a TCP socket, a press
// counter and one timer — no mqtt.js client, no EventEmitter of our own per device. This file is
// the fleet: options, connect scheduling (bounded concurrency, optional pacing), the connect
// report and presses. A device's link (CONNECT, keepalive, reading packets, the cut and resend) is
// light-link.ts; the bytes are light-packets.ts; the process limits are light-limits.ts.
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
import type { SimCredential } from './credentials.js';
import { cutPoint, type TearReport } from './cut.js';
import { RIBBON_STATES, type RibbonState } from './device.js';
import { checkFleetLimits } from './light-limits.js';
import { createLightLinks, LightConnectRefusedError, LightDevice, nextId, Phase } from './light-link.js';
import { publishPacket } from './light-packets.js';

export { checkFleetLimits, FD_RESERVE, readLocalPortRange, readOpenFileLimit } from './light-limits.js';
export { LightConnectRefusedError } from './light-link.js';

export type LightFleetOptions = {
  host: string;
  port: number;
  devices: readonly SimCredential[];
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
  let settled = 0;
  let inProgress = 0;
  let next = 0;
  let closing = false;
  let firstStart = 0;
  const errors: LightConnectReport['errors'] = [];
  let failedCount = 0;
  let allSettled: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allSettled = resolve));
  let pacer: NodeJS.Timeout | null = null;

  const settleOne = (): void => {
    settled += 1;
    inProgress -= 1;
    if (settled === devices.length) allSettled();
    else pump();
  };

  const links = createLightLinks(
    {
      host: opts.host,
      port: opts.port,
      localAddresses,
      keepaliveSec,
      connectTimeoutMs,
      announceOnline: opts.announceOnline ?? false,
    },
    {
      onConnected: settleOne,
      onFailed(d, err, wasConnecting) {
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
      },
      isClosing: () => closing,
    },
  );

  const startOne = (d: LightDevice): void => {
    inProgress += 1;
    d.phase = Phase.Connecting;
    d.startedAt = performance.now();
    if (firstStart === 0) firstStart = d.startedAt;
    links.open(d);
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
    const packet = publishPacket(`ribbon/${d.id}/state`, JSON.stringify({ state, seq, boot }), messageId, false);
    return { d, seq, messageId, inflight, packet };
  }

  return {
    size: devices.length,
    report,
    connectedCount: () => links.connectedCount(),
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
        links.cut(d, packet.subarray(0, tear.sentBytes));
      });
    },
    tornPackets: () => links.tornCount(),
    async close(timeoutMs = 5000) {
      closing = true;
      if (pacer) clearTimeout(pacer);
      await links.closeAll(devices, timeoutMs);
    },
  };
}
