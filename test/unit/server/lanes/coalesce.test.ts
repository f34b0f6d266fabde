import { describe, expect, it } from 'vitest';
import { type Change, createChangeFeed } from '../../../../server/app/changes.js';
import { coalesceChanges } from '../../../../server/lanes/thread.js';

const report = (householdId: number): Change => ({
  type: 'report',
  householdId,
  eventId: householdId,
  state: 'blue',
  source: 'device',
  at: 0,
});

/** Records each published change with the number of the synchronous run it came in. */
function watch() {
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
  return { feed, seen };
}

describe('the core’s changes on the main thread', () => {
  it('when three messages of changes arrive in one turn, then all are published together after it, in order (one delta per dashboard)', async () => {
    const { feed, seen } = watch();
    const arrivals = coalesceChanges(feed);
    arrivals.add([report(1), report(2)]);
    await Promise.resolve(); // a message's own callback ends: nothing is published per message
    arrivals.add([report(3)]);
    arrivals.add([report(4)]);
    expect(seen).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([1, 2, 3, 4].map((householdId) => ({ householdId, run: 0 })));
  });

  it('when a reply is heard, then what arrived before it is published first, and not again later', async () => {
    const { feed, seen } = watch();
    const arrivals = coalesceChanges(feed);
    arrivals.add([report(1)]);
    arrivals.publish();
    expect(seen.map((s) => s.householdId)).toEqual([1]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((s) => s.householdId)).toEqual([1]);
  });
});
