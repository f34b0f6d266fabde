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
 * durable (the sync still runs, after): the bug a power cut must catch (test/fault/powercut.test.ts).
 */
export const UNSAFE_ACK_BEFORE_SYNC: boolean =
  typeof RIBBON_UNSAFE_ACK_BEFORE_SYNC === 'boolean' && RIBBON_UNSAFE_ACK_BEFORE_SYNC;

type Sync = (done: (err: Error | null) => void) => void;

/**
 * The unsafe build's sync: the batch is released (its PUBACKs sent) at once, and the real sync
 * runs afterwards, one at a time, a new one starting after the last for what came meanwhile.
 */
export function ackBeforeSync(sync: Sync): Sync {
  let running = false;
  let again = false;
  const start = () => {
    running = true;
    sync(() => {
      running = false;
      if (again) {
        again = false;
        start();
      }
    });
  };
  return (done) => {
    done(null);
    if (running) again = true;
    else start();
  };
}
