/**
 * A TEST-ONLY build switch, never set in production: `RIBBON_UNSAFE_ACK_BEFORE_SYNC` exists only
 * when esbuild's `define` puts it there (test/fault/guest/bundle.ts, for the power-cut test's
 * "unsafe" build). Everywhere else — `npm start`, tsx, vitest, any bundle without that define —
 * the name is undeclared, `typeof` says so, and the constant is false: no environment variable
 * or setting can turn it on.
 */
declare const RIBBON_UNSAFE_ACK_BEFORE_SYNC: boolean | undefined;

/**
 * In the unsafe build the device batches are acknowledged BEFORE the WAL sync that makes them
 * durable: the bug a power cut must catch (test/fault/powercut.test.ts).
 */
export const UNSAFE_ACK_BEFORE_SYNC: boolean =
  typeof RIBBON_UNSAFE_ACK_BEFORE_SYNC === 'boolean' && RIBBON_UNSAFE_ACK_BEFORE_SYNC;

/**
 * How long the unsafe build's sync comes after the PUBACKs (a design that flushes on a timer). With
 * the sync started at once after the PUBACKs no cut landed in the window at the guest's ~20–40
 * presses/s (0 lost in 3 cuts); with 1 s, 2 cuts in 3 still lost nothing (the window was under a
 * second, shortened by the checkpoints' own syncs), which made the harness's proof a matter of luck.
 */
export const UNSAFE_SYNC_DELAY_MS = 3000;

/**
 * The unsafe build's WAL checkpoint interval: each checkpoint syncs the WAL first, so at the real
 * build's 100 ms it closes the window, and at 1 s it still narrowed it.
 */
export const UNSAFE_CHECKPOINT_MS = 30_000;

type Sync = (done: (err: Error | null) => void) => void;

/**
 * The unsafe build's sync: the batch is released (its PUBACKs sent) at once, and the real sync
 * runs `delayMs` later, one at a time, covering everything committed before it starts; batches
 * released while one runs get another after it.
 */
export function ackBeforeSync(sync: Sync, delayMs: number): Sync {
  let running = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let again = false;
  const start = () => {
    timer = null;
    running = true;
    sync(() => {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    });
  };
  const schedule = () => {
    timer = setTimeout(start, delayMs);
    timer.unref();
  };
  return (done) => {
    done(null);
    if (running) again = true;
    else if (timer === null) schedule();
  };
}
