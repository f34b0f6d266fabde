/**
 * Group commit: callers submit items one by one; items queued in the same turn of the event loop
 * are committed together (flushed on the next tick, or at once when the batch is full), then
 * every callback is called in arrival order. With aedes the callback releases the PUBACK, so
 * arrival order is PUBACK order [MQTT-4.6.0-2], and an fsync is shared by the whole batch.
 *
 * With `sync`, a commit does not wait for the disk on the event loop: the batch is committed
 * without an fsync, then `sync` makes it durable (an fdatasync of the WAL on libuv's thread
 * pool, server/store/db.ts) while the event loop goes on, and only then are the callbacks called
 * (the PUBACKs) and afterCommit run. Batches committed while a sync is under way wait for the
 * next one, which covers them all (one fsync for many batches), so order is kept throughout.
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
  /**
   * Whether a failed commit is as final as a failed sync: an I/O error (SQLite's own fsync inside
   * the commit, or a write, failed) says the disk is failing, and what Linux dropped cannot be
   * trusted to reach it later. Then nothing more is acknowledged, as after onSyncFailure, which is
   * called for it. Default: never (a failed commit fails only its batch).
   */
  isFinal?: (err: Error) => boolean;
  /** Called with results in arrival order after the callbacks ran (side effects after commit). */
  afterCommit?: (items: readonly T[], results: readonly (R | undefined)[]) => void;
  /** A callback that throws is a bug in the caller; it must not keep others from their PUBACK. */
  onCallbackError?: (err: unknown) => void;
  /**
   * Makes what has been committed durable, off the event loop; `commit` then commits without
   * syncing. If it fails, no callback of the batches it covered gets a result (they get the
   * error: no PUBACK) and afterCommit does not run for them; see onSyncFailure.
   */
  sync?: (done: (err: Error | null) => void) => void;
  /**
   * Syncs under way at most (default 1). More than one only if each concurrent call of `sync`
   * would see a write-back error on its own: Linux reports such an error once per open file
   * description, so concurrent fsyncs through ONE descriptor could leave all but one unaware
   * (createWalSync gives each slot its own descriptor).
   */
  syncsInFlight?: number;
  /** Called after each sync with the batches and items it covered and its duration in ms. */
  onSync?: (batches: number, items: number, ms: number) => void;
  /**
   * A sync failed: what those batches committed is visible in the database but may not be on
   * disk, and a later sync cannot be trusted to cover it (Linux may drop the failed pages, and
   * SQLite's recovery stops at the first missing frame, losing every commit after it too). So
   * from then on nothing is acknowledged: every batch waiting, every later sync's batches and
   * every new submission gets the error, until the process restarts. Called once, with the items
   * failed at that moment.
   */
  onSyncFailure?: (err: Error, items: number) => void;
};

export type GroupCommit<T, R> = {
  submit(item: T, done: Done<R>): void;
  /** Commits what is queued now (used on shutdown). */
  flush(): void;
  /** Resolves once nothing is queued or waiting for its sync (after flush, on shutdown). */
  drained(): Promise<void>;
  readonly pending: number;
};

/** One sync under way and the batches it was started for. */
type SyncGroup<T, R> = { covered: Committed<T, R>[]; started: number; settled: boolean };

/** A committed batch waiting for its sync: its callbacks, results and per-item errors. */
type Committed<T, R> = { batch: readonly T[]; dones: Done<R>[]; results: (R | undefined)[]; errors: (Error | null)[] };

