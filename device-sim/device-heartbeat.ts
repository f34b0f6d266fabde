// A simulated button's own heartbeat (docs/protocol.md, "Device settings"): it sends
// `ribbon/{id}/heartbeat` every interval the server told it on `ribbon/{id}/config`, and re-arms
// its timer whenever a new interval comes. Its timers are injectable so tests drive the clock.
import type { EventEmitter } from 'node:events';
import type { DeviceConfig } from '../protocol/mqtt.js';
import { jsonObject } from './device-payload.js';

/** Where the heartbeat timer runs: real timers by default; a test passes its own clock. */
export type HeartbeatTimers = {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
};

export const REAL_TIMERS: HeartbeatTimers = {
  // Unref'd: a simulated device's heartbeat alone does not keep a process alive.
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Until the server says otherwise: the contract's built-in hour. */
export const UNTOLD_HEARTBEAT_SEC = 3600;

/** What the simulated button puts in each heartbeat it sends by itself. */
export type AutoHeartbeat = { battery: number; model?: string; fw?: string; timers?: HeartbeatTimers };

/** `{"heartbeatSec":900}` → the config; undefined for anything a device cannot use (it ignores it). */
export function parseConfig(payload: Buffer | string): DeviceConfig | undefined {
  const { heartbeatSec } = jsonObject(payload) ?? {};
  if (typeof heartbeatSec !== 'number' || !Number.isInteger(heartbeatSec) || heartbeatSec < 1) return undefined;
  return { heartbeatSec };
}

/** The timer: armed with the interval in force, re-armed when it changes, stopped on close. */
export class HeartbeatSchedule {
  #handle: unknown = null;
  #sec = UNTOLD_HEARTBEAT_SEC;
  readonly #send: () => void;
  readonly #timers: HeartbeatTimers;

  constructor(send: () => void, timers: HeartbeatTimers = REAL_TIMERS) {
    this.#send = send;
    this.#timers = timers;
  }

  /** The interval in force, in seconds. */
  get sec(): number {
    return this.#sec;
  }

  /** Counts a full interval from now (on connect, after each beat, and when told a new one). */
  arm(sec: number = this.#sec): void {
    this.stop();
    this.#sec = sec;
    this.#handle = this.#timers.set(() => {
      this.#handle = null;
      this.#send();
      this.arm();
    }, sec * 1000);
  }

  stop(): void {
    if (this.#handle !== null) this.#timers.clear(this.#handle);
    this.#handle = null;
  }
}

/** The schedule of a device with autoHeartbeat (undefined without): `beat` sends one heartbeat. */
export function autoHeartbeat(
  auto: AutoHeartbeat | undefined,
  beat: (battery: number, about: { model?: string; fw?: string }) => void,
): HeartbeatSchedule | undefined {
  if (auto === undefined) return undefined;
  const { battery, model, fw } = auto;
  const about = { ...(model !== undefined ? { model } : {}), ...(fw !== undefined ? { fw } : {}) };
  return new HeartbeatSchedule(() => beat(battery, about), auto.timers);
}

/**
 * The first `event` whose value matches, still to come; rejects with `timeout()` after timeoutMs,
 * or with the error a closing device passes to the rejecter it finds in `waiters`.
 */
export function waitForEvent<T>(
  events: EventEmitter,
  event: string,
  predicate: (value: T) => boolean,
  timeoutMs: number,
  timeout: () => Error,
  waiters: Set<(err: Error) => void>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const settle = (): void => {
      clearTimeout(timer);
      events.off(event, onValue);
      waiters.delete(fail);
    };
    const fail = (err: Error): void => {
      settle();
      reject(err);
    };
    const onValue = (value: T): void => {
      if (!predicate(value)) return;
      settle();
      resolve(value);
    };
    const timer = setTimeout(() => fail(timeout()), timeoutMs);
    events.on(event, onValue);
    waiters.add(fail);
  });
}
