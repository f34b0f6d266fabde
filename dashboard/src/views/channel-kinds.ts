import type { AdminKey } from '../i18n-admin.js';

/**
 * The settings of each channel kind as POST /api/channels takes them (docs/api.md "Channels",
 * server/notify/index.ts and phone.ts; accounts and templates: docs/notifications.md). A secret
 * is a password input and is never read back: the list shows "已设置". `templates.x` is a field
 * of the nested `templates` object. Pure: the form (views/channels.ts) is built from this.
 */
export { CHANNEL_KINDS, type ChannelKind } from '../../../protocol/community.js';
import type { ChannelKind } from '../../../protocol/community.js';

export type ChannelField = {
  key: string;
  secret?: boolean;
  optional?: boolean;
  type?: 'url' | 'number' | 'text';
};

const TEMPLATES: readonly ChannelField[] = [
  { key: 'templates.emergency' },
  { key: 'templates.service' },
  { key: 'templates.missed_checkin' },
];
const TAIL: readonly ChannelField[] = [
  { key: 'endpoint', optional: true, type: 'url' },
  { key: 'timeoutMs', optional: true, type: 'number' },
];

export const CHANNEL_FIELDS: Readonly<Record<ChannelKind, readonly ChannelField[]>> = {
  webhook: [{ key: 'url', type: 'url' }, { key: 'secret', secret: true }, TAIL[1] as ChannelField],
  wecom: [{ key: 'url', type: 'url' }, TAIL[1] as ChannelField],
  dingtalk: [{ key: 'url', type: 'url' }, { key: 'secret', secret: true }, TAIL[1] as ChannelField],
  'aliyun-sms': [
    { key: 'accessKeyId' },
    { key: 'accessKeySecret', secret: true },
    { key: 'signName' },
    ...TEMPLATES,
    ...TAIL,
  ],
  'aliyun-voice': [
    { key: 'accessKeyId' },
    { key: 'accessKeySecret', secret: true },
    { key: 'ttsCode' },
    { key: 'calledShowNumber', optional: true },
    { key: 'playTimes', optional: true, type: 'number' },
    ...TAIL,
  ],
  'tencent-sms': [
    { key: 'secretId' },
    { key: 'secretKey', secret: true },
    { key: 'smsSdkAppId' },
    { key: 'signName' },
    ...TEMPLATES,
    { key: 'region', optional: true },
    ...TAIL,
  ],
  'tencent-voice': [
    { key: 'secretId' },
    { key: 'secretKey', secret: true },
    { key: 'voiceSdkAppId' },
    { key: 'templateId' },
    { key: 'playTimes', optional: true, type: 'number' },
    { key: 'region', optional: true },
    ...TAIL,
  ],
};

export const fieldWord = (key: string): AdminKey => `ch.f.${key}` as AdminKey;

/**
 * The body of POST /api/channels from the form's values: empty optional fields left out,
 * numbers as numbers (a non-number sent as typed, for the server to refuse by name), and
 * `templates.x` gathered into `templates`.
 */
export function channelBody(
  kind: ChannelKind,
  name: string,
  compound: number | null,
  values: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const body: Record<string, unknown> = { kind, compound };
  if (name.trim() !== '') body.name = name.trim();
  for (const f of CHANNEL_FIELDS[kind]) {
    // Secrets are sent exactly as typed: the server refuses spaces around them by name.
    const raw = f.secret ? (values[f.key] ?? '') : (values[f.key] ?? '').trim();
    if (raw === '' && f.optional) continue;
    const value = f.type === 'number' && /^\d+$/.test(raw) ? Number(raw) : raw;
    const [head, sub] = f.key.split('.');
    if (head === undefined) continue;
    if (sub !== undefined) {
      const nested = (body[head] ?? {}) as Record<string, unknown>;
      nested[sub] = value;
      body[head] = nested;
    } else body[head] = value;
  }
  return body;
}

/** A channel's settings as listed (secrets answered "set" by the server), in one line. */
export function settingsText(config: Readonly<Record<string, unknown>>, setWord: string): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (value === 'set') parts.push(`${key}: ${setWord}`);
    else if (typeof value === 'object' && value !== null)
      parts.push(
        `${key}: ${Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', ')}`,
      );
    else parts.push(`${key}: ${String(value)}`);
  }
  return parts.join(' · ');
}
