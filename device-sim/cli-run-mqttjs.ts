// The default run (--engine mqttjs): full mqtt.js devices, each sending heartbeats with a slowly
// draining battery and pressing at random (a Poisson process), one printed line per press.
import { performance } from 'node:perf_hooks';
import { STATE_WEIGHTS, type RunArgs } from './cli-args.js';
import { type CliIo, emptyStats, summarize } from './cli-report.js';
import { createTimers, runUntilStopped } from './cli-timing.js';
import type { SimCredential } from './credentials.js';
import { DeviceClosedError, type SimDevice } from './device.js';
import { closeFleet, connectFleet } from './fleet.js';
import { createRandom, deriveSeed } from './random.js';

/** Connections in progress at once while a fleet of mqtt.js devices connects. */
export const CONNECT_CONCURRENCY = 50;

export async function runMqttjs(args: RunArgs, credentials: readonly SimCredential[], io: CliIo): Promise<number> {
  io.out(
    `connecting ${credentials.length} device(s) to ${args.url} (seed ${args.seed}, ` +
      `${args.pressesPerHour} presses/h, heartbeat ${args.heartbeatSec} s)`,
  );
  const started = performance.now();
  let devices: SimDevice[];
  try {
    devices = await connectFleet(credentials, { url: args.url, ca: args.ca, concurrency: CONNECT_CONCURRENCY });
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
  io.out(`connected ${devices.length} device(s) in ${Math.round(performance.now() - started)} ms`);

  const stats = emptyStats();
  const timers = createTimers();
  const onFailure = (device: SimDevice, what: string, err: unknown): void => {
    if (err instanceof DeviceClosedError) {
      stats.unacknowledgedAtExit += 1;
      return;
    }
    stats.failed += 1;
    io.err(`${new Date().toISOString()} ${device.id} ${what} failed: ${(err as Error).message}`);
  };

  devices.forEach((device, i) => {
    const rng = createRandom(deriveSeed(args.seed, i));
    let battery = 60 + rng.next() * 40;
    const heartbeatMs = args.heartbeatSec * 1000;

    const beat = (): void => {
      // About 0.1 point per heartbeat: visible over an afternoon's demo, never below 0.
      battery = Math.max(0, battery - rng.next() * 0.2);
      device.heartbeat(Math.round(battery)).then(
        () => void (stats.heartbeats += 1),
        (err: unknown) => onFailure(device, 'heartbeat', err),
      );
      timers.schedule(heartbeatMs, beat);
    };
    // Spread the first heartbeats over one interval so the fleet does not beat in step.
    timers.schedule(rng.next() * heartbeatMs, beat);

    if (args.pressesPerHour > 0) {
      const meanGapMs = (3600 * 1000) / args.pressesPerHour;
      const pressAtRandom = (): void => {
        const state = rng.pick(STATE_WEIGHTS);
        const t0 = performance.now();
        device.press(state, { battery: Math.round(battery) }).then(
          ({ seq }) => {
            const ms = performance.now() - t0;
            stats.presses[state] += 1;
            stats.pubackMs.push(ms);
            io.out(`${new Date().toISOString()} ${device.id} ${state.padEnd(6)} seq=${seq} puback=${ms.toFixed(1)}ms`);
          },
          (err: unknown) => onFailure(device, `press ${state}`, err),
        );
        timers.schedule(rng.exponential(meanGapMs), pressAtRandom);
      };
      // Presses form a Poisson process: exponential gaps with the requested mean.
      timers.schedule(rng.exponential(meanGapMs), pressAtRandom);
    }
  });

  await runUntilStopped(args.durationSec, io.signal);

  timers.stop();
  io.out(`stopping: closing ${devices.length} device(s)`);
  // close() waits for the PUBACKs still in flight, so their lines still print.
  await closeFleet(devices);
  io.out(summarize(stats));
  return 0;
}
