import type { RibbonState } from './ribbon.js';

/**
 * MQTT QoS 1 is "at least once": a press may arrive twice. Deduplication must never silence a
 * device whose counter restarted (docs/design.md §4):
 * - with `boot`, the key is (device, boot, seq): the same key is the same press;
 * - without `boot`, a repeated seq is a duplicate only if it carries the same state and the
 *   first arrived within REDELIVERY_WINDOW_MS (the window in which MQTT redelivers);
 * - without `seq` (the bare-word form) nothing can be told apart: every message is a press.
 */
export const REDELIVERY_WINDOW_MS = 10 * 60 * 1000;

export type DedupeKey = { seq: number | null; boot: number | null; state: RibbonState };

/** The stored press with the same device, boot and seq, most recent first; null if none. */
export type EarlierPress = { state: RibbonState; receivedAt: number } | null;

export function isDuplicatePress(incoming: DedupeKey, earlier: EarlierPress, now: number): boolean {
  if (incoming.seq === null || earlier === null) return false;
  if (incoming.boot !== null) return true;
  return earlier.state === incoming.state && now - earlier.receivedAt <= REDELIVERY_WINDOW_MS;
}
