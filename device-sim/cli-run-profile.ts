// --profile: plays a day-like plan (profiles.ts) on full mqtt.js devices in simulated time,
// one queue per device so its actions run in plan order, and ends with a summary by action kind.
import { performance } from 'node:perf_hooks';
import { DEFAULT_PROFILE_SECONDS, type RunArgs } from './cli-args.js';
import { type CliIo, MAX_ERROR_LINES, type ProfileRunResult, summarizeProfile } from './cli-report.js';
import { CONNECT_CONCURRENCY } from './cli-run-mqttjs.js';
import { DRAIN_MS, MAX_TIMER_MS } from './cli-timing.js';
import type { SimCredential } from './credentials.js';
import { connectDevice, DeviceClosedError, formatLocalIso, type RibbonState, type SimDevice } from './device.js';
import { closeFleet, connectFleet } from './fleet.js';
import { countActions, type PlanAction, type PlanActionKind, PLAN_ACTIONS, planDay, type Profile } from './profiles.js';

/** Reconnect delay of profile devices: chaos drops links often, and sim time runs fast. */
const PROFILE_RECONNECT_MS = 100;

export type ProfileArgs = RunArgs & {
  profile: Profile;
  /** Epoch ms where simulated time begins (default: local midnight today). */
  startSimTime?: number | undefined;
};

type Slot = {
  cred: SimCredential;
  device: SimDevice | undefined;
  /** While offline: the counter to carry on with when the device comes back. */
  parked: { boot: number | undefined; seq: number };
  /** Actions of one device run in plan order (an `online` is awaited before what follows). */
  queue: Promise<void>;
  last: { state: RibbonState; seq: number; boot: number | undefined; at: string } | undefined;
};

