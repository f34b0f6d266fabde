/**
 * Group commit: callers submit items one by one; items queued in the same turn of the event loop
 * are committed together (flushed on the next tick, or at once when the batch is full), then
 * every callback is called in arrival order. With aedes the callback releases the PUBACK, so
 * arrival order is PUBACK order [MQTT-4.6.0-2], and an fsync is shared by the whole batch.
 *
 * If a batch fails, each of its items is retried alone, so one poisonous message cannot keep a
 * whole batch of presses from being committed; only the items that fail alone get the error
 * (and with it no acknowledgement: the sender will resend).
 */

export type Done<R> = (err: Error | null, result?: R) => void;

export type GroupCommitOptions<T, R> = {
  commit: (items: readonly T[]) => R[];
  batchMax: number;
  /** Called after each successful commit with its size and duration in ms. */
  onCommit?: (size: number, ms: number) => void;
  onFailure?: (err: Error, size: number) => void;
  /**
   * Whether a failed batch is worth retrying item by item. A lock timeout, a full disk or an
   * I/O error would fail every item the same way (and each retry could wait out the lock
   * again), so those fail the whole batch at once. Default: always retry.
   */
  retryItems?: (err: Error) => boolean;
  /** Called with results in arrival order after the callbacks ran (side effects after commit). */
  afterCommit?: (items: readonly T[], results: readonly (R | undefined)[]) => void;
  /** A callback that throws is a bug in the caller; it must not keep others from their PUBACK. */
  onCallbackError?: (err: unknown) => void;
};

export type GroupCommit<T, R> = {
  submit(item: T, done: Done<R>): void;
  /** Commits what is queued now (used on shutdown). */
  flush(): void;
  readonly pending: number;
};

export function createGroupCommit<T, R>(opts: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  let items: T[] = [];
  let callbacks: Done<R>[] = [];
  let scheduled = false;

  function commitTimed(batch: readonly T[]): R[] {
    const started = performance.now();
    const results = opts.commit(batch);
    try {
      opts.onCommit?.(batch.length, performance.now() - started);
    } catch (err) {
      // The batch is committed: a failing observer must not make it look failed (and retried).
      opts.onCallbackError?.(err);
    }
    return results;
  }

  function call(done: Done<R>, err: Error | null, result?: R): void {
    try {
      if (err) done(err);
      else done(null, result);
    } catch (callbackErr) {
      opts.onCallbackError?.(callbackErr);
    }
  }

  function flush(): void {
    scheduled = false;
    if (items.length === 0) return;
    const batch = items;
    const dones = callbacks;
    items = [];
    callbacks = [];
    let results: (R | undefined)[];
    // Per item: null when it is committed (the whole batch, or on its own after a retry).
    let errors: (Error | null)[] = [];
    try {
      results = commitTimed(batch);
    } catch (batchErr) {
      const err = asError(batchErr);
      opts.onFailure?.(err, batch.length);
      if (opts.retryItems && !opts.retryItems(err)) {
        dones.forEach((done) => call(done, err));
        return;
      }
      results = [];
      for (const item of batch) {
        try {
          results.push(commitTimed([item])[0]);
          errors.push(null);
        } catch (itemErr) {
          results.push(undefined);
          errors.push(asError(itemErr));
        }
      }
    }
    dones.forEach((done, i) => call(done, errors[i] ?? null, results[i]));
    opts.afterCommit?.(batch, results);
  }

  return {
    submit(item, done) {
      items.push(item);
      callbacks.push(done);
      if (items.length >= opts.batchMax) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    get pending() {
      return items.length;
    },
  };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
