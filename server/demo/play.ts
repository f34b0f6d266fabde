import { connectDevice, type SimDevice } from '../../device-sim/device.js';
import { closeFleet, connectFleet } from '../../device-sim/fleet.js';
import type { PlanAction } from '../../device-sim/profiles.js';
import type { DeviceCredential } from '../../protocol/credentials.js';

/**
 * Plays district plans (device-sim/district-day.ts) on real MQTT devices (device-sim's library),
 * an action due at sim time t at real time t / speed; one queue per device so its actions keep
 * their order (an `online` is awaited before what follows). The fleet stays connected from one
 * day's plan to the next (no district-wide reconnect at midnight). A failed press is counted and
 * reported, not fatal: the demo goes on.
 */

export type Sent = Record<'press' | 'heartbeat' | 'offline' | 'online' | 'failed', number>;

export type Playing = {
  /** Actions sent so far by this plan, by kind, and presses that failed. */
  readonly sent: Sent;
  /** Resolves when the plan is played through, or stop() is called. */
  readonly finished: Promise<void>;
  /** Stops sending; resolves once every action already begun has been sent. */
  stop(): Promise<void>;
};

export type Fleet = {
  play(plan: readonly PlanAction[], speed: number): Playing;
  /** Closes every device (DISCONNECT, no will); presses in flight are not counted as failures. */
  close(): Promise<void>;
};

type Slot = {
  cred: DeviceCredential;
  device: SimDevice | undefined;
  /** While offline: the counter to carry on with when the device comes back. */
  parked: { boot: number; seq: number };
  queue: Promise<void>;
  /** The device's presses waiting for their PUBACK: going offline waits for them. */
  pressing: Set<Promise<unknown>>;
};

export async function connectDemoFleet(
  devices: readonly DeviceCredential[],
  opts: { url: string; report?: (line: string) => void },
): Promise<Fleet> {
  const report = opts.report ?? (() => undefined);
  // A fresh counter generation per run, so an earlier run's presses are not taken for repeats.
  const boot = Date.now() * 1000;
  const connected = await connectFleet(devices, { url: opts.url, boot, concurrency: 50 });
  const slots: Slot[] = devices.map((cred, i) => ({
    cred,
    device: connected[i],
    parked: { boot, seq: 0 },
    queue: Promise.resolve(),
    pressing: new Set(),
  }));
  let closing = false;
  let failures = 0;

  function play(plan: readonly PlanAction[], speed: number): Playing {
    if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
    const sent: Sent = { press: 0, heartbeat: 0, offline: 0, online: 0, failed: 0 };
    const fail = (id: string, what: string, err: unknown): void => {
      // Presses cut short by close() (Ctrl-C) are not failures of the demo.
      if (closing) return;
      sent.failed += 1;
      if (failures++ < 20) report(`设备 ${id} ${what} 失败 / failed: ${(err as Error).message}`);
    };

    async function exec(slot: Slot, a: PlanAction): Promise<void> {
      const d = slot.device;
      if (a.action === 'online') {
        if (d || closing) return;
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
        // Not awaited: the device's next action need not wait for this PUBACK.
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
    let stopped = false;
    let next = 0;
    const t0 = performance.now();
    let end: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      end = resolve;
    });
    const tick = (): void => {
      const simNow = (performance.now() - t0) * speed;
      while (!stopped && next < plan.length && (plan[next] as PlanAction).atSimMs <= simNow) {
        const a = plan[next++] as PlanAction;
        const slot = slots[a.device];
        if (slot)
          slot.queue = slot.queue.then(() => exec(slot, a)).catch((err: unknown) => fail(slot.cred.id, a.action, err));
      }
      if (next >= plan.length || stopped) {
        end();
        return;
      }
      const wait = (plan[next] as PlanAction).atSimMs / speed - (performance.now() - t0);
      // Wake at least hourly: a timer of more than ~24.8 days would overflow.
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
      },
    };
  }

  return {
    play,
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.queue));
      await closeFleet(slots.flatMap((s) => (s.device ? [s.device] : [])));
      // Devices that went offline and came back were replaced; close() on a killed one is a no-op.
      await closeFleet(connected);
    },
  };
}
