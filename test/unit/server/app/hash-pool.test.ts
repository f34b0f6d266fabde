import { describe, expect, it } from 'vitest';
import { createHashPool } from '../../../../server/app/hash-pool.js';

/** A task the test finishes by hand: `finish()` resolves it, `fail()` rejects it. */
function manualTask() {
  let finish!: (value: string) => void;
  let fail!: (err: Error) => void;
  let began = false;
  const promise = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    task: () => {
      began = true;
      return promise;
    },
    get began() {
      return began;
    },
    finish: (value = 'done') => finish(value),
    fail: (err = new Error('failed')) => fail(err),
  };
}

/** Lets settled promises run their callbacks. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the hash pool', () => {
  it('when more tasks come than may run, then only `concurrency` run and the rest start in order as slots free', async () => {
    const pool = createHashPool({ concurrency: 2, queueLimit: 10 });
    const tasks = Array.from({ length: 5 }, () => manualTask());
    const results = tasks.map((t) => pool.tryRun(t.task));
    expect(results.every((r) => r !== 'busy')).toBe(true);
    expect(tasks.map((t) => t.began)).toEqual([true, true, false, false, false]);
    expect(pool.stats()).toMatchObject({ running: 2, queued: 3, started: 2 });
    tasks[1]?.finish('second');
    await settle();
    expect(tasks.map((t) => t.began)).toEqual([true, true, true, false, false]);
    await expect(results[1]).resolves.toBe('second');
    expect(pool.stats()).toMatchObject({ running: 2, queued: 2, started: 3, finished: 1 });
  });

  it('when the queue is full, then tryRun answers busy at once and run() still queues', async () => {
    const pool = createHashPool({ concurrency: 1, queueLimit: 2 });
    const tasks = Array.from({ length: 4 }, () => manualTask());
    const accepted = tasks.slice(0, 3).map((t) => pool.tryRun(t.task));
    expect(accepted.every((r) => r !== 'busy')).toBe(true);
    const refused = tasks[3] ? pool.tryRun(tasks[3].task) : null;
    expect(refused).toBe('busy');
    expect(tasks[3]?.began).toBe(false);
    expect(pool.stats()).toMatchObject({ running: 1, queued: 2, refused: 1 });
    // A signed-in person's own hash waits its turn rather than being refused.
    const own = manualTask();
    const waited = pool.run(own.task);
    expect(pool.stats()).toMatchObject({ running: 1, queued: 3, refused: 1 });
    for (const t of tasks.slice(0, 3)) {
      t.finish();
      await settle();
    }
    expect(own.began).toBe(true);
    own.finish('mine');
    await expect(waited).resolves.toBe('mine');
    expect(pool.stats()).toMatchObject({ running: 0, queued: 0, started: 4, finished: 4 });
  });

  it('when a task fails or throws, then its caller gets the error and its slot goes to the next', async () => {
    const pool = createHashPool({ concurrency: 1, queueLimit: 5 });
    const failing = manualTask();
    const first = pool.run(failing.task);
    const thrown = pool.run(() => {
      throw new Error('thrown at once');
    });
    const last = manualTask();
    const third = pool.run(last.task);
    failing.fail(new Error('no memory'));
    await expect(first).rejects.toThrow('no memory');
    await expect(thrown).rejects.toThrow('thrown at once');
    await settle();
    expect(last.began).toBe(true);
    last.finish('ok');
    await expect(third).resolves.toBe('ok');
  });

  it.each([
    // [concurrency, tasks running or waiting, the pace in ms, Retry-After in s]
    [1, 1, 100, 1],
    [1, 17, 300, 6],
    [2, 18, 300, 3],
    [1, 0, 300, 1],
  ])(
    'when %i may run, %i are in the pool and a hash takes %i ms, then Retry-After is %i s',
    async (concurrency, inPool, paceMs, expected) => {
      let clock = 0;
      const pool = createHashPool({ concurrency, queueLimit: 100, now: () => clock });
      // Teach the pool its pace: enough hashes of paceMs for the moving average to settle.
      for (let i = 0; i < 60; i++) {
        const t = manualTask();
        const done = pool.run(t.task);
        clock += paceMs;
        t.finish();
        await done;
      }
      const held = Array.from({ length: inPool }, () => manualTask());
      for (const t of held) void pool.run(t.task);
      expect(pool.retryAfterSec()).toBe(expected);
      for (const t of held) t.finish();
    },
  );
});
