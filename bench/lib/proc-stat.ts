// CPU time and memory of any process by pid, read from Linux /proc — for processes we did not
// start from Node (Mosquitto) or that report nothing themselves (a server under test).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface CpuSample {
  pid: number;
  userMs: number;
  systemMs: number;
  atMs: number; // performance.now() when read
}

let clockTicks: number | null = null;

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (almost always 100). */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }), 10);
    } catch {
      clockTicks = Number.NaN;
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

/** Null when the process is gone or /proc is not there (not Linux). */
export function readProcessCpu(pid: number): CpuSample | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (comm) is in parentheses and may itself contain spaces or ')': split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After comm, fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  const msPerTick = 1000 / ticksPerSecond();
  return { pid, userMs: utime * msPerTick, systemMs: stime * msPerTick, atMs: performance.now() };
}

/**
 * CPU use between two samples as a percentage of one core (so 100 = one core saturated; a
 * multi-threaded process can exceed it). Resolution is one clock tick (10 ms): use windows of
 * seconds, not milliseconds.
 */
export function cpuPercentBetween(before: CpuSample, after: CpuSample): number {
  const wall = after.atMs - before.atMs;
  if (wall <= 0) return Number.NaN;
  return ((after.userMs + after.systemMs - before.userMs - before.systemMs) / wall) * 100;
}

/** Resident set size in bytes (VmRSS), or null when the process is gone. */
export function readProcessRss(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface MachineCpuSample {
  /** Cumulative jiffies over all cores, from the first line of /proc/stat. */
  busy: number;
  softirq: number;
  steal: number;
  total: number;
}

/** Null when /proc/stat is not there (not Linux). */
export function readMachineCpu(): MachineCpuSample | null {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return null;
  }
  if (!line?.startsWith('cpu ')) return null;
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, softirq, steal, total };
}

/**
 * Whole-machine CPU between two samples, in % of ONE core (so a 2-core machine tops out at 200),
 * the same unit as the per-process figures: busy (everything but idle/iowait), and the parts
 * spent in softirq (loopback TCP lands here) and stolen by the hypervisor.
 */
export function machineCpuBetween(
  before: MachineCpuSample,
  after: MachineCpuSample,
  cores: number,
): { busyPercent: number; softirqPercent: number; stealPercent: number } {
  const total = after.total - before.total;
  const scale = total > 0 ? (cores * 100) / total : Number.NaN;
  return {
    busyPercent: (after.busy - before.busy) * scale,
    softirqPercent: (after.softirq - before.softirq) * scale,
    stealPercent: (after.steal - before.steal) * scale,
  };
}

export interface QuietCheck {
  quiet: boolean;
  /** Machine busy over the last sample, % of one core. */
  busyPercent: number;
  waitedMs: number;
}

/**
 * Waits (bounded) until the whole machine is nearly idle, so a benchmark does not measure
 * someone else's test run: samples /proc/stat every `sampleMs` until busy ≤ `maxBusyPercent`
 * (% of one core) or `timeoutMs` has passed. Resolves either way; `quiet` says which.
 */
export async function waitForQuietMachine(
  opts: { maxBusyPercent?: number; sampleMs?: number; timeoutMs?: number; cores?: number } = {},
): Promise<QuietCheck> {
  const maxBusy = opts.maxBusyPercent ?? 25;
  const sampleMs = opts.sampleMs ?? 1_000;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const cores = opts.cores ?? os.cpus().length;
  const start = performance.now();
  let busyPercent = Number.NaN;
  do {
    const before = readMachineCpu();
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const after = readMachineCpu();
    if (!before || !after) return { quiet: false, busyPercent: Number.NaN, waitedMs: performance.now() - start };
    busyPercent = machineCpuBetween(before, after, cores).busyPercent;
    if (busyPercent <= maxBusy) return { quiet: true, busyPercent, waitedMs: performance.now() - start };
  } while (performance.now() - start + sampleMs <= timeoutMs);
  return { quiet: false, busyPercent, waitedMs: performance.now() - start };
}
