// Time in a run: when it stops (duration or Ctrl-C), timers that a stop clears at once, and the
// bounds Node's timers and the final drain put on it.

/** Node's timers hold at most 2^31 - 1 ms (about 24.8 days); longer delays fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** At the end of a plan, how long to wait for PUBACKs still due before closing. */
export const DRAIN_MS = 3000;

/** Resolves after `durationSec` (if given) or when `signal` aborts (Ctrl-C), whichever comes first. */
export function runUntilStopped(durationSec: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      signal?.removeEventListener('abort', stop);
      if (durationTimer) clearTimeout(durationTimer);
      resolve();
    };
    const durationTimer = durationSec === undefined ? undefined : setTimeout(stop, durationSec * 1000);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

export type Timers = {
  /** Runs fn after ms (capped at MAX_TIMER_MS), unless the timers were stopped first. */
  schedule(ms: number, fn: () => void): void;
  /** Clears every pending timer; nothing scheduled runs after this. */
  stop(): void;
};

export function createTimers(): Timers {
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  return {
    schedule(ms, fn) {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          if (!stopping) fn();
        },
        Math.min(ms, MAX_TIMER_MS),
      );
      timers.add(timer);
    },
    stop() {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
