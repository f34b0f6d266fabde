// One load generator process: C mqtt.js clients publishing QoS 1 with a bounded in-flight
// window each, optionally one QoS 1 subscriber, driven by the parent (loadgen.ts) over IPC:
//   parent → {run, config};  worker connects everything → {ready}
//   parent → {start};        warm-up → {window-start} → measured window → {window-end}
//                             → drain (bounded) → {result} → closes clients and exits.
// A worker whose parent goes away exits at once.
import net from 'node:net';
import { MqttClient, type IClientOptions, type IClientPublishOptions } from 'mqtt';
import type { FromWorker, LoadClient, ToWorker, WorkerConfig, WorkerResult } from './loadgen-protocol.js';
import { createHistogram } from './stats.js';

const QOS1: IClientPublishOptions = { qos: 1 };
const PAYLOAD_BYTES = 100;
const STAMP_START = 6; // after `{"t":"`
const STAMP_DIGITS = 20;

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

function nowNs(): bigint {
  return process.hrtime.bigint();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function connectClient(url: URL, spec: Omit<LoadClient, 'topic'>, timeoutMs: number): Promise<MqttClient> {
  const port = Number(url.port || 1883);
  const host = url.hostname;
  const options: IClientOptions = {
    protocolVersion: 4,
    clientId: spec.clientId,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0, // a dropped connection is a failed run, not something to hide
    connectTimeout: timeoutMs,
    resubscribe: false,
  };
  if (spec.username !== undefined) options.username = spec.username;
  if (spec.password !== undefined) options.password = spec.password;
  // Own stream builder: TCP_NODELAY on the client side too (Nagle would hold small writes while
  // one is unacknowledged), and a source address when asked (mqtt.js's tcp builder ignores it).
  const build = (): net.Socket =>
    net.createConnection({
      host,
      port,
      noDelay: true,
      ...(spec.localAddress !== undefined ? { localAddress: spec.localAddress } : {}),
    });
  const client = new MqttClient(build, options);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs + 1_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      client.removeListener('connect', ok);
      client.end(true);
      reject(new Error(`client ${spec.clientId}: ${err.message}`));
    };
    const ok = (): void => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      resolve(client);
    };
    client.once('connect', ok);
    client.once('error', fail);
  });
}

async function connectAll(
  url: URL,
  specs: readonly LoadClient[],
  concurrency: number,
  timeoutMs: number,
  opened: MqttClient[],
): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array<MqttClient>(specs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < specs.length) {
      const i = next++;
      const client = await connectClient(url, specs[i] as LoadClient, timeoutMs);
      opened.push(client);
      clients[i] = client;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, lane));
  return clients;
}

function payloadFactory(config: WorkerConfig): (clientIndex: number, seq: number, t: bigint) => string {
  switch (config.payload) {
    case 'ribbon-state': {
      const boot = config.boot;
      return (_c, seq) => `{"state":"blue","seq":${seq},"boot":${boot}}`;
    }
    case 'bytes100':
      return (c, seq, t) => {
        const head = `{"t":"${t.toString().padStart(STAMP_DIGITS, '0')}","c":${c},"s":${seq},"p":"`;
        const pad = Math.max(0, PAYLOAD_BYTES - head.length - 2);
        return `${head}${'x'.repeat(pad)}"}`;
      };
    default: {
      const never: never = config.payload;
      throw new Error(`unknown payload ${String(never)}`);
    }
  }
}

interface Slot {
  index: number;
  client: MqttClient;
  topic: string;
  inflight: number;
  seq: number;
}

