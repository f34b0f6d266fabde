import type { Logger } from 'pino';
import type { Stores } from '../app/ports.js';
import { type Channel, type ChannelDeps, createChannel, parseChannelConfig } from './index.js';

/**
 * The outbox's channel lookup: a stored channel parsed and built once per process. A stored
 * config that no longer parses is logged once and yields null (its rows fail as "nowhere to send").
 */
export function createChannelLookup(deps: { stores: Stores; log: Logger; channelDeps?: ChannelDeps }) {
  const channels = new Map<number, Channel | null>();
  return function channelFor(id: number): Channel | null {
    if (!channels.has(id)) {
      const stored = deps.stores.channels.get(id);
      const parsed = stored === null ? null : parseChannelConfig({ ...(stored.config as object), kind: stored.kind });
      if (parsed !== null && !parsed.ok) {
        deps.log.error({ channelId: id, reason: parsed.reason }, 'stored notification channel is invalid');
      }
      channels.set(id, parsed?.ok ? createChannel(parsed.value, deps.channelDeps ?? {}) : null);
    }
    return channels.get(id) ?? null;
  };
}
