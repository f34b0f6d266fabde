// The plan of a live run (rates, windows, dashboards, per smoke or full mode) and what every part
// of it, ours or the peer's, runs under: the background load and a bounded wait for a quiet machine.
import { runLoad, type LoadClient, type LoadResult } from './loadgen.js';
import { waitForQuietMachine } from './proc-stat.js';

export type Plan = {
  /** Background blue presses per second (load generator). */
  loadRate: number;
  loadDevices: number;
  /** Red probe presses per second. */
  probeRate: number;
  /** Probe (measured) phase per part. */
  probeMs: number;
  dashboards: number;
  warmupMs: number;
  floorMs: number;
  /** Background rates at which red to screen is also measured for us and the Node-RED peer. */
  peerRates: number[];
  /** Before each part, wait up to this long for the machine to be quiet (others' load comes in bursts). */
  quietWaitMs: number;
};

/** The background blue presses of a part (ours or the peer's): one generator process, running past the probe window. */
export function backgroundLoad(
  p: Plan,
  url: string,
  clients: LoadClient[],
  ratePerSec: number,
  watch: Record<string, number>,
): Promise<LoadResult> {
  return runLoad({
    url,
    clients,
    processes: 1,
    windowPerClient: 10,
    warmupMs: p.warmupMs,
    durationMs: p.probeMs + 1_500,
    ratePerSec,
    payload: 'ribbon-state',
    watch,
  });
}

/** Waits (bounded) for a quiet machine before a part; says so when it stays busy. */
export async function quietBeforePart(p: Plan, name: string, log: (line: string) => void): Promise<void> {
  if (p.quietWaitMs <= 0) return;
  const quiet = await waitForQuietMachine({ maxBusyPercent: 25, timeoutMs: p.quietWaitMs });
  if (!quiet.quiet)
    log(
      `warning: ${name}: machine still ${Math.round(quiet.busyPercent)} % busy after ${Math.round(quiet.waitedMs / 1000)} s`,
    );
}

export function plan(smoke: boolean): Plan {
  return smoke
    ? // No peer in smoke mode: it would need the npm registry (and ~10 s) inside `npm test`.
      {
        loadRate: 100,
        loadDevices: 10,
        probeRate: 10,
        probeMs: 1_500,
        dashboards: 5,
        warmupMs: 500,
        floorMs: 1_000,
        peerRates: [],
        quietWaitMs: 0,
      }
    : {
        loadRate: 1_000,
        loadDevices: 100,
        probeRate: 20,
        probeMs: 10_000,
        dashboards: 100,
        warmupMs: 1_000,
        floorMs: 6_000,
        peerRates: [100, 1_000],
        quietWaitMs: 60_000,
      };
}
