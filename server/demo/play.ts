import type { DeviceCredential } from '../../protocol/credentials.js';
import { connectDevice, type SimDevice } from '../../device-sim/device.js';
import { closeFleet, connectFleet } from '../../device-sim/fleet.js';
import type { PlanAction } from '../../device-sim/profiles.js';

/**
 * Plays a district plan (device-sim/district-day.ts) on real MQTT devices (device-sim's
 * library), an action due at sim time t at real time t / speed; one queue per device so its
 * actions keep their order (an `online` is awaited before what follows). Failures of a single
 * press are counted and reported, not fatal: the demo goes on.
 */

export type PlayOptions = {
  url: string;
  speed: number;
  report?: (line: string) => void;
};

export type Player = {
  /** Actions sent so far, by kind, and presses that failed. */
  readonly sent: Record<'press' | 'heartbeat' | 'offline' | 'online' | 'failed', number>;
  /** Resolves when the plan is played through, or stop() is called. */
  readonly finished: Promise<void>;
  stop(): Promise<void>;
};

export async function playPlan(
  plan: readonly PlanAction[],
  devices: readonly DeviceCredential[],
  opts: PlayOptions,
): Promise<Player> {
  if (!(opts.speed > 0)) throw new RangeError(`speed must be > 0, got ${opts.speed}`);
  const report = opts.report ?? (() => undefined);
  // A fresh counter generation per run, so an earlier run's presses are not taken for repeats.
  const boot = Date.now() * 1000;
  const connected = await connectFleet(devices, { url: opts.url, boot, concurrency: 50 });
  const slots = devices.map((cred, i) => ({
    cred,
    device: connected[i] as SimDevice | undefined,
    parked: { boot, seq: 0 },
    queue: Promise.resolve(),
    /** The device's presses still waiting for their PUBACK: going offline waits for them. */
    pressing: new Set<Promise<unknown>>(),
  }));
  const sent: Player['sent'] = { press: 0, heartbeat: 0, offline: 0, online: 0, failed: 0 };
  let failures = 0;
  let stopped = false;
  const fail = (id: string, what: string, err: unknown): void => {
    // Presses cut short by stop() (Ctrl-C) are not failures of the demo.
    if (stopped) return;
    sent.failed += 1;
    if (failures++ < 20) report(`设备 ${id} ${what} 失败 / failed: ${(err as Error).message}`);
  };

  async function exec(slot: (typeof slots)[number], a: PlanAction): Promise<void> {
    const d = slot.device;
    if (a.action === 'online') {
      if (d) return;
      slot.device = await connectDevice({
        url: opts.url,
        id: slot.cred.id,
        secret: slot.cred.secret,
        boot: slot.parked.boot,
        startSeq: slot.parked.seq,
      });
      sent.online += 1;
      return;
    }
    if (!d) return;
    if (a.action === 'offline') {
      await Promise.allSettled([...slot.pressing]);
      slot.device = undefined;
      slot.parked = { boot: d.boot ?? boot, seq: d.seq };
      await d.kill();
      sent.offline += 1;
    } else if (a.action === 'press') {
      // Sent with the device's own `at` (now): at a speed above 1 the plan's hours are not the clock's.
      // Not awaited: the next action of this device need not wait for this PUBACK.
      const p = d
        .press(a.state ?? 'blue', a.battery === undefined ? {} : { battery: a.battery })
        .catch((err: unknown) => fail(d.id, `press ${a.state}`, err));
      slot.pressing.add(p);
      void p.finally(() => slot.pressing.delete(p));
      sent.press += 1;
    } else if (a.action === 'heartbeat') {
      d.heartbeat(a.battery ?? 100).catch((err: unknown) => fail(d.id, 'heartbeat', err));
      sent.heartbeat += 1;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let next = 0;
  const t0 = performance.now();
  let end: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (end = resolve));
  const tick = (): void => {
    const simNow = (performance.now() - t0) * opts.speed;
    while (next < plan.length && (plan[next] as PlanAction).atSimMs <= simNow) {
      const a = plan[next++] as PlanAction;
      const slot = slots[a.device];
      if (slot)
        slot.queue = slot.queue.then(() => exec(slot, a)).catch((err: unknown) => fail(slot.cred.id, a.action, err));
    }
    if (next >= plan.length || stopped) {
      end();
      return;
    }
    const wait = (plan[next] as PlanAction).atSimMs / opts.speed - (performance.now() - t0);
    // Timers beyond ~24.8 days overflow; a day's plan never gets near, but wake at least hourly.
    timer = setTimeout(tick, Math.min(3_600_000, Math.max(0, wait)));
  };
  tick();

  return {
    sent,
    finished,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      end();
      await Promise.all(slots.map((s) => s.queue));
      await closeFleet(slots.flatMap((s) => (s.device ? [s.device] : [])));
      await closeFleet(connected);
    },
  };
}
