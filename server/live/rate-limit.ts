/** The window client messages are counted in (docs/api.md: `maxMessagesPerWindow` per 10 s). */
export const WINDOW_MS = 10_000;

/** Messages counted since `start`, the first message of the current window. */
export type MessageWindow = { start: number; messages: number };

/**
 * Counts one message arriving at `now`; false once more than `max` have come in the current window.
 * A window starts at the first message after the previous one ended (fixed windows, not sliding:
 * a burst of 2 × max across a boundary is allowed, which is harmless for a resync).
 */
export function countMessage(window: MessageWindow, now: number, max: number): boolean {
  if (now - window.start >= WINDOW_MS) {
    window.start = now;
    window.messages = 0;
  }
  window.messages += 1;
  return window.messages <= max;
}
