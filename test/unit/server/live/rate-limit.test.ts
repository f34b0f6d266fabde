import { describe, expect, it } from 'vitest';
import { countMessage, WINDOW_MS } from '../../../../server/live/rate-limit.js';

const T0 = 1_764_028_800_000; // a fake `now`; only differences matter

describe('countMessage: client messages per window', () => {
  it.each<[string, number, number[], boolean[]]>([
    // [case, max, arrival times after T0, allowed?]
    ['up to max at once', 3, [0, 0, 0], [true, true, true]],
    ['one over max at once', 3, [0, 0, 0, 0], [true, true, true, false]],
    ['over max, still in the window', 2, [0, 1, WINDOW_MS - 1], [true, true, false]],
    ['a new window when the first has passed', 2, [0, 1, WINDOW_MS, WINDOW_MS + 1], [true, true, true, true]],
    ['the new window counts afresh', 1, [0, WINDOW_MS, WINDOW_MS + 5], [true, true, false]],
    ['refused messages count too', 1, [0, 1, 2, WINDOW_MS - 1], [true, false, false, false]],
    // The window opens at a connection's start (T0), not at its first message.
    ['a quiet start', 1, [WINDOW_MS - 1, WINDOW_MS], [true, true]],
  ])('when %s (max %i at %j), then %j', (_, max, times, expected) => {
    const window = { start: T0, messages: 0 };
    expect(times.map((t) => countMessage(window, T0 + t, max))).toEqual(expected);
  });
});