export function createGroupCommit<T, R>(opts: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  let items: T[] = [];
  let callbacks: Done<R>[] = [];
  let scheduled = false;
  let unsynced: Committed<T, R>[] = [];
  /** Syncs under way, oldest first (a settled one stays until those before it settle). */
  const inFlight: SyncGroup<T, R>[] = [];
  const maxInFlight = Math.max(1, opts.syncsInFlight ?? 1);
  /**
   * Calls of `sync` not yet called back. Not inFlight.length: a group released by a later sync
   * leaves inFlight while its own sync may still be running (and holding its descriptor).
   */
  let running = 0;
  /** The first failed sync: nothing is acknowledged after it (see onSyncFailure). */
  let broken: Error | null = null;
  const idle: Array<() => void> = [];

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
    if (broken !== null) {
      // The disk failed a sync: nothing more is committed or acknowledged before a restart.
      const err = broken;
      dones.forEach((done) => call(done, err));
      settleIdle();
      return;
    }
    let results: (R | undefined)[];
    // Per item: null when it is committed (the whole batch, or on its own after a retry).
    const errors: (Error | null)[] = [];
    try {
      results = commitTimed(batch);
    } catch (batchErr) {
      const err = asError(batchErr);
      opts.onFailure?.(err, batch.length);
      if (opts.isFinal?.(err)) {
        breakDown(err, dones);
        return;
      }
      if (opts.retryItems && !opts.retryItems(err)) {
        dones.forEach((done) => call(done, err));
        settleIdle();
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
    const committed = { batch, dones, results, errors };
    if (opts.sync === undefined) {
      finish(committed, null);
      settleIdle();
    } else {
      unsynced.push(committed);
      startSync();
    }
  }

  /**
   * A commit failed for good (isFinal): its callbacks and those of every batch not yet handed to a
   * sync get the error; the syncs under way fail theirs when they end (`broken`).
   */
  function breakDown(err: Error, dones: Done<R>[]): void {
    const first = broken === null;
    broken ??= err;
    const waiting = unsynced;
    unsynced = [];
    try {
      if (first) opts.onSyncFailure?.(broken, dones.length + waiting.reduce((n, c) => n + c.batch.length, 0));
    } catch (observerErr) {
      opts.onCallbackError?.(observerErr);
    }
    for (const done of dones) call(done, broken);
    for (const c of waiting) finish(c, broken);
    settleIdle();
  }

  function finish(c: Committed<T, R>, syncErr: Error | null): void {
    c.dones.forEach((done, i) => call(done, syncErr ?? c.errors[i] ?? null, c.results[i]));
    if (syncErr === null) opts.afterCommit?.(c.batch, c.results);
  }

  /**
   * Starts a sync for every batch committed since the last one started, if fewer than
   * `syncsInFlight` are under way. A sync that completes makes durable every batch committed
   * before it STARTED (an fsync covers all the file's data written before the call), so its
   * success releases its own batches and every earlier one still waiting, in commit order: a
   * slow sync does not hold back the batches behind it once a later one has finished. A failed
   * sync fails everything waiting, and everything after it (`broken`).
   */
  function startSync(): void {
    const sync = opts.sync;
    if (sync === undefined || unsynced.length === 0 || running >= maxInFlight) return;
    const group: SyncGroup<T, R> = { covered: unsynced, started: performance.now(), settled: false };
    unsynced = [];
    inFlight.push(group);
    running += 1;
    sync((err) => {
      running -= 1;
      const firstFailure = err !== null && broken === null;
      if (err !== null) broken ??= asError(err);
      // Released: on success, this group and every group started before it still waiting; once
      // broken, every group still waiting and every batch not yet handed to a sync, all failed.
      let released: SyncGroup<T, R>[];
      if (broken === null) {
        released = inFlight.slice(0, inFlight.indexOf(group) + 1).filter((g) => !g.settled);
      } else {
        released = inFlight.filter((g) => !g.settled);
        if (unsynced.length > 0) released.push({ covered: unsynced, started: performance.now(), settled: false });
        unsynced = [];
      }
      for (const g of released) g.settled = true;
      while (inFlight[0]?.settled) inFlight.shift();
      const items = released.reduce((n, g) => n + g.covered.reduce((m, c) => m + c.batch.length, 0), 0);
      try {
        if (firstFailure && broken !== null) opts.onSyncFailure?.(broken, items);
        else if (broken === null) opts.onSync?.(group.covered.length, items, performance.now() - group.started);
      } catch (observerErr) {
        opts.onCallbackError?.(observerErr);
      }
      for (const g of released) for (const c of g.covered) finish(c, broken);
      if (broken === null) startSync();
      settleIdle();
    });
  }

  function settleIdle(): void {
    if (inFlight.length === 0 && running === 0 && pendingCount() === 0) for (const resolve of idle.splice(0)) resolve();
  }

  function pendingCount(): number {
    return items.length + unsynced.length;
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
    drained() {
      if (inFlight.length === 0 && running === 0 && pendingCount() === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    get pending() {
      return items.length;
    },
  };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
