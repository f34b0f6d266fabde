// A simulated button: a real mqtt.js client speaking the device side of the MQTT contract
// (docs/protocol.md). Tests, demos and load runs all use it, so it behaves like a firmware would:
// persistent session, a will on `online`, QoS 1 presses that mqtt.js keeps until their PUBACK
// and resends after every reconnect. This file is the button and its session (presses, the seq/boot
// counter, acks, connect/close); how its client is built is device-connection.ts, the JSON it
// sends and reads is device-payload.ts, the mid-packet cut is device-tear.ts.
import { EventEmitter } from 'node:events';
import { ErrorWithReasonCode, type MqttClient } from 'mqtt';
import type { TearReport } from './cut.js';
import {
  type ConnectDeviceOptions,
  createClient,
  DEFAULTS,
  type Topics,
  topicsFor,
  validateOptions,
} from './device-connection.js';
import {
  CertificateRefusedError,
  ConnectRefusedError,
  DeviceClosedError,
  isCertificateError,
} from './device-errors.js';
import { matcherFromFields, parseAck, pressPayload } from './device-payload.js';
import { armTear } from './device-tear.js';
import { publishKept } from './device-publish.js';
import {
  type AutoHeartbeat as AutoBeat,
  autoHeartbeat,
  type HeartbeatSchedule,
  parseConfig,
  waitForEvent,
} from './device-heartbeat.js';
import type { DeviceConfig, ReceivedAck as DeviceAck } from '../protocol/mqtt.js';
import { RIBBON_STATES, type RibbonState } from '../protocol/ribbon.js';

export type { ConnectDeviceOptions } from './device-connection.js';
export { CertificateRefusedError, ConnectRefusedError, DeviceClosedError } from './device-errors.js';
export { formatLocalIso, parseAck } from './device-payload.js';

export { RIBBON_STATES, type RibbonState } from '../protocol/ribbon.js';
export type { DeviceAck };

export type PressExtra = {
  /** ISO time of the press; default now with the local offset; null leaves it out. */
  at?: string | null | undefined;
  battery?: number | undefined;
};
export type PressResult = { seq: number; boot: number | undefined };

export type AckMatcher = ((ack: DeviceAck) => boolean) | Partial<DeviceAck>;

type DeviceEvents = {
  ack: [ack: DeviceAck];
  /** The server told the device its settings (ribbon/{id}/config). */
  config: [config: DeviceConfig];
  /** A heartbeat the device sent by itself (autoHeartbeat) was acknowledged. */
  heartbeat: [];
  /** Every (re)connection, once the online flag and the ack subscription are sent. */
  connect: [];
  offline: [];
  /** Errors after the first connection (refusals on reconnect, keepalive timeouts, …). */
  mqttError: [err: Error];
};

export async function connectDevice(opts: ConnectDeviceOptions): Promise<SimDevice> {
  const o = validateOptions(opts);
  const topics = topicsFor(o.id);
  const client = createClient(o, topics);
  const device = new SimDevice(client, {
    id: o.id,
    boot: o.boot,
    startSeq: o.startSeq,
    now: o.now,
    autoHeartbeat: o.autoHeartbeat,
  });
  await device.waitUntilReady(o.connectTimeoutMs, o.url);
  return device;
}

export class SimDevice {
  readonly id: string;
  /** The underlying mqtt.js client, for tests that need to go below this API. */
  readonly client: MqttClient;
  /** Seqs of presses whose PUBACK arrived, in arrival order. */
  readonly acked: number[] = [];
  /** Readable messages from `ribbon/{id}/ack`, in arrival order. */
  readonly acks: DeviceAck[] = [];
  /** Readable messages from `ribbon/{id}/config`, in arrival order (the last is in force). */
  readonly configs: DeviceConfig[] = [];

  #seq: number;
  #boot: number | undefined;
  #unparsableAcks = 0;
  #tornPackets = 0;
  #state: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  #closed: Promise<void> | undefined;
  readonly #now: () => Date;
  readonly #topics: Topics;
  readonly #events = new EventEmitter();
  /** Rejecters of publishes still waiting for their PUBACK, settled on close/kill. */
  readonly #pending = new Set<(err: Error) => void>();
  /** Rejecters of waitForAck calls, settled on close/kill. */
  readonly #waiters = new Set<(err: Error) => void>();
  /** Settles connectDevice: set while the first session is being set up. */
  #initial: { resolve: () => void; reject: (err: Error) => void; lastError: Error | undefined } | undefined;
  /** Its own heartbeat timer (autoHeartbeat), at the interval the server told it. */
  readonly #beat: HeartbeatSchedule | undefined;

