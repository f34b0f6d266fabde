import { afterEach, describe, expect, it, vi } from 'vitest';
import { ackBeforeSync, UNSAFE_ACK_BEFORE_SYNC } from '../../../../server/ingest/test-build.js';

describe('the test-only unsafe build switch', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('when the code runs unbundled (npm start, tsx, vitest), then acknowledging before the sync is off', () => {
    expect(UNSAFE_ACK_BEFORE_SYNC).toBe(false);
  });

  it('when the unsafe build syncs, then batches are released at once and one sync follows after the delay, another after it for batches released meanwhile', () => {
    vi.useFakeTimers();
    const events: string[] = [];
    const running: Array<(err: Error | null) => void> = [];
    const sync = ackBeforeSync((done) => {
      events.push('sync started');
      running.push(done);
    }, 1000);
    sync(() => events.push('released 1'));
    sync(() => events.push('released 2'));
    expect(events).toEqual(['released 1', 'released 2']);
    vi.advanceTimersByTime(999);
    expect(running).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['released 1', 'released 2', 'sync started']);
    sync(() => events.push('released 3'));
    running.shift()?.(null);
    expect(running).toHaveLength(0);
    vi.advanceTimersByTime(1000);
    expect(events).toEqual(['released 1', 'released 2', 'sync started', 'released 3', 'sync started']);
  });
});