export async function runProfilePlan(
  args: ProfileArgs,
  credentials: readonly SimCredential[],
  io: CliIo,
): Promise<number> {
  const durationSimSec = args.durationSec ?? DEFAULT_PROFILE_SECONDS;
  // Sim time starts at local midnight today, so the same seed plays the same day.
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const startSimTime = args.startSimTime ?? midnight.getTime();
  let plan: PlanAction[];
  try {
    plan = planDay(args.profile, {
      devices: credentials.length,
      seed: args.seed,
      speed: args.speed,
      durationSimSec,
      startSimTime,
    });
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 2;
  }
  const realSec = durationSimSec / args.speed;
  io.out(
    `profile ${args.profile}: ${plan.length} actions for ${credentials.length} device(s) over ${durationSimSec} sim s ` +
      `at speed ${args.speed} (${realSec.toFixed(1)} s real), seed ${args.seed}`,
  );

  // A fresh counter generation per run, so presses of an earlier run are not taken for duplicates.
  // Milliseconds × 1000 leaves room for reboots (boot + 1) without meeting a later run's boot.
  const boot = Date.now() * 1000;
  const started = performance.now();
  let devices: SimDevice[];
  try {
    devices = await connectFleet(credentials, {
      url: args.url,
      ca: args.ca,
      boot,
      reconnectPeriodMs: PROFILE_RECONNECT_MS,
      concurrency: CONNECT_CONCURRENCY,
    });
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
  io.out(`connected ${devices.length} device(s) in ${Math.round(performance.now() - started)} ms`);

  const zero = (): Record<PlanActionKind, number> =>
    Object.fromEntries(PLAN_ACTIONS.map((k) => [k, 0])) as Record<PlanActionKind, number>;
  const result: ProfileRunResult = {
    profile: args.profile,
    seed: args.seed,
    speed: args.speed,
    planned: countActions(plan),
    done: zero(),
    acked: [],
    pubackMs: [],
    failed: 0,
    unacknowledgedAtExit: 0,
    torn: 0,
    completed: false,
  };
  let errorLines = 0;
  const fail = (id: string, what: string, err: unknown): void => {
    if (err instanceof DeviceClosedError) {
      result.unacknowledgedAtExit += 1;
      return;
    }
    result.failed += 1;
    if (errorLines++ < MAX_ERROR_LINES) io.err(`${id} ${what} failed: ${(err as Error).message}`);
  };
  const inFlight = new Set<Promise<unknown>>();
  const track = (id: string, what: string, p: Promise<unknown>): void => {
    const settled = p.then(
      () => undefined,
      (err: unknown) => fail(id, what, err),
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  };
  const slots: Slot[] = credentials.map((cred, i) => ({
    cred,
    device: devices[i],
    parked: { boot, seq: 0 },
    queue: Promise.resolve(),
    last: undefined,
  }));
  const simAt = (a: PlanAction): string => formatLocalIso(new Date(startSimTime + a.atSimMs + (a.skewMs ?? 0)));

  const press = (slot: Slot, d: SimDevice, state: RibbonState, at: string, battery?: number, cut?: number): void => {
    const t0 = performance.now();
    const extra = battery === undefined ? { at } : { at, battery };
    const p = cut === undefined ? d.press(state, extra) : d.pressTorn(state, cut, extra);
    // press() takes its seq synchronously: d.seq is this press's.
    slot.last = { state, seq: d.seq, boot: d.boot, at };
    track(
      d.id,
      `${cut === undefined ? 'press' : 'torn press'} ${state}`,
      p.then(({ seq, boot: b }) => {
        result.pubackMs.push(performance.now() - t0);
        result.acked.push({ device: d.id, boot: b, seq, state });
      }),
    );
  };

  const exec = async (slot: Slot, a: PlanAction): Promise<void> => {
    const d = slot.device;
    if (a.action === 'online') {
      if (d) return;
      slot.device = await connectDevice({
        url: args.url,
        ca: args.ca,
        id: slot.cred.id,
        secret: slot.cred.secret,
        boot: slot.parked.boot,
        startSeq: slot.parked.seq,
        reconnectPeriodMs: PROFILE_RECONNECT_MS,
      });
      devices.push(slot.device);
      result.done.online += 1;
      return;
    }
    // Anything else on a device that is offline is not sent (its plan should not have any).
    if (!d) return;
    switch (a.action) {
      case 'offline':
        slot.device = undefined;
        slot.parked = { boot: d.boot, seq: d.seq };
        await d.kill();
        break;
      case 'press':
        press(slot, d, a.state ?? 'blue', simAt(a), a.battery);
        break;
      case 'tear':
        // Cut inside the PUBLISH when mqtt.js writes it (at once, or after a drop's reconnect).
        press(slot, d, a.state ?? 'blue', simAt(a), a.battery, a.cut ?? 0.5);
        break;
      case 'heartbeat':
        track(d.id, 'heartbeat', d.heartbeat(a.battery ?? 100));
        break;
      case 'bare':
        track(d.id, 'bare press', d.pressBare(a.state ?? 'blue'));
        break;
      case 'garbage':
        track(d.id, 'garbage', d.publishRaw('state', Buffer.from(a.payload ?? 'garbage', 'latin1')));
        break;
      case 'duplicate': {
        const last = slot.last;
        // Nothing pressed yet in this counter generation: nothing to repeat.
        if (!last || last.boot !== d.boot || last.seq > d.seq) return;
        const body = JSON.stringify({ state: last.state, seq: last.seq, boot: last.boot, at: last.at });
        track(d.id, 'duplicate', d.publishRaw('state', body));
        break;
      }
      case 'reorder': {
        // seq n+2 goes out before n+1; then n+2 again from the device's own counter (a resend).
        const first = a.state ?? 'blue';
        const at = simAt(a);
        const body = JSON.stringify({ state: first, seq: d.seq + 2, boot: d.boot, at });
        track(d.id, 'reordered press', d.publishRaw('state', body));
        press(slot, d, a.secondState ?? 'blue', at);
        press(slot, d, first, at);
        break;
      }
      case 'reboot':
        d.reboot();
        slot.last = undefined;
        break;
      case 'drop':
        if (d.connected) d.dropConnection();
        break;
    }
    result.done[a.action] += 1;
  };

  const dispatch = (a: PlanAction): void => {
    const slot = slots[a.device];
    if (!slot) return;
    slot.queue = slot.queue.then(() => exec(slot, a)).catch((err: unknown) => fail(slot.cred.id, a.action, err));
  };

  const t0 = performance.now();
  const endRealMs = (durationSimSec * 1000) / args.speed;
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let next = 0;
    const stop = (completed: boolean): void => {
      io.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      result.completed = completed;
      resolve();
    };
    const onAbort = (): void => stop(false);
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      const simNow = elapsed * args.speed;
      while (next < plan.length && plan[next]!.atSimMs <= simNow) dispatch(plan[next++]!);
      const due = next < plan.length ? plan[next]!.atSimMs / args.speed : endRealMs;
      if (next >= plan.length && elapsed >= endRealMs) {
        stop(true);
        return;
      }
      timer = setTimeout(tick, Math.min(MAX_TIMER_MS, Math.max(0, due - elapsed)));
    };
    if (io.signal?.aborted) return stop(false);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    tick();
  });

  // Let every device finish its queue (an `online` may still be connecting), then close.
  await Promise.all(slots.map((s) => s.queue));
  // Give presses sent during a drop a moment to be resent and acknowledged (bounded).
  if (result.completed && inFlight.size > 0) {
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...inFlight]),
      new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, DRAIN_MS))),
    ]);
    clearTimeout(drainTimer);
  }
  io.out(`stopping: closing ${slots.filter((s) => s.device).length} device(s)`);
  await closeFleet(slots.flatMap((s) => (s.device ? [s.device] : [])));
  // Devices replaced along the way are already closed; close() on them is a no-op.
  await closeFleet(devices);
  await Promise.all([...inFlight]);
  result.torn = devices.reduce((n, d) => n + d.tornPackets, 0);
  io.out(summarizeProfile(result));
  io.onProfileResult?.(result);
  return 0;
}
