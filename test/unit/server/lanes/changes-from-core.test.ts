import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Change, type ChangeFeed, createChangeFeed } from '../../../../server/app/changes.js';
import { CATCH_UP_EVERY_MS, changesFromCore } from '../../../../server/lanes/thread.js';

// The core's changes on the main thread (server/lanes/thread.ts): on a port of their own, taken
// between the people side's callbacks, published together and in order.

const report = (householdId: number): Change => ({
  type: 'report',
  householdId,
  eventId: householdId,
  state: 'blue',
  source: 'device',
  at: 0,
});

/** A real channel: the test posts as the core's thread would; the feed records each change with its synchronous run. */
function channel(clock = { ms: 0 }) {
  const { port1, port2 } = new MessageChannel();
  onTestFinished(() => {
    port1.close();
    port2.close();
  });
  const feed = createChangeFeed();
  let run = 0;
  let counting = false;
  const seen: Array<{ householdId: number; run: number }> = [];
  feed.subscribe((change) => {
    if (!counting) {
      counting = true;
      queueMicrotask(() => {
        counting = false;
        run += 1;
      });
    }
    seen.push({ householdId: (change as { householdId: number }).householdId, run });
  });
  const arrivals = changesFromCore(port1, feed, () => clock.ms);
  return { core: port2, feed, seen, arrivals };
}

const MARK = 999;

/**
 * Posts a last message and waits until the loop has delivered and published it: everything posted
 * before it has been published by then (an event, not a count of turns: on a loaded machine the
 * port's delivery may come a turn late).
 */
async function delivered(core: MessagePort, feed: ChangeFeed): Promise<void> {
  const seen = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the mark was not published within 5 s')), 5000);
    const stop = feed.subscribe((change) => {
      if ((change as { householdId: number }).householdId !== MARK) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
  core.postMessage([report(MARK)]);
  await seen;
}

const ids = (seen: Array<{ householdId: number }>) => seen.map((s) => s.householdId).filter((id) => id !== MARK);

describe('the core’s changes on the main thread', () => {
  it('when changes have arrived and the people side catches up, then all are published at once, in order, before the loop reaches the port — and not again after', async () => {
    const { core, feed, seen, arrivals } = channel();
    core.postMessage([report(1), report(2)]);
    core.postMessage([report(3)]);
    core.postMessage([report(4)]);
    // Posted from another thread, the messages are on the port at once; this run has not ended.
    arrivals.catchUp();
    expect(seen).toEqual([1, 2, 3, 4].map((householdId) => ({ householdId, run: 0 })));
    await delivered(core, feed);
    expect(ids(seen)).toEqual([1, 2, 3, 4]);
  });

  it('when nothing has arrived, then catching up publishes nothing', () => {
    const { seen, arrivals } = channel();
    arrivals.catchUp();
    expect(seen).toEqual([]);
  });

  it('when the loop delivers a backlog of messages, then all are published together in one run (one delta per dashboard), in order', async () => {
    const { core, feed, seen } = channel();
    for (let id = 1; id <= 50; id++) core.postMessage([report(id)]);
    await delivered(core, feed);
    expect(ids(seen)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(seen.filter((s) => s.householdId !== MARK).map((s) => s.run)).size).toBe(1);
  });

  it('when a listener catches up again while changes are being published, then nothing is published twice or out of order', async () => {
    const { core, feed, seen, arrivals } = channel();
    let again = true;
    feed.subscribe(() => {
      if (again) {
        again = false;
        core.postMessage([report(3)]);
        arrivals.catchUp();
      }
    });
    core.postMessage([report(1), report(2)]);
    arrivals.catchUp();
    await delivered(core, feed);
    expect(ids(seen)).toEqual([1, 2, 3]);
  });

  it('when the people side catches up again within CATCH_UP_EVERY_MS of a publish, then the changes stay on the port: the next catch-up after it, or the loop, publishes them', async () => {
    const clock = { ms: 1000 };
    const { core, feed, seen, arrivals } = channel(clock);
    core.postMessage([report(1)]);
    arrivals.catchUp();
    core.postMessage([report(2)]);
    clock.ms += CATCH_UP_EVERY_MS - 1;
    arrivals.catchUp(); // a flood's next request: no frame of its own
    expect(seen.map((s) => s.householdId)).toEqual([1]);
    clock.ms += 1;
    arrivals.catchUp();
    expect(seen.map((s) => s.householdId)).toEqual([1, 2]);
    core.postMessage([report(3)]);
    arrivals.catchUp();
    expect(seen.map((s) => s.householdId)).toEqual([1, 2]);
    await delivered(core, feed);
    expect(ids(seen)).toEqual([1, 2, 3]);
  });

  it('when a reply is heard, then what arrived before it is published at once, however soon after the last publish', () => {
    const { core, seen, arrivals } = channel();
    core.postMessage([report(1)]);
    arrivals.catchUp();
    core.postMessage([report(2)]);
    arrivals.publishArrived();
    expect(seen.map((s) => s.householdId)).toEqual([1, 2]);
  });
});
