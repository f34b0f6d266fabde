import { assertNever } from '../domain/ribbon.js';
import { createDingTalkChannel } from './dingtalk.js';
import { MAX_TIMEOUT_MS } from './http.js';
import { createPhoneChannel, mediumOf, parsePhoneChannelConfig, type PhoneChannelConfig } from './phone.js';
import { CHANNEL_KINDS, type Channel } from './types.js';
import { createWeComChannel } from './wecom.js';
import { createWebhookChannel } from './webhook.js';

/**
 * The notification channels: configuration in, a Channel out. Channel settings come from
 * outside (staff type them in, an API stores them), so `parseChannelConfig` checks them first
 * and answers with a reason instead of throwing; `createChannel` trusts what it is given.
 */

export type ChannelConfig =
  | { kind: 'webhook'; url: string; secret: string; timeoutMs?: number }
  | { kind: 'wecom'; url: string; timeoutMs?: number }
  | { kind: 'dingtalk'; url: string; secret: string; timeoutMs?: number }
  | PhoneChannelConfig;

export type ParsedChannelConfig = { ok: true; value: ChannelConfig } | { ok: false; reason: string };

export type ChannelDeps = {
  /** Epoch milliseconds (signatures, Retry-After); tests pass their own. */
  now?: () => number;
};

export function createChannel(config: ChannelConfig, deps: ChannelDeps = {}): Channel {
  if (mediumOf(config.kind) !== null) return createPhoneChannel(config as PhoneChannelConfig, deps);
  config = config as Exclude<ChannelConfig, PhoneChannelConfig>;
  const common = {
    url: config.url,
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  };
  switch (config.kind) {
    case 'webhook':
      return createWebhookChannel({ ...common, secret: config.secret });
    case 'wecom':
      return createWeComChannel(common);
    case 'dingtalk':
      return createDingTalkChannel({ ...common, secret: config.secret });
    default:
      return assertNever(config);
  }
}

const MAX_URL_LENGTH = 2048;
const MAX_SECRET_LENGTH = 1024;

const ALLOWED_KEYS = {
  webhook: ['kind', 'url', 'secret', 'timeoutMs'],
  wecom: ['kind', 'url', 'timeoutMs'],
  dingtalk: ['kind', 'url', 'secret', 'timeoutMs'],
} as const;

export function parseChannelConfig(input: unknown): ParsedChannelConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return fail('channel config must be an object');
  const record = input as Record<string, unknown>;
  const kind = record['kind'];
  if (typeof kind === 'string' && mediumOf(kind) !== null) return parsePhoneChannelConfig(record);
  if (kind !== 'webhook' && kind !== 'wecom' && kind !== 'dingtalk')
    return fail(`kind must be one of ${CHANNEL_KINDS.join(', ')}`);
  const allowed: readonly string[] = ALLOWED_KEYS[kind];
  // An unknown key is most often a typo ("secert"): better refused than silently unsigned.
  const unknown = Object.keys(record).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) return fail(`unknown field(s) for ${kind}: ${unknown.join(', ')}`);

  const url = parseUrl(record['url']);
  if (!url.ok) return url;
  let timeoutMs: number | undefined;
  if (record['timeoutMs'] !== undefined) {
    const t = record['timeoutMs'];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_TIMEOUT_MS)
      return fail(`timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
    timeoutMs = t;
  }
  const withTimeout = timeoutMs === undefined ? {} : { timeoutMs };

  switch (kind) {
    case 'webhook': {
      const secret = parseSecret(record['secret']);
      if (!secret.ok) return secret;
      return { ok: true, value: { kind, url: url.value.href, secret: secret.value, ...withTimeout } };
    }
    case 'wecom': {
      if ((url.value.searchParams.get('key') ?? '').trim() === '')
        return fail('WeCom url must be the full robot webhook URL, with ?key=…');
      return { ok: true, value: { kind, url: url.value.href, ...withTimeout } };
    }
    case 'dingtalk': {
      if ((url.value.searchParams.get('access_token') ?? '').trim() === '')
        return fail('DingTalk url must be the robot webhook URL, with ?access_token=…');
      if (url.value.searchParams.has('timestamp') || url.value.searchParams.has('sign')) {
        return fail('DingTalk url must not carry timestamp or sign: they are added, fresh, on every send');
      }
      const secret = parseSecret(record['secret']);
      if (!secret.ok) return secret;
      return { ok: true, value: { kind, url: url.value.href, secret: secret.value, ...withTimeout } };
    }
    default:
      return assertNever(kind);
  }
}

function parseUrl(value: unknown): { ok: true; value: URL } | { ok: false; reason: string } {
  if (typeof value !== 'string' || value.trim() === '') return fail('url must be a non-empty string');
  if (value.length > MAX_URL_LENGTH) return fail(`url must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return fail('url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('url must start with http:// or https://');
  if (url.username !== '' || url.password !== '') return fail('url must not contain a user name or password');
  return { ok: true, value: url };
}

function parseSecret(value: unknown): { ok: true; value: string } | { ok: false; reason: string } {
  if (typeof value !== 'string' || value.length === 0) return fail('secret must be a non-empty string');
  // The receiver signs with the exact string: spaces from a paste would make every signature fail.
  if (value.trim() !== value) return fail('secret must not start or end with spaces');
  if (value.length > MAX_SECRET_LENGTH) return fail(`secret must be at most ${MAX_SECRET_LENGTH} characters`);
  return { ok: true, value };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

export { MAX_ATTEMPTS, retryDelayMs, shouldRetry, type BackoffOptions } from './backoff.js';
export { formatMessage, type DailyReportFigures, type FormatOptions, type MessageInput } from './format.js';
export type { Channel, ChannelKind, NotificationMessage, SendResult } from './types.js';
export { createDingTalkChannel, signDingTalk } from './dingtalk.js';
export { createWeComChannel } from './wecom.js';
export { createWebhookChannel, signWebhook, verifyWebhookSignature } from './webhook.js';
