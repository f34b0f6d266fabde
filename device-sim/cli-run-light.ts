// --engine light: random presses from thousands of light devices (light.ts) in one process, no
// heartbeats, no reconnect; a large fleet connects from several loopback source addresses.
import { performance } from 'node:perf_hooks';
import { STATE_WEIGHTS, type RunArgs } from './cli-args.js';
import { type CliIo, emptyStats, MAX_ERROR_LINES, summarize } from './cli-report.js';
import { createTimers, DRAIN_MS, runUntilStopped } from './cli-timing.js';
import type { SimCredential } from './credentials.js';
import { type LightFleet, startLightFleet } from './light.js';
import { createRandom, deriveSeed } from './random.js';

/** With --engine light: above this many devices, connect from several loopback source addresses. */
const LIGHT_SPREAD_ABOVE = 10_000;
const LIGHT_SOURCE_ADDRESSES = [
  '127.0.0.2',
  '127.0.0.3',
  '127.0.0.4',
  '127.0.0.5',
  '127.0.0.6',
  '127.0.0.7',
  '127.0.0.8',
  '127.0.0.9',
];
const LIGHT_CONNECT_CONCURRENCY = 500;

/** Random presses from light devices (device-sim/light.ts): no heartbeats, no reconnect. */
export async function runLight(args: RunArgs, credentials: readonly SimCredential[], io: CliIo): Promise<number> {
  const url = new URL(args.url);
  if (url.protocol !== 'mqtt:') {
    io.err(`error: --engine light speaks plain TCP only, not ${url.protocol}//`);
    return 2;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 1883 : Number(url.port);
  const spread = credentials.length > LIGHT_SPREAD_ABOVE;
  io.out(
    `connecting ${credentials.length} light device(s) to ${args.url} (seed ${args.seed}, ${args.pressesPerHour} presses/h, no heartbeats` +
      `${spread ? `, from ${LIGHT_SOURCE_ADDRESSES[0]}-${LIGHT_SOURCE_ADDRESSES.at(-1)}` : ''})`,
  );
  let connectErrors = 0;
  let fleet: LightFleet;
  try {
    fleet = await startLightFleet({
      host,
      port,
      devices: credentials,
      localAddresses: spread ? LIGHT_SOURCE_ADDRESSES : undefined,
      connectConcurrency: LIGHT_CONNECT_CONCURRENCY,
      boot: Date.now(),
      onWarning: (m) => io.err(`warning: ${m}`),
      onError: (i, err) => {
        if (connectErrors++ < MAX_ERROR_LINES)
          io.err(`${new Date().toISOString()} ${credentials[i]?.id ?? i}: ${err.message}`);
      },
    });
  } catch (err) {
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
  const report = fleet.report;
  io.out(
    `connected ${report.connected}/${report.attempted} device(s) in ${Math.round(report.durationMs)} ms ` +
      `(${Math.round(report.connectsPerSec)}/s, CONNACK p99 ${report.connectMs.p99.toFixed(1)} ms)`,
  );
  if (report.connected === 0) {
    io.err('error: no device connected');
    await fleet.close(1000);
    return 1;
  }

  const stats = emptyStats();
  const timers = createTimers();
  const inflight = new Set<Promise<void>>();
  let stopping = false;
  if (args.pressesPerHour > 0) {
    const meanGapMs = (3600 * 1000) / args.pressesPerHour;
    credentials.forEach((cred, i) => {
      if (!fleet.isConnected(i)) return;
      const rng = createRandom(deriveSeed(args.seed, i));
      const pressAtRandom = (): void => {
        const state = rng.pick(STATE_WEIGHTS);
        const t0 = performance.now();
        if (fleet.isConnected(i)) {
          const p = fleet.press(i, state).then(
            ({ seq }) => {
              const ms = performance.now() - t0;
              stats.presses[state] += 1;
              stats.pubackMs.push(ms);
              io.out(`${new Date().toISOString()} ${cred.id} ${state.padEnd(6)} seq=${seq} puback=${ms.toFixed(1)}ms`);
            },
            (err: unknown) => {
              if (stopping) stats.unacknowledgedAtExit += 1;
              else {
                stats.failed += 1;
                io.err(`${new Date().toISOString()} ${cred.id} press ${state} failed: ${(err as Error).message}`);
              }
            },
          );
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
        }
        timers.schedule(rng.exponential(meanGapMs), pressAtRandom);
      };
      timers.schedule(rng.exponential(meanGapMs), pressAtRandom);
    });
  }

  await runUntilStopped(args.durationSec, io.signal);

  timers.stop();
  io.out(`stopping: closing ${fleet.size} light device(s)`);
  // Let the PUBACKs in flight arrive (bounded), then close; what is still pending then counts as unacknowledged.
  await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, DRAIN_MS))]);
  stopping = true;
  await fleet.close(DRAIN_MS);
  await Promise.all(inflight);
  io.out(summarize(stats));
  return 0;
}
