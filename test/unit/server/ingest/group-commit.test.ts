import { describe, expect, it } from 'vitest';
import { createGroupCommit, type GroupCommitOptions } from '../../../../server/ingest/group-commit.js';

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Call = { item: string; err: string | null; result: string | undefined };

/** A recording harness around a real commit function (no mocks: plain arrays). */
function harness(
  opts: Partial<GroupCommitOptions<string, string>> & {
    batchMax: number;
    poison?: readonly string[];
    failBatches?: boolean;
  },
) {
  const commits: string[][] = [];
  const calls: Call[] = [];
  const sizes: number[] = [];
  const durations: number[] = [];
  const failures: [string, number][] = [];
  const after: [string[], (string | undefined)[]][] = [];
  const callbackErrors: unknown[] = [];
  const poison = new Set(opts.poison ?? []);
  const gc = createGroupCommit<string, string>({
    batchMax: opts.batchMax,
    commit: (items) => {
      if (items.some((i) => poison.has(i))) {
        throw new Error(`cannot store ${items.filter((i) => poison.has(i)).join(',')}`);
      }
      if (opts.failBatches === true && items.length > 1) throw new Error('disk full');
      commits.push([...items]);
      return items.map((i) => `stored:${i}`);
    },
    onCommit: (size, ms) => {
      sizes.push(size);
      durations.push(ms);
    },
    onFailure: (err, size) => failures.push([err.message, size]),
    afterCommit: (items, results) => after.push([[...items], [...results]]),
    onCallbackError: (err) => callbackErrors.push(err),
    ...(opts.retryItems ? { retryItems: opts.retryItems } : {}),
  });
  const submit = (item: string, onDone?: () => void): void =>
    gc.submit(item, (err, result) => {
      calls.push({ item, err: err?.message ?? null, result });
      onDone?.();
    });
  return { gc, submit, commits, calls, sizes, durations, failures, after, callbackErrors };
}

