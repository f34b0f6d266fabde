/**
 * A bounded pool for slow hashing (scrypt of people's passwords): at most `concurrency` hashes
 * run at once and at most `queueLimit` wait; past that an anonymous caller is refused at once.
 *
 * Why: scrypt runs on libuv's thread pool (4 threads by default), which the WAL fdatasync before
 * every PUBACK also used then (it has threads of its own now, store/db.ts). Unbounded, 200
 * concurrent logins filled all four threads and a press waited 21 s for its PUBACK (issue 12).
 * With one or two hashes at a time, the pool keeps threads for the rest of the process (file
 * reads, DNS lookups); the short queue keeps a login's wait short and makes a flood cost
 * nothing but a 503.
 */
export type HashPoolStats = {
  running: number;
  queued: number;
  /** Tasks that began to run, since the pool was made. */
  started: number;
  /** Tasks that finished (either way), since the pool was made. */
  finished: number;
  /** Tasks refused because the queue was full, since the pool was made. */
  refused: number;
};

export type HashPool = {
  /**
   * Runs `task` when a slot is free, or answers 'busy' at once (synchronously) when the queue is
   * full: for work anyone may ask for, such as a login.
   */
  tryRun<T>(task: () => Promise<T>): Promise<T> | 'busy';
  /**
   * Runs `task` when a slot is free however long the queue: for a signed-in person's own work
   * (setting a password), which an anonymous flood must not refuse. Still one slot at a time.
   */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Seconds a refused caller should wait: the queue ahead of it at the recent pace, at least 1. */
  retryAfterSec(): number;
  stats(): HashPoolStats;
};

/** The first guess of a hash's duration, before one has been measured. */
const FIRST_GUESS_MS = 100;

export function createHashPool(opts: {
  concurrency: number;
  queueLimit: number;
  /** Milliseconds, monotonic; for measuring the pace only. */
  now?: () => number;
}): HashPool {
  const { concurrency, queueLimit } = opts;
  const now = opts.now ?? (() => performance.now());
  const waiting: Array<() => void> = [];
  const stats: HashPoolStats = { running: 0, queued: 0, started: 0, finished: 0, refused: 0 };
  let averageMs = FIRST_GUESS_MS;

  const next = (): void => {
    while (stats.running < concurrency && waiting.length > 0) waiting.shift()?.();
    stats.queued = waiting.length;
  };

  const enqueue = <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        stats.running += 1;
        stats.started += 1;
        const began = now();
        // The slot is freed before the caller hears, so a caller that goes on finds it free.
        const done = (answer: () => void): void => {
          // A moving average: a loaded machine's pace shows in Retry-After within a few hashes.
          averageMs = averageMs * 0.8 + (now() - began) * 0.2;
          stats.running -= 1;
          stats.finished += 1;
          next();
          answer();
        };
        let running: Promise<T>;
        try {
          // Started in this turn: the hash is on its thread before the caller's next line.
          running = task();
        } catch (err) {
          running = Promise.reject(err);
        }
        running.then(
          (value) => done(() => resolve(value)),
          (err: unknown) => done(() => reject(err)),
        );
      });
      next();
    });

  return {
    tryRun(task) {
      if (waiting.length >= queueLimit) {
        stats.refused += 1;
        return 'busy';
      }
      return enqueue(task);
    },
    run: enqueue,
    retryAfterSec() {
      const ahead = waiting.length + stats.running;
      return Math.max(1, Math.ceil((ahead * averageMs) / concurrency / 1000));
    },
    stats: () => ({ ...stats }),
  };
}