async function run(config: WorkerConfig, waitForStart: Promise<void>): Promise<WorkerResult> {
  const url = new URL(config.url);
  const opened: MqttClient[] = [];
  const clientErrors: string[] = [];
  let disconnects = 0;
  let closing = false; // set before we close clients ourselves, so those closes are not counted
  const watch = (client: MqttClient, id: string): void => {
    client.on('error', (err) => {
      if (clientErrors.length < 20) clientErrors.push(`${id}: ${err.message}`);
    });
    client.on('close', () => {
      if (!closing) disconnects++;
    });
  };

  try {
    const connectStart = performance.now();
    const clients = await connectAll(url, config.clients, config.connectConcurrency, config.connectTimeoutMs, opened);
    const slots: Slot[] = clients.map((client, index) => {
      const spec = config.clients[index] as LoadClient;
      watch(client, spec.clientId);
      return { index, client, topic: spec.topic, inflight: 0, seq: 0 };
    });

    // ── run state, shared by the subscriber and the publishers ─────────────────────────────
    const pubackLatency = createHistogram();
    const window = config.windowPerClient;
    let sending = true;
    let windowOpen = false;
    // Send-time bounds of the window as CLOCK_MONOTONIC ns (Number: sub-µs precision is plenty).
    let windowStartNs = Number.POSITIVE_INFINITY;
    let windowEndNs = Number.POSITIVE_INFINITY;
    let sent = 0;
    let acked = 0;
    let publishErrors = 0;
    let windowSent = 0;
    let windowAcked = 0;
    let behind = 0;
    let maxBehind = 0;
    let inflight = 0;
    let cpuAtStart = process.cpuUsage();
    let cpuInWindow: NodeJS.CpuUsage = { user: 0, system: 0 };
    let windowStartMs = 0;
    let windowMs = 0;

    // ── subscriber ──────────────────────────────────────────────────────────────────────
    const receiveLatency = createHistogram();
    let received = 0;
    let windowReceived = 0;
    let lastReceiveMs = 0;
    let subscriber: MqttClient | null = null;
    if (config.subscribe !== null) {
      subscriber = await connectClient(url, { clientId: config.subscriberClientId }, config.connectTimeoutMs);
      opened.push(subscriber);
      watch(subscriber, config.subscriberClientId);
      const topics =
        config.subscribe === 'own-topics'
          ? [...new Set(config.clients.map((c) => c.topic))]
          : [config.subscribe.filter];
      const sub = subscriber;
      await new Promise<void>((resolve, reject) => {
        sub.subscribe(topics, { qos: 1 }, (err, granted) => {
          if (err) return reject(err);
          const refused = (granted ?? []).filter((g) => g.qos !== 1);
          if (refused.length > 0)
            return reject(new Error(`subscription not granted at QoS 1: ${JSON.stringify(refused)}`));
          resolve();
        });
      });
      const stamped = config.payload === 'bytes100';
      sub.on('message', (_topic, payload) => {
        received++;
        lastReceiveMs = performance.now();
        if (windowOpen) windowReceived++;
        if (!stamped) return;
        const t = Number(payload.toString('latin1', STAMP_START, STAMP_START + STAMP_DIGITS));
        if (t >= windowStartNs && t < windowEndNs) receiveLatency.record((Number(nowNs()) - t) / 1e6);
      });
    }
    const connectMs = performance.now() - connectStart;
    await send({ type: 'ready', connectMs });
    await waitForStart;

    // ── publishing ──────────────────────────────────────────────────────────────────────
    const makePayload = payloadFactory(config);

    const mayPublish = (): boolean => sending && (config.maxMessages === null || sent < config.maxMessages);

    const publishOne = (slot: Slot): void => {
      const seq = ++slot.seq;
      slot.inflight++;
      inflight++;
      sent++;
      const measured = windowOpen;
      if (measured) windowSent++;
      const t = nowNs();
      slot.client.publish(slot.topic, makePayload(slot.index, seq, t), QOS1, (err) => {
        slot.inflight--;
        inflight--;
        if (err) {
          publishErrors++;
        } else {
          acked++;
          if (windowOpen) windowAcked++;
          if (measured) pubackLatency.record(Number(nowNs() - t) / 1e6);
        }
        onSlotFree(slot);
      });
      if (config.maxMessages !== null && sent >= config.maxMessages) stopSending();
    };

    // Set below by the mode (closed loop or fixed rate) before the first publish.
    let onSlotFree: (slot: Slot) => void = () => undefined;
    let nextSlot = 0;
    const findFreeSlot = (): Slot | null => {
      for (let k = 0; k < slots.length; k++) {
        const slot = slots[(nextSlot + k) % slots.length] as Slot;
        if (slot.inflight < window) {
          nextSlot = (slot.index + 1) % slots.length;
          return slot;
        }
      }
      return null;
    };

    let rateTimer: NodeJS.Timeout | null = null;
    const timers: NodeJS.Timeout[] = [];
    const openWindow = (): void => {
      if (windowOpen || windowMs > 0) return;
      windowOpen = true;
      windowStartNs = Number(nowNs());
      windowStartMs = performance.now();
      cpuAtStart = process.cpuUsage();
      void send({ type: 'window-start' });
    };
    function stopSending(): void {
      if (!sending) return;
      sending = false;
      if (rateTimer !== null) clearTimeout(rateTimer);
      if (!windowOpen) openWindow(); // count reached during warm-up: an empty window
      windowOpen = false;
      windowEndNs = Number(nowNs());
      windowMs = performance.now() - windowStartMs;
      cpuInWindow = process.cpuUsage(cpuAtStart);
      for (const t of timers) clearTimeout(t);
      void send({ type: 'window-end' });
    }

    const startMs = performance.now();
    if (config.warmupMs > 0) timers.push(setTimeout(openWindow, config.warmupMs));
    else openWindow();
    timers.push(setTimeout(stopSending, config.warmupMs + config.durationMs));

    if (config.ratePerSec === null) {
      // Closed loop: every client keeps `window` messages in flight; each PUBACK sends the next.
      onSlotFree = (slot) => {
        if (mayPublish()) publishOne(slot);
      };
      for (let k = 0; k < window; k++) {
        for (const slot of slots) if (mayPublish()) publishOne(slot);
      }
    } else {
      // Open loop at a fixed rate: a 1 ms tick issues every message due by now (round-robin over
      // clients with a free slot); a due message with no free slot waits for the next PUBACK.
      const perMs = config.ratePerSec / 1000;
      let issued = 0;
      onSlotFree = (slot) => {
        if (behind > 0 && mayPublish()) {
          behind--;
          publishOne(slot);
        }
      };
      const tick = (): void => {
        if (!sending) return;
        const due = Math.floor((performance.now() - startMs) * perMs);
        while (issued < due && mayPublish()) {
          issued++;
          const slot = findFreeSlot();
          if (slot) publishOne(slot);
          else behind++;
        }
        if (behind > maxBehind) maxBehind = behind;
        if (sending) rateTimer = setTimeout(tick, 1);
      };
      tick();
    }

    // Bounded run: wait for the window to end (it always does: timer or count).
    const hardStop = performance.now() + config.warmupMs + config.durationMs + 60_000;
    while (sending && performance.now() < hardStop) await sleep(10);
    stopSending();

    // ── drain: outstanding PUBACKs, and (own topics) every acknowledged message received ──────
    const drainEnd = performance.now() + config.drainTimeoutMs;
    const ownTopics = config.subscribe === 'own-topics';
    while (performance.now() < drainEnd) {
      const publishersDone = inflight === 0;
      const subscriberDone =
        subscriber === null ||
        (ownTopics ? received >= acked : performance.now() - Math.max(lastReceiveMs, windowStartMs + windowMs) > 200);
      if (publishersDone && subscriberDone) break;
      await sleep(5);
    }

    const cpuPercent = windowMs > 0 ? ((cpuInWindow.user + cpuInWindow.system) / 1000 / windowMs) * 100 : Number.NaN;
    closing = true;
    return {
      index: config.index,
      pid: process.pid,
      clients: slots.length,
      connectMs,
      sent,
      acked,
      received,
      publishErrors,
      clientErrors,
      disconnects,
      unacked: inflight,
      windowMs,
      windowSent,
      windowAcked,
      windowReceived,
      pubackLatency: pubackLatency.toData(),
      receiveLatency: receiveLatency.toData(),
      maxBehind,
      cpuUserMs: cpuInWindow.user / 1000,
      cpuSystemMs: cpuInWindow.system / 1000,
      cpuPercent,
    };
  } finally {
    closing = true;
    for (const client of opened) client.end(true);
  }
}

function main(): void {
  if (!process.send) {
    console.error('loadgen-worker must be started by loadgen.ts with an IPC channel');
    process.exit(2);
  }
  let release: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (release = resolve));
  // The parent is the only reason to live: if it goes, so do we (and our sockets).
  process.on('disconnect', () => process.exit(1));
  process.on('message', (raw: ToWorker) => {
    if (raw.type === 'start') release();
    else if (raw.type === 'run') {
      run(raw.config, started).then(
        async (result) => {
          await send({ type: 'result', result });
          process.exit(0);
        },
        async (err: unknown) => {
          await send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
          process.exit(1);
        },
      );
    }
  });
}

main();
