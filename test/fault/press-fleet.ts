// Devices on the host pressing through a guest's broker, each keeping a few presses waiting for
// their PUBACK, recording which presses (device id, boot, seq) got one. Used by the power-cut test.
import {
  CertificateRefusedError,
  ConnectRefusedError,
  connectDevice,
  type SimDevice,
} from '../../device-sim/device.js';
import { closeFleet } from '../../device-sim/fleet.js';
import { createRandom, deriveSeed, type Random } from '../../device-sim/random.js';
import type { RibbonState } from '../../protocol/ribbon.js';
import { type PressCredential, provisionHouseholds } from '../helpers/press-households.js';

export type Credential = PressCredential;

/** `count` households with one device each, written to a new database in `dataDir`. */
export function provisionFleet(dataDir: string, count: number, rng: Random): Credential[] {
  return provisionHouseholds(dataDir, count, rng, { compound: '断电小区', room: '2', idPrefix: 'cut-dev-' });
}

/** Mostly blue, some yellow, a few red (each red joins its household's one emergency alert). */
function pickState(rng: Random): RibbonState {
  const r = rng.int(100);
  return r < 5 ? 'red' : r < 20 ? 'yellow' : 'blue';
}

export type Pressing = {
  readonly devices: readonly SimDevice[];
  /** "id/boot/seq" of every press whose PUBACK arrived, with its state. */
  readonly acked: ReadonlyMap<string, RibbonState>;
  /** "id/boot/seq" → state of every press published. */
  readonly sent: ReadonlyMap<string, RibbonState>;
  /** First connections that failed and were tried again (see connectRetrying). */
  readonly connectRetries: number;
  /** Resolves once `n` more PUBACKs than now arrived; rejects after timeoutMs. */
  more(n: number, timeoutMs: number, what: string): Promise<void>;
  /** Stops pressing; resolves once every press in flight has its PUBACK (or failed). */
  stop(): Promise<string[]>;
  close(): Promise<void>;
};

export const pressKey = (id: string, boot: number | null, seq: number | null): string => `${id}/${boot}/${seq}`;

/** One attempt's wait for its CONNACK and first session, before a fresh connection is tried. */
const CONNECT_ATTEMPT_MS = 20_000;
/** The pause between a failed attempt and the next. */
const CONNECT_RETRY_PAUSE_MS = 1000;

/** Refusals that another attempt cannot mend: a wrong secret, a certificate refused. */
const isFinal = (err: unknown): boolean =>
  err instanceof CertificateRefusedError ||
  // 3 "server unavailable" is a server that is still starting; 1, 2, 4 and 5 are final.
  (err instanceof ConnectRefusedError && err.returnCode !== 3);

/**
 * The first connection, tried again on a fresh socket until `withinMs` is spent, as a button's
 * firmware does. Under emulation a CONNECT to a guest that has just started can go unanswered
 * for a minute (one device of 24 in a CI run; three in a run here); each attempt waits
 * CONNECT_ATTEMPT_MS (also mqtt.js' CONNACK wait on every later reconnect, so never shortened),
 * and the last may end a little past `withinMs`. `retries` counts the attempts that failed.
 */
async function connectRetrying(
  url: string,
  c: Credential,
  withinMs: number,
  retries: { count: number },
): Promise<SimDevice> {
  const deadline = Date.now() + withinMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectDevice({
        url,
        id: c.id,
        secret: c.secret,
        boot: c.boot,
        reconnectPeriodMs: 500,
        connectTimeoutMs: CONNECT_ATTEMPT_MS,
      });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (isFinal(err) || Date.now() + CONNECT_RETRY_PAUSE_MS >= deadline) {
        throw new Error(`device ${c.id}: no session after ${attempt} attempt(s) in ${withinMs} ms: ${why}`, {
          cause: err,
        });
      }
      retries.count++;
      console.log(`press-fleet: device ${c.id}: first connection, attempt ${attempt} failed (${why}); trying again`);
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_PAUSE_MS));
    }
  }
}

/**
 * Connects the devices (the broker must be up) and starts pressing: each device keeps `inFlight`
 * presses waiting for their PUBACK. A press is only counted acked when its PUBACK arrived; a
 * press whose connection dropped is resent by mqtt.js after the reconnect (same seq), as a
 * firmware does.
 */
export async function startPressing(opts: {
  url: string;
  credentials: readonly Credential[];
  seed: number;
  inFlight: number;
  /** How long a device keeps trying its first connection (attempts of CONNECT_ATTEMPT_MS each). */
  connectWithinMs: number;
}): Promise<Pressing> {
  const retries = { count: 0 };
  const connected = await Promise.allSettled(
    opts.credentials.map((c) => connectRetrying(opts.url, c, opts.connectWithinMs, retries)),
  );
  const devices = connected.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = connected.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length > 0) {
    // Those that did connect are closed, not left reconnecting behind a failed test.
    await Promise.allSettled(devices.map((d) => d.kill()));
    throw failed[0];
  }
  const acked = new Map<string, RibbonState>();
  const sent = new Map<string, RibbonState>();
  const failures: string[] = [];
  const waiters = new Set<{ target: number; resolve: () => void }>();
  let stopping = false;
  const onAck = (key: string, state: RibbonState) => {
    acked.set(key, state);
    for (const w of waiters) {
      if (acked.size >= w.target) {
        waiters.delete(w);
        w.resolve();
      }
    }
  };
  const loop = async (device: SimDevice, rng: Random) => {
    const inFlight = new Set<Promise<void>>();
    while (!stopping) {
      if (inFlight.size >= opts.inFlight) {
        await Promise.race(inFlight);
        continue;
      }
      const state = pickState(rng);
      const pressed = device.press(state);
      const key = pressKey(device.id, device.boot ?? null, device.seq);
      sent.set(key, state);
      const tracked: Promise<void> = pressed
        .then(
          () => onAck(key, state),
          (err: unknown) => {
            if (!stopping) failures.push(`${key}: ${err instanceof Error ? err.message : String(err)}`);
          },
        )
        .finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.allSettled([...inFlight]);
  };
  const loops = devices.map((d, i) => loop(d, createRandom(deriveSeed(opts.seed, i))));
  return {
    connectRetries: retries.count,
    devices,
    acked,
    sent,
    more(n, timeoutMs, what) {
      const target = acked.size + n;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${what}: ${acked.size} of ${target} PUBACKs within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          target,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        waiters.add(waiter);
        if (acked.size >= target) waiter.resolve();
      });
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return failures;
    },
    async close() {
      stopping = true;
      await closeFleet(devices).catch(() => undefined);
      await Promise.all(devices.map((d) => d.kill().catch(() => undefined)));
    },
  };
}
