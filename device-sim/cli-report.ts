// What a run tells: the caller's output (CliIo), the counts it keeps, and the one-line summaries
// with PUBACK percentiles printed at its end.
import type { RibbonState } from './device.js';
import { PLAN_ACTIONS, type PlanActionKind, type Profile } from './profiles.js';

export type CliIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Aborting it stops the run like Ctrl-C. */
  signal?: AbortSignal | undefined;
  /** Called once at the end of a --profile run with its full result (for tests and tools). */
  onProfileResult?: ((result: ProfileRunResult) => void) | undefined;
};

/** One press whose PUBACK arrived: the key the server deduplicates on. */
export type AckedPress = { device: string; boot: number | undefined; seq: number; state: RibbonState };

export type ProfileRunResult = {
  profile: Profile;
  seed: number;
  speed: number;
  /** Actions in the plan, by kind. */
  planned: Record<PlanActionKind, number>;
  /** Actions carried out, by kind (an action that threw is counted in failed instead). */
  done: Record<PlanActionKind, number>;
  acked: AckedPress[];
  pubackMs: number[];
  failed: number;
  unacknowledgedAtExit: number;
  /** PUBLISHes the `tear` actions cut mid-packet on the wire (each resent after the reconnect). */
  torn: number;
  /** Whether the whole plan was played (false when stopped early). */
  completed: boolean;
};

export type Stats = {
  presses: Record<RibbonState, number>;
  heartbeats: number;
  pubackMs: number[];
  failed: number;
  unacknowledgedAtExit: number;
};

export function emptyStats(): Stats {
  return {
    presses: { red: 0, yellow: 0, blue: 0 },
    heartbeats: 0,
    pubackMs: [],
    failed: 0,
    unacknowledgedAtExit: 0,
  };
}

/** Error lines printed per run at most; the rest are only counted. */
export const MAX_ERROR_LINES = 20;

function percentile(values: readonly number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return '-';
  return (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0).toFixed(1);
}

export function summarizeProfile(r: ProfileRunResult): string {
  const kinds = PLAN_ACTIONS.filter((k) => r.planned[k] > 0);
  const byKind = kinds.map((k) => `${k} ${r.done[k]}/${r.planned[k]}`).join(', ');
  return (
    `${r.profile} ${r.completed ? 'done' : 'stopped early'} (seed ${r.seed}, speed ${r.speed}): ` +
    `actions done/planned: ${byKind || 'none'}; acked presses ${r.acked.length}, ` +
    `puback p50 ${percentile(r.pubackMs, 50)} ms p99 ${percentile(r.pubackMs, 99)} ms, ` +
    `failed ${r.failed}, unacknowledged at exit ${r.unacknowledgedAtExit}` +
    (r.planned.tear > 0 ? `, cut mid-packet ${r.torn}` : '')
  );
}

export function summarize(stats: Stats): string {
  const { red, yellow, blue } = stats.presses;
  const total = red + yellow + blue;
  return (
    `presses ${total} (red ${red}, yellow ${yellow}, blue ${blue}), heartbeats ${stats.heartbeats}, ` +
    `puback p50 ${percentile(stats.pubackMs, 50)} ms p99 ${percentile(stats.pubackMs, 99)} ms, failed ${stats.failed}, ` +
    `unacknowledged at exit ${stats.unacknowledgedAtExit}`
  );
}