  /** Use connectDevice(); the constructor only wires listeners onto an already created client. */
  constructor(
    client: MqttClient,
    init: {
      id: string;
      boot: number | undefined;
      startSeq: number;
      now: () => Date;
      autoHeartbeat: AutoBeat | undefined;
    },
  ) {
    this.client = client;
    this.id = init.id;
    this.#boot = init.boot;
    this.#seq = init.startSeq;
    this.#now = init.now;
    this.#topics = topicsFor(init.id);
    // Unbounded listeners are fine: waitForAck callers remove theirs when they settle.
    this.#events.setMaxListeners(0);
    this.#beat = autoHeartbeat(init.autoHeartbeat, (battery, about) => {
      if (!this.client.connected) return;
      this.heartbeat(battery, about).then(
        () => this.#events.emit('heartbeat'),
        (err: Error) => this.#emitError(err),
      );
    });

    client.on('connect', () => this.#onConnect());
    client.on('offline', () => this.#events.emit('offline'));
    client.on('message', (topic, payload) => {
      if (topic === this.#topics.ack) this.#onAck(payload);
      else if (topic === this.#topics.config) this.#onConfig(payload);
    });
    client.on('error', (err) => this.#onError(err));
  }

  /** The heartbeat interval in force (seconds): the last one told, or an hour; null without autoHeartbeat. */
  get heartbeatSec(): number | null {
    return this.#beat?.sec ?? null;
  }

  get seq(): number {
    return this.#seq;
  }
  get boot(): number | undefined {
    return this.#boot;
  }
  get connected(): boolean {
    return this.client.connected;
  }
  /** PUBLISHes pressTorn() cut mid-packet on the wire so far. */
  get tornPackets(): number {
    return this.#tornPackets;
  }
  /** Messages on the ack topic that were not `{"seq":n|null,"status":"…"}`. */
  get unparsableAcks(): number {
    return this.#unparsableAcks;
  }

  on<E extends keyof DeviceEvents>(event: E, listener: (...args: DeviceEvents[E]) => void): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  off<E extends keyof DeviceEvents>(event: E, listener: (...args: DeviceEvents[E]) => void): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /**
   * Publishes `{"state","seq","boot","at","battery"}` QoS 1 on `ribbon/{id}/state` and resolves
   * on its PUBACK. If the connection drops first, mqtt.js resends it after the reconnect and the
   * promise resolves then: that is the device's "resend what was not acknowledged".
   */
  async press(state: RibbonState, extra: PressExtra = {}): Promise<PressResult> {
    const { seq, boot, body } = this.#nextPress('press', state, extra);
    await this.#publish(this.#topics.state, body, 1, `press seq ${seq}`);
    this.acked.push(seq);
    return { seq, boot };
  }

  /**
   * A press whose link is cut inside its PUBLISH (chaos `tear`): when mqtt.js writes the packet,
   * only its first cutPoint(size, cut) bytes reach the socket, which is then destroyed, so the
   * broker is left holding an incomplete packet. mqtt.js keeps the unacknowledged packet in its
   * outgoing store and resends it (DUP set) after reconnecting; this resolves on that PUBACK, like
   * press(). `tear` says what reached the wire (null if the socket failed before the cut).
   * While the device is offline the cut happens when the stored packet is first written.
   */
  async pressTorn(
    state: RibbonState,
    cut: number,
    extra: PressExtra = {},
  ): Promise<PressResult & { tear: TearReport | null }> {
    if (!(cut >= 0 && cut < 1)) throw new RangeError(`pressTorn(): cut must be in [0, 1), got ${cut}`);
    const { seq, boot, body } = this.#nextPress('pressTorn', state, extra);
    const topic = this.#topics.state;
    let tear: TearReport | null = null;
    const disarm = armTear(this.client, topic, body, cut, (torn) => {
      tear = torn;
      this.#tornPackets += 1;
    });
    try {
      await this.#publish(topic, body, 1, `torn press seq ${seq}`);
    } finally {
      disarm();
    }
    this.acked.push(seq);
    return { seq, boot, tear };
  }

  /** Takes the next seq and builds the press's JSON (synchronously: callers read `seq` at once). */
  #nextPress(
    what: string,
    state: RibbonState,
    extra: PressExtra,
  ): { seq: number; boot: number | undefined; body: string } {
    if (!RIBBON_STATES.includes(state)) {
      throw new TypeError(`${what}(): state must be one of ${RIBBON_STATES.join(', ')}, got ${String(state)}`);
    }
    this.#assertOpen(what);
    const seq = ++this.#seq;
    const boot = this.#boot;
    return { seq, boot, body: pressPayload(state, seq, boot, extra, this.#now) };
  }

  /** A cheap button's press: the bare word on `ribbon/{id}/state`, QoS 1, no seq. */
  async pressBare(state: RibbonState): Promise<void> {
    this.#assertOpen('pressBare');
    await this.#publish(this.#topics.state, state, 1, `bare press ${state}`);
  }

  /** A heartbeat with the battery, and the model and firmware when given (docs/protocol.md §5). */
  async heartbeat(battery: number, about: { model?: string; fw?: string } = {}): Promise<void> {
    this.#assertOpen('heartbeat');
    await this.#publish(this.#topics.heartbeat, JSON.stringify({ battery, ...about }), 1, 'heartbeat');
  }

  /**
   * Publishes anything, for bad-input tests. `subtopic` is put under `ribbon/{id}/` unless it is
   * already a full topic (starts with `ribbon/` or `$`, or contains `#`). Beware: a QoS 1
   * message the broker answers by dropping the connection is resent after every reconnect, as
   * a real device would; use QoS 0 or kill() the device when that is not what the test wants.
   */
  async publishRaw(subtopic: string, payload: string | Buffer, qos: 0 | 1 | 2 = 1): Promise<void> {
    this.#assertOpen('publishRaw');
    const full = subtopic.startsWith('ribbon/') || subtopic.startsWith('$') || subtopic.includes('#');
    const topic = full ? subtopic : `ribbon/${this.id}/${subtopic}`;
    await this.#publish(topic, payload, qos, `publish on ${topic}`);
  }

  /** The counter restarts: seq back to 0, boot + 1 (stays undefined for a device without boot). */
  reboot(): void {
    this.#seq = 0;
    if (this.#boot !== undefined) this.#boot += 1;
  }

  /**
   * Resolves with the first ack, already received or still to come, that matches; rejects after
   * timeoutMs or when the device is closed. A matcher object compares the fields it names.
   */
  waitForAck(match: AckMatcher, timeoutMs: number): Promise<DeviceAck> {
    const predicate = typeof match === 'function' ? match : matcherFromFields(match);
    const seen = this.acks.find(predicate);
    if (seen) return Promise.resolve(seen);
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(new DeviceClosedError(this.id, 'waitForAck'));
    }
    const timeout = () => {
      const got = this.acks.map((a) => JSON.stringify(a)).join(', ') || 'none';
      return new Error(`device ${this.id}: no matching ack within ${timeoutMs} ms (acks so far: ${got})`);
    };
    return waitForEvent(this.#events, 'ack', predicate, timeoutMs, timeout, this.#waiters);
  }

  /**
   * Clean disconnect: waits for publishes in flight, sends DISCONNECT (so the broker drops the
   * will, MQTT-3.1.2-10) and closes. If that takes longer than timeoutMs the socket is destroyed.
   */
  close(timeoutMs: number = DEFAULTS.closeTimeoutMs): Promise<void> {
    return this.#shutdown(false, timeoutMs);
  }

  /** Destroys the socket without DISCONNECT, like a pulled battery: the broker publishes the will. */
  kill(): Promise<void> {
    return this.#shutdown(true, DEFAULTS.closeTimeoutMs);
  }

  /**
   * Destroys the socket but stays alive: mqtt.js reconnects after the reconnect period and
   * resends what was not acknowledged (a network blip). The broker publishes the will meanwhile.
   */
  dropConnection(): void {
    this.#assertOpen('dropConnection');
    this.client.stream.destroy();
  }

  /** @internal Called by connectDevice: settles when the first session is ready. */
  waitUntilReady(timeoutMs: number, url: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const last = this.#initial?.lastError;
        const why = last ? ` (last error: ${last.message})` : '';
        fail(new Error(`device ${this.id}: could not connect to ${url} within ${timeoutMs} ms${why}`));
      }, timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        this.#initial = undefined;
        // Stop mqtt.js from retrying: the caller gets the error, not a client looping forever.
        void this.#shutdown(true, DEFAULTS.closeTimeoutMs).then(() => reject(err));
      };
      this.#initial = {
        resolve: () => {
          clearTimeout(timer);
          this.#initial = undefined;
          this.#state = 'open';
          resolve();
        },
        reject: fail,
        lastError: undefined,
      };
    });
  }

  #onConnect(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    // On every (re)connect: the online flag (retained, it overwrites the will's `0`) and the
    // ack subscription. The subscription is repeated even when the session was resumed:
    // cheap, and it covers a broker that lost its sessions.
    const online = this.#publish(this.#topics.online, '1', 1, 'online flag', true);
    const subscribed = new Promise<void>((resolve, reject) => {
      const { ack, config } = this.#topics;
      this.client.subscribe([ack, config], { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        // MQTT-3.9.3: 0x80 in the SUBACK is a refusal.
        const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
        if (refused.length > 0) {
          return reject(new Error(`device ${this.id}: the broker refused the subscription to ${refused.join(', ')}`));
        }
        resolve();
      });
    });
    this.#beat?.arm();
    this.#events.emit('connect');
    Promise.all([online, subscribed]).then(
      () => this.#initial?.resolve(),
      (err: Error) => {
        if (this.#initial) this.#initial.reject(err);
        else this.#emitError(err);
      },
    );
  }

  /** A new interval counts from now: the timer is re-armed with it. */
  #onConfig(payload: Buffer): void {
    const config = parseConfig(payload);
    if (!config) return;
    this.configs.push(config);
    this.#beat?.arm(config.heartbeatSec);
    this.#events.emit('config', config);
  }

  #onAck(payload: Buffer): void {
    const ack = parseAck(payload);
    if (!ack) {
      this.#unparsableAcks += 1;
      return;
    }
    this.acks.push(ack);
    this.#events.emit('ack', ack);
  }

  #onError(err: Error): void {
    if (this.#initial) {
      // A CONNACK refusal while connecting for the first time is final: wrong secret, unknown
      // device. Network errors are not: the broker may still be starting, so retry until the
      // deadline. (After the first session, refusals are retried: reconnectOnConnackError.)
      if (err instanceof ErrorWithReasonCode) {
        const reason = err.message.replace(/^Connection refused: /, '');
        this.#initial.reject(new ConnectRefusedError(this.id, err.code, reason, { cause: err }));
      } else if (isCertificateError(err)) {
        // A certificate that fails verification will fail again: as final as a refused CONNECT.
        this.#initial.reject(new CertificateRefusedError(this.id, err.code, err.message, { cause: err }));
      } else {
        this.#initial.lastError = err;
      }
      return;
    }
    this.#emitError(err);
  }

  #emitError(err: Error): void {
    if (this.#events.listenerCount('mqttError') > 0) this.#events.emit('mqttError', err);
  }

  #publish(topic: string, payload: string | Buffer, qos: 0 | 1 | 2, what: string, retain = false): Promise<void> {
    const closing = () => this.#state === 'closing' || this.#state === 'closed';
    return publishKept(
      this.client,
      { topic, payload, qos, retain, what: `device ${this.id}: ${what}` },
      this.#pending,
      closing,
    );
  }

  #assertOpen(what: string): void {
    if (this.#state === 'closing' || this.#state === 'closed') {
      throw new Error(`device ${this.id}: ${what}() after close() or kill()`);
    }
  }

  #shutdown(force: boolean, timeoutMs: number): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#state = 'closing';
    this.#beat?.stop();
    const client = this.client;
    // Not connected: there is nobody to say DISCONNECT to; mqtt.js just stops reconnecting.
    const graceful = !force && client.connected;
    this.#closed = new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        client.off('close', finish);
        resolve();
      };
      // If the broker never acknowledges what is in flight, give up and destroy the socket.
      const timer = setTimeout(() => client.stream.destroy(), timeoutMs);
      // 'close' covers a connection that drops while mqtt.js waits for outstanding PUBACKs:
      // mqtt.js would then never call the end() callback.
      client.once('close', finish);
      client.end(!graceful, finish);
    }).then(() => {
      this.#state = 'closed';
      for (const fail of [...this.#pending]) fail(new DeviceClosedError(this.id, 'publish'));
      for (const fail of [...this.#waiters]) fail(new DeviceClosedError(this.id, 'waitForAck'));
    });
    return this.#closed;
  }
}