describe('createGroupCommit: batching', () => {
  it('when items are submitted in one turn, then nothing is committed until the next tick, then all in one batch', async () => {
    const h = harness({ batchMax: 100 });
    h.submit('a');
    h.submit('b');
    h.submit('c');
    expect(h.commits).toEqual([]);
    expect(h.calls).toEqual([]);
    expect(h.gc.pending).toBe(3);
    await nextTick();
    expect(h.commits).toEqual([['a', 'b', 'c']]);
    expect(h.gc.pending).toBe(0);
  });

  it('when callbacks run, then they run in arrival order with their own results', async () => {
    const h = harness({ batchMax: 100 });
    for (const item of ['p1', 'p2', 'p3', 'p4']) h.submit(item);
    await nextTick();
    expect(h.calls).toEqual([
      { item: 'p1', err: null, result: 'stored:p1' },
      { item: 'p2', err: null, result: 'stored:p2' },
      { item: 'p3', err: null, result: 'stored:p3' },
      { item: 'p4', err: null, result: 'stored:p4' },
    ]);
  });

  it('when the batch reaches batchMax, then it is committed synchronously inside submit', () => {
    const h = harness({ batchMax: 3 });
    h.submit('a');
    h.submit('b');
    expect(h.commits).toEqual([]);
    h.submit('c');
    expect(h.commits).toEqual([['a', 'b', 'c']]);
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b', 'c']);
    expect(h.gc.pending).toBe(0);
  });

  it('when more than batchMax arrive in one turn, then full batches go at once and the rest on the next tick', async () => {
    const h = harness({ batchMax: 2 });
    for (const item of ['a', 'b', 'c', 'd', 'e']) h.submit(item);
    expect(h.commits).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(h.gc.pending).toBe(1);
    await nextTick();
    expect(h.commits).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('when items arrive in separate turns, then each turn is its own batch', async () => {
    const h = harness({ batchMax: 100 });
    h.submit('a');
    await nextTick();
    h.submit('b');
    h.submit('c');
    await nextTick();
    expect(h.commits).toEqual([['a'], ['b', 'c']]);
  });

  it('when batchMax is 1, then every submit commits at once', () => {
    const h = harness({ batchMax: 1 });
    h.submit('a');
    h.submit('b');
    expect(h.commits).toEqual([['a'], ['b']]);
  });

  it('when flush is called, then what is queued is committed now and the scheduled tick finds nothing', async () => {
    const h = harness({ batchMax: 100 });
    h.submit('a');
    h.submit('b');
    h.gc.flush();
    expect(h.commits).toEqual([['a', 'b']]);
    await nextTick();
    expect(h.commits).toEqual([['a', 'b']]);
  });

  it('when flush is called with nothing queued, then nothing is committed', () => {
    const h = harness({ batchMax: 100 });
    h.gc.flush();
    expect(h.commits).toEqual([]);
    expect(h.sizes).toEqual([]);
  });

  it('when a callback submits a new item, then it goes into a later batch', async () => {
    const h = harness({ batchMax: 100 });
    h.submit('a', () => h.submit('a-reply'));
    await nextTick();
    expect(h.commits).toEqual([['a']]);
    await nextTick();
    expect(h.commits).toEqual([['a'], ['a-reply']]);
  });
});

describe('createGroupCommit: reporting', () => {
  it('when batches commit, then onCommit reports each size and afterCommit sees items and results', async () => {
    const h = harness({ batchMax: 2 });
    for (const item of ['a', 'b', 'c']) h.submit(item);
    await nextTick();
    expect(h.sizes).toEqual([2, 1]);
    expect(h.durations).toHaveLength(2);
    expect(h.durations.every((ms) => Number.isFinite(ms) && ms >= 0)).toBe(true);
    expect(h.after).toEqual([
      [
        ['a', 'b'],
        ['stored:a', 'stored:b'],
      ],
      [['c'], ['stored:c']],
    ]);
    expect(h.failures).toEqual([]);
  });
});

describe('createGroupCommit: a failing batch', () => {
  it('when one item poisons the batch, then the others are committed alone and only it gets the error', async () => {
    const h = harness({ batchMax: 100, poison: ['bad'] });
    for (const item of ['a', 'bad', 'c']) h.submit(item);
    await nextTick();
    expect(h.failures).toEqual([['cannot store bad', 3]]);
    expect(h.commits).toEqual([['a'], ['c']]);
    expect(h.calls).toEqual([
      { item: 'a', err: null, result: 'stored:a' },
      { item: 'bad', err: 'cannot store bad', result: undefined },
      { item: 'c', err: null, result: 'stored:c' },
    ]);
    expect(h.sizes).toEqual([1, 1]);
    expect(h.after).toEqual([
      [
        ['a', 'bad', 'c'],
        ['stored:a', undefined, 'stored:c'],
      ],
    ]);
  });

  it('when two items are poisonous, then each gets its own error and the rest still commit in order', async () => {
    const h = harness({ batchMax: 100, poison: ['x', 'y'] });
    for (const item of ['x', 'a', 'y', 'b']) h.submit(item);
    await nextTick();
    expect(h.calls).toEqual([
      { item: 'x', err: 'cannot store x', result: undefined },
      { item: 'a', err: null, result: 'stored:a' },
      { item: 'y', err: 'cannot store y', result: undefined },
      { item: 'b', err: null, result: 'stored:b' },
    ]);
    expect(h.commits).toEqual([['a'], ['b']]);
  });

  it('when the failure is not worth retrying item by item (a locked or full database), then every item gets the error at once', async () => {
    const h = harness({ batchMax: 100, failBatches: true, retryItems: (err) => err.message !== 'disk full' });
    for (const item of ['a', 'b', 'c']) h.submit(item);
    await nextTick();
    expect(h.failures).toEqual([['disk full', 3]]);
    expect(h.commits).toEqual([]);
    expect(h.calls).toEqual([
      { item: 'a', err: 'disk full', result: undefined },
      { item: 'b', err: 'disk full', result: undefined },
      { item: 'c', err: 'disk full', result: undefined },
    ]);
  });

  it('when only the batch fails (every item commits alone), then no callback gets an error', async () => {
    const h = harness({ batchMax: 100, failBatches: true });
    for (const item of ['a', 'b']) h.submit(item);
    await nextTick();
    expect(h.failures).toEqual([['disk full', 2]]);
    expect(h.calls).toEqual([
      { item: 'a', err: null, result: 'stored:a' },
      { item: 'b', err: null, result: 'stored:b' },
    ]);
  });

  it('when the commit throws a non-Error, then callers still get an Error', () => {
    const gc = createGroupCommit<string, string>({
      batchMax: 1,
      commit: () => {
        throw 'SQLITE_FULL';
      },
    });
    const errors: unknown[] = [];
    gc.submit('a', (err) => errors.push(err));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);
    expect((errors[0] as Error).message).toBe('SQLITE_FULL');
  });

  it('when a batch failed, then the next batch is committed whole again', async () => {
    const h = harness({ batchMax: 100, poison: ['bad'] });
    h.submit('bad');
    h.submit('a');
    await nextTick();
    h.submit('b');
    h.submit('c');
    await nextTick();
    expect(h.commits).toEqual([['a'], ['b', 'c']]);
  });
});

describe('createGroupCommit: a throwing callback', () => {
  it('when one callback throws, then the later ones are still called and the error is reported', async () => {
    const h = harness({ batchMax: 100 });
    const boom = new Error('caller bug');
    h.submit('a');
    h.submit('b', () => {
      throw boom;
    });
    h.submit('c');
    await nextTick();
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b', 'c']);
    expect(h.callbackErrors).toEqual([boom]);
    expect(h.after).toHaveLength(1);
  });

  it('when a callback throws after a failed batch, then the later ones are still called', async () => {
    const h = harness({ batchMax: 100, poison: ['bad'] });
    h.submit('bad', () => {
      throw new Error('caller bug');
    });
    h.submit('a');
    await nextTick();
    expect(h.calls).toEqual([
      { item: 'bad', err: 'cannot store bad', result: undefined },
      { item: 'a', err: null, result: 'stored:a' },
    ]);
    expect(h.callbackErrors).toHaveLength(1);
  });

  it('when no onCallbackError is given, then a throwing callback is swallowed and others still run', () => {
    const seen: string[] = [];
    const gc = createGroupCommit<string, string>({ batchMax: 2, commit: (items) => items.map((i) => i) });
    gc.submit('a', () => {
      throw new Error('caller bug');
    });
    gc.submit('b', (_err, result) => seen.push(result ?? 'none'));
    expect(seen).toEqual(['b']);
  });
});

describe('createGroupCommit: with sync (the fsync off the event loop)', () => {
  /** A sync the test completes by hand, in any order: the seam where the server's fdatasync goes. */
  const SLOTS = 3;
  function syncHarness(batchMax = 100) {
    const pending: Array<(err: Error | null) => void> = [];
    const synced: Array<[number, number]> = [];
    const syncFailures: Array<[string, number]> = [];
    const calls: Call[] = [];
    const after: string[][] = [];
    const commits: string[][] = [];
    const gc = createGroupCommit<string, string>({
      batchMax,
      syncsInFlight: SLOTS,
      commit: (items) => {
        // What SQLite throws when its own fsync inside a commit fails (dm-flakey error_writes).
        if (items.includes('ioerr')) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_FSYNC' });
        commits.push([...items]);
        return items.map((i) => `stored:${i}`);
      },
      isFinal: (err) => (err as { code?: string }).code?.startsWith('SQLITE_IOERR') === true,
      afterCommit: (items) => after.push([...items]),
      sync: (done) => pending.push(done),
      onSync: (batches, items) => synced.push([batches, items]),
      onSyncFailure: (err, items) => syncFailures.push([err.message, items]),
    });
    const submit = (item: string): void =>
      gc.submit(item, (err, result) => calls.push({ item, err: err?.message ?? null, result }));
    return { gc, submit, pending, synced, syncFailures, calls, after, commits };
  }

  it('when a batch is committed, then no callback and no afterCommit runs until its sync completes', async () => {
    const h = syncHarness();
    h.submit('a');
    h.submit('b');
    await nextTick();
    expect(h.pending).toHaveLength(1);
    expect(h.calls).toEqual([]);
    expect(h.after).toEqual([]);
    h.pending[0]?.(null);
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b']);
    expect(h.after).toEqual([['a', 'b']]);
    expect(h.synced).toEqual([[1, 2]]);
  });

  it('when syncs complete out of order, then a later one releases every earlier batch too, in commit order; at most syncsInFlight run, the rest wait for one', async () => {
    const h = syncHarness();
    for (const item of ['a', 'b', 'c', 'd']) {
      h.submit(item);
      await nextTick();
    }
    // Three syncs under way (a, b, c); d's batch waits for a free one.
    expect(h.pending).toHaveLength(SLOTS);
    h.pending[1]?.(null); // b's sync: a was committed before it started, so a is on disk too
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b']);
    expect(h.after).toEqual([['a'], ['b']]);
    // A sync slot freed: d's sync starts.
    expect(h.pending).toHaveLength(4);
    h.pending[0]?.(null); // a's own sync, late: nothing more to release
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b']);
    h.pending[3]?.(null); // d's: releases c (still waiting for its own) and d
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b', 'c', 'd']);
    h.pending[2]?.(null);
    expect(h.calls).toHaveLength(4);
    expect(h.calls.every((c) => c.err === null)).toBe(true);
    await h.gc.drained();
  });

  it('never has more than syncsInFlight syncs running, also when a later sync has released an earlier one still running', async () => {
    const h = syncHarness();
    const done = new Set<number>();
    const running = () => h.pending.length - done.size;
    const complete = (i: number) => {
      done.add(i);
      h.pending[i]?.(null);
    };
    for (const item of ['a', 'b', 'c']) {
      h.submit(item);
      await nextTick();
    }
    expect(running()).toBe(SLOTS);
    complete(2); // c's sync releases a and b, whose syncs are still running
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b', 'c']);
    for (const item of ['d', 'e', 'f']) {
      h.submit(item);
      await nextTick();
      expect(running()).toBeLessThanOrEqual(SLOTS);
    }
    expect(running()).toBe(SLOTS);
    for (let i = 0; i < h.pending.length; i += 1) if (!done.has(i)) complete(i);
    for (let i = 0; i < h.pending.length; i += 1) if (!done.has(i)) complete(i);
    expect(h.calls.map((c) => c.item)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    await h.gc.drained();
  });

  it('when a sync fails, then its batches get the error (no PUBACK), no afterCommit, and the failure is reported', async () => {
    const h = syncHarness();
    h.submit('a');
    await nextTick();
    h.pending[0]?.(new Error('EIO: i/o error, fdatasync'));
    expect(h.calls).toEqual([{ item: 'a', err: 'EIO: i/o error, fdatasync', result: undefined }]);
    expect(h.after).toEqual([]);
    expect(h.syncFailures).toEqual([['EIO: i/o error, fdatasync', 1]]);
  });

  it('when a commit fails with an I/O error (final), then it, the batches still waiting for their sync and every later one get the error, and the failure is reported once', async () => {
    const h = syncHarness();
    h.submit('a');
    await nextTick();
    expect(h.pending).toHaveLength(1);
    h.submit('ioerr');
    await nextTick();
    expect(h.syncFailures).toEqual([['disk I/O error', 1]]);
    expect(h.calls).toEqual([{ item: 'ioerr', err: 'disk I/O error', result: undefined }]);
    // a's sync "succeeds" after the disk failed: not to be trusted, as after a failed sync.
    h.pending[0]?.(null);
    expect(h.calls.map((c) => [c.item, c.err])).toEqual([
      ['ioerr', 'disk I/O error'],
      ['a', 'disk I/O error'],
    ]);
    h.submit('b');
    await nextTick();
    expect(h.commits).toEqual([['a']]);
    expect(h.calls.at(-1)).toEqual({ item: 'b', err: 'disk I/O error', result: undefined });
    expect(h.after).toEqual([]);
    expect(h.syncFailures).toHaveLength(1);
    await h.gc.drained();
  });

  it('when an earlier sync fails and a later one then succeeds, then nothing after the failure is acknowledged either: SQLite recovery would stop at the missing frames', async () => {
    const h = syncHarness();
    for (const item of ['a', 'b']) {
      h.submit(item);
      await nextTick();
    }
    h.submit('c'); // committed, its sync still to start when a slot frees… or already started
    await nextTick();
    h.pending[0]?.(new Error('EIO'));
    h.pending[1]?.(null); // b's sync "succeeds" after a's failed: not to be trusted
    h.pending[2]?.(null);
    expect(h.calls.map((c) => [c.item, c.err])).toEqual([
      ['a', 'EIO'],
      ['b', 'EIO'],
      ['c', 'EIO'],
    ]);
    expect(h.after).toEqual([]);
    expect(h.syncFailures).toEqual([['EIO', 3]]);
    // Broken until a restart: a new press is neither committed nor acknowledged.
    const before = h.commits.length;
    h.submit('d');
    await nextTick();
    expect(h.commits).toHaveLength(before);
    expect(h.calls.at(-1)).toEqual({ item: 'd', err: 'EIO', result: undefined });
    expect(h.pending).toHaveLength(3);
    await h.gc.drained();
  });

  it('when a later sync succeeds first, then it releases the earlier batch; an earlier failure arriving after it still stops everything that follows', async () => {
    const h = syncHarness();
    for (const item of ['a', 'b']) {
      h.submit(item);
      await nextTick();
    }
    h.pending[1]?.(null);
    expect(h.calls.map((c) => [c.item, c.err])).toEqual([
      ['a', null],
      ['b', null],
    ]);
    h.submit('c');
    await nextTick();
    h.pending[0]?.(new Error('EIO')); // a's own sync, late and failed
    h.pending[2]?.(null);
    expect(h.calls.map((c) => [c.item, c.err])).toEqual([
      ['a', null],
      ['b', null],
      ['c', 'EIO'],
    ]);
    expect(h.syncFailures).toEqual([['EIO', 1]]);
  });

  it('drained() waits for the syncs under way', async () => {
    const h = syncHarness();
    h.submit('a');
    h.gc.flush();
    let drained = false;
    void h.gc.drained().then(() => (drained = true));
    await nextTick();
    expect(drained).toBe(false);
    h.pending[0]?.(null);
    await nextTick();
    expect(drained).toBe(true);
  });
});
