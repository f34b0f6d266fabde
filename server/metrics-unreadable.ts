import type { Registry } from './metrics.js';

/**
 * The metrics of the per-device limits on unreadable messages (issue 16): kept apart from
 * createIngestMetrics so that each can change without the other. Series resolved once: the
 * counted one is bumped for every message of a device in a loop.
 */
export function createUnreadableMetrics(registry: Registry) {
  const messages = registry.counter(
    'ribbon_unreadable_messages_total',
    'Unreadable messages from known devices: kept raw in the rejected log, or only counted (past the per-device limit).',
  );
  const dropped = registry.counter(
    'ribbon_rejected_dropped_total',
    'Rows of the rejected log dropped, oldest first, to keep it within REJECTED_MAX_ROWS.',
  );
  return {
    kept: messages.child({ outcome: 'kept' }),
    counted: messages.child({ outcome: 'counted' }),
    dropped: dropped.child({}),
  };
}

export type UnreadableMetrics = ReturnType<typeof createUnreadableMetrics>;
