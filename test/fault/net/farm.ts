// A farm of simulated buttons (device-sim, the reference a device maker reads) for the network-fault
// test, run inside one network namespace of the guest: `node farm.js` with its group's plan as JSON
// in argv[2]. It takes commands as JSON lines on stdin and writes FarmEvents as JSON lines on
// stdout (plan.ts) — pipes to the conductor, so the reports never cross the impaired link.
//
// Each device keeps pressing while told to (every pressEveryMs ± half, at most inFlight presses
// waiting for their PUBACK), and says which press got its PUBACK: that list is what the test holds
// the server's database to. Everything is bounded: presses per device, the drain's wait.
import { randomInt } from 'node:crypto';
import readline from 'node:readline';
import { connectDevice, type RibbonState, type SimDevice } from '../../../device-sim/device.js';
import type { DeviceCredential, FarmCommand, FarmEvent, GroupPlan, Plan } from './plan.js';

export type FarmArgs = {
  group: GroupPlan;
  url: string;
  device: Plan['device'];
  pressEveryMs: number;
  inFlight: number;
  setupMs: number;
};

/** A hard cap per device, so a farm whose PUBACKs come too fast cannot run away. */
const MAX_PRESSES_PER_DEVICE = 2000;
/** Devices setting up their first session at once, and tries each gets. */
const CONNECT_CONCURRENCY = 5;
const SETUP_ATTEMPTS = 5;

type Button = {
  device: SimDevice;
  boot: number;
  inFlight: Set<Promise<void>>;
  presses: number;
  /** When mqtt.js started its latest connection attempt. */
  lastAttempt: number | null;
  /** Connected since the last 'lost' (mqtt.js closes once per failed attempt too). */
  up: boolean;
};

function emit(e: FarmEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

/** Set once told to exit: the closes that follow are ours, not the network's. */
let exiting = false;

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '') as FarmArgs;
  const group = args.group.name;
  const fail = (message: string): void => emit({ ev: 'error', group, message, t: Date.now() });

  const setupEnds = Date.now() + args.setupMs;
  const connectOne = async (cred: DeviceCredential): Promise<Button> => {
    // A boot of the device's own: the server's key for a press is (device, boot, seq).
    const boot = randomInt(1, 1_000_000);
    // The first session is set up once (connectDevice fails on a drop during it): under emulation a
    // busy guest may miss it, so each device tries again, bounded by the setup's end.
    let device: SimDevice | undefined;
    for (let attempt = 1; device === undefined; attempt++) {
      try {
        device = await connectDevice({
          url: args.url,
          id: cred.id,
          secret: cred.secret,
          boot,
          keepaliveSec: args.device.keepaliveSec,
          reconnectPeriodMs: args.device.reconnectPeriodMs,
          reconnectMaxMs: args.device.reconnectMaxMs,
          connectTimeoutMs: Math.max(1000, Math.min(args.device.connectTimeoutMs * 3, setupEnds - Date.now())),
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (Date.now() >= setupEnds || attempt >= SETUP_ATTEMPTS) throw new Error(`${cred.id}: ${message}`);
        emit({
          ev: 'log',
          group,
          message: `${cred.id}: first connection, attempt ${attempt}: ${message}`,
          t: Date.now(),
        });
      }
    }
    // After the first session, each attempt gets the plan's CONNACK wait.
    device.client.options.connectTimeout = args.device.connectTimeoutMs;
    const b: Button = { device, boot, inFlight: new Set(), presses: 0, lastAttempt: null, up: true };
    device.client.on('reconnect', () => {
      b.lastAttempt = Date.now();
    });
    device.on('connect', () => {
      b.up = true;
      emit({ ev: 'connect', group, id: cred.id, t: Date.now(), attemptAt: b.lastAttempt });
    });
    device.client.on('close', () => {
      if (!b.up || exiting) return;
      b.up = false;
      emit({ ev: 'lost', group, id: cred.id, t: Date.now() });
    });
    device.on('mqttError', () => {});
    return b;
  };
  // A few at a time: under emulation thirty TLS-less CONNECTs at once still starve the guest.
  const buttons: Button[] = [];
  const queue = [...args.group.devices];
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      for (let cred = queue.shift(); cred !== undefined; cred = queue.shift()) buttons.push(await connectOne(cred));
    }),
  );
  emit({ ev: 'ready', group, devices: buttons.length, t: Date.now() });

  const press = (b: Button, state: RibbonState): void => {
    if (b.presses >= MAX_PRESSES_PER_DEVICE) return;
    b.presses += 1;
    const sentAt = Date.now();
    const p: Promise<void> = b.device
      .press(state)
      .then(
        (r) =>
          emit({
            ev: 'ack',
            group,
            id: b.device.id,
            boot: b.boot,
            seq: r.seq,
            state,
            t: Date.now(),
            ms: Date.now() - sentAt,
          }),
        (err: unknown) => fail(`${b.device.id}: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => b.inFlight.delete(p));
    b.inFlight.add(p);
  };

  let pressing: NodeJS.Timeout[] = [];
  const stopPressing = (): void => {
    for (const t of pressing) clearTimeout(t);
    pressing = [];
  };
  const startPressing = (states: RibbonState[]): void => {
    stopPressing();
    buttons.forEach((b, i) => {
      const tick = (): void => {
        if (b.inFlight.size < args.inFlight) press(b, states[randomInt(states.length)] as RibbonState);
        pressing[i] = setTimeout(tick, args.pressEveryMs * (0.5 + Math.random()));
      };
      pressing[i] = setTimeout(tick, args.pressEveryMs * Math.random());
    });
  };

  const drain = async (timeoutMs: number): Promise<void> => {
    stopPressing();
    const all = Promise.allSettled(buttons.flatMap((b) => [...b.inFlight]));
    let timer: NodeJS.Timeout | undefined;
    const connected = new Promise<void>((resolve) => {
      const check = (): void => {
        if (buttons.every((b) => b.device.connected && b.inFlight.size === 0)) resolve();
        else timer = setTimeout(check, 50);
      };
      check();
    });
    const bound = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.all([all, connected]), bound]);
    clearTimeout(timer);
    emit({
      ev: 'drained',
      group,
      pending: buttons.reduce((n, b) => n + b.inFlight.size, 0),
      offline: buttons.filter((b) => !b.device.connected).length,
      t: Date.now(),
    });
  };

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    let cmd: FarmCommand;
    try {
      cmd = JSON.parse(line) as FarmCommand;
    } catch {
      fail(`not a command: ${line.slice(0, 80)}`);
      continue;
    }
    switch (cmd.do) {
      case 'press':
        startPressing(cmd.states);
        break;
      case 'red':
        for (const b of buttons) press(b, 'red');
        break;
      case 'stop':
        stopPressing();
        break;
      case 'drain':
        await drain(cmd.timeoutMs);
        break;
      case 'exit':
        exiting = true;
        stopPressing();
        await Promise.all(buttons.map((b) => b.device.kill()));
        process.exit(0);
        break;
      default: {
        const never: never = cmd;
        fail(`unknown command ${JSON.stringify(never)}`);
      }
    }
  }
  // stdin closed: the conductor is gone.
  process.exit(0);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  emit({ ev: 'error', group: '?', message: `farm failed: ${message}`, t: Date.now() });
  process.exit(1);
});
