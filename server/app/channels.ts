import { createHash, randomBytes } from 'node:crypto';
import { parseChannelConfig } from '../notify/index.js';
import { mediumOf, SECRET_FIELDS } from '../notify/phone.js';
import type { ChannelKind, Stores, StoredChannel } from './ports.js';

/**
 * Adding and showing notification channels, one use case for the API (POST /api/channels) and
 * the admin CLI (add-channel, list-channels). Secrets are write-only: once stored, a channel is
 * shown with each secret field as "set", and a group robot's token inside its URL likewise.
 */

export type ChannelMedium = 'sms' | 'call' | 'group';

export type PublicChannel = {
  id: number;
  kind: ChannelKind;
  name: string;
  compoundId: number | null;
  medium: ChannelMedium;
  config: Record<string, unknown>;
};

/** Where a voice channel's provider posts its call results (api/routes/hooks.ts). */
export function callbackPath(channelId: number, key: string): string {
  return `/hooks/voice/${channelId}/${key}`;
}

export function hashHookKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function publicChannel(c: StoredChannel): PublicChannel {
  const config: Record<string, unknown> = {};
  const stored = typeof c.config === 'object' && c.config !== null ? (c.config as Record<string, unknown>) : {};
  for (const [field, value] of Object.entries(stored)) {
    if ((SECRET_FIELDS as readonly string[]).includes(field)) config[field] = 'set';
    else if (field === 'url' && typeof value === 'string') config[field] = hideUrlTokens(value);
    else config[field] = value;
  }
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    compoundId: c.compoundId,
    medium: mediumOf(c.kind) ?? 'group',
    config,
  };
}

function hideUrlTokens(href: string): string {
  try {
    const url = new URL(href);
    // Every value of the query: a WeCom robot's key, a DingTalk robot's access_token, a generic
    // webhook's ?token=… — whoever has one can post (issue 15: a webhook's token was answered).
    for (const name of new Set(url.searchParams.keys())) url.searchParams.set(name, 'set');
    return url.href;
  } catch {
    return 'set';
  }
}

export type AddChannelInput = { name?: string | undefined; compoundId: number | null; config: unknown };

/**
 * Checks and stores a channel. A voice channel gets a fresh callback key, stored as its hash and
 * returned here only: the caller shows it once, as the full callback URL.
 */
export function addChannel(
  stores: Pick<Stores, 'channels' | 'transaction'>,
  input: AddChannelInput,
  now: number,
): { ok: true; channel: PublicChannel; callbackKey: string | null } | { ok: false; reason: string } {
  const parsed = parseChannelConfig(input.config);
  if (!parsed.ok) return parsed;
  const { kind, ...config } = parsed.value;
  const name = input.name?.trim() || kind;
  const callbackKey = mediumOf(kind) === 'call' ? randomBytes(24).toString('base64url') : null;
  const id = stores.transaction(() => {
    const added = stores.channels.add(kind, name, config, input.compoundId, now);
    if (callbackKey !== null) stores.channels.setHookKey(added, hashHookKey(callbackKey), now);
    return added;
  });
  return {
    ok: true,
    channel: publicChannel({ id, kind, name, config, compoundId: input.compoundId }),
    callbackKey,
  };
}
