import type { Tier } from '../domain/alert.js';
import { isPlainObject } from '../domain/guards.js';
import { mainlandMobile } from '../domain/phone.js';
import { checkHttpUrl, MAX_TIMEOUT_MS } from './http.js';
import { createAliyunSms, createAliyunVoice } from './providers/aliyun.js';
import { maskPhone } from './providers/phone.js';
import { createTencentSms, createTencentVoice, TENCENT_DEFAULT_REGION } from './providers/tencent.js';
import type { Channel, NotificationMessage, SendResult } from './types.js';

/**
 * A person's own phone (issue 13): SMS and voice calls through Alibaba Cloud and Tencent Cloud,
 * as channels like the group robots. An outbox row for a phone is addressed to ONE recipient
 * (`message.recipients[0]`) and carries a `phone` notice: SMS or call, the tier it is for, the
 * one-tap link, and the other channels of the same medium to fail over to. The provider's
 * pre-approved template is picked by the alert's kind and filled here, at send time (so "how
 * long ago" is true when the SMS leaves, not when it was queued). Variables are cut to
 * PARAM_MAX characters: providers refuse longer ones. docs/notifications.md has the templates.
 */

export const SMS_KINDS = ['aliyun-sms', 'tencent-sms'] as const;
export const VOICE_KINDS = ['aliyun-voice', 'tencent-voice'] as const;
export const PHONE_KINDS = [...SMS_KINDS, ...VOICE_KINDS] as const;
export type PhoneKind = (typeof PHONE_KINDS)[number];
export type PhoneMedium = 'sms' | 'call';

export function mediumOf(kind: string): PhoneMedium | null {
  if ((SMS_KINDS as readonly string[]).includes(kind)) return 'sms';
  if ((VOICE_KINDS as readonly string[]).includes(kind)) return 'call';
  return null;
}

/** What a phone row carries beside the message (outbox payload `phone`). */
export type PhoneNotice = {
  medium: PhoneMedium;
  /** The tier this person was told at (a tier whose phones all failed is skipped at once). */
  tier: Tier;
  /** PUBLIC_URL/a/<token> for this person and alert (SMS only); null when none could be made. */
  link: string | null;
  /**
   * The short 处理码 that opens the same page from PUBLIC_URL/a (Tencent forbids variables in
   * links: its template holds the fixed address and this code); null when none was made.
   */
  code?: string | null;
  /** The press's local time "HH:mm", in the household's zone. */
  time?: string;
  /** Channels of the same medium still to try if this one fails for good, in order. */
  fallbacks: number[];
};

/** The alert kinds an SMS is sent for; a call is only for an emergency. */
export const SMS_TEMPLATE_KINDS = ['emergency', 'service', 'missed_checkin'] as const;
type Templates = Record<(typeof SMS_TEMPLATE_KINDS)[number], string>;

export type PhoneChannelConfig =
  | {
      kind: 'aliyun-sms';
      accessKeyId: string;
      accessKeySecret: string;
      signName: string;
      templates: Templates;
      endpoint?: string;
      timeoutMs?: number;
    }
  | {
      kind: 'aliyun-voice';
      accessKeyId: string;
      accessKeySecret: string;
      ttsCode: string;
      calledShowNumber?: string;
      playTimes?: number;
      endpoint?: string;
      timeoutMs?: number;
    }
  | {
      kind: 'tencent-sms';
      secretId: string;
      secretKey: string;
      smsSdkAppId: string;
      signName: string;
      templates: Templates;
      region?: string;
      endpoint?: string;
      timeoutMs?: number;
    }
  | {
      kind: 'tencent-voice';
      secretId: string;
      secretKey: string;
      voiceSdkAppId: string;
      templateId: string;
      playTimes?: number;
      region?: string;
      endpoint?: string;
      timeoutMs?: number;
    };

/** Fields never shown again once stored (the API answers them as "set"). */
export const SECRET_FIELDS = ['secret', 'accessKeySecret', 'secretKey'] as const;

const FIELDS: Record<PhoneKind, { required: readonly string[]; optional: readonly string[] }> = {
  'aliyun-sms': {
    required: ['accessKeyId', 'accessKeySecret', 'signName', 'templates'],
    optional: ['endpoint', 'timeoutMs'],
  },
  'aliyun-voice': {
    required: ['accessKeyId', 'accessKeySecret', 'ttsCode'],
    optional: ['calledShowNumber', 'playTimes', 'endpoint', 'timeoutMs'],
  },
  'tencent-sms': {
    required: ['secretId', 'secretKey', 'smsSdkAppId', 'signName', 'templates'],
    optional: ['region', 'endpoint', 'timeoutMs'],
  },
  'tencent-voice': {
    required: ['secretId', 'secretKey', 'voiceSdkAppId', 'templateId'],
    optional: ['playTimes', 'region', 'endpoint', 'timeoutMs'],
  },
};

const MAX_FIELD = 1024;

/** Checks a phone channel's settings from outside; a reason instead of a throw. */
export function parsePhoneChannelConfig(
  record: Record<string, unknown>,
): { ok: true; value: PhoneChannelConfig } | { ok: false; reason: string } {
  const kind = record['kind'] as PhoneKind;
  const spec = FIELDS[kind];
  const allowed = ['kind', ...spec.required, ...spec.optional];
  const unknown = Object.keys(record).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) return fail(`unknown field(s) for ${kind}: ${unknown.join(', ')}`);
  const out: Record<string, unknown> = { kind };
  for (const key of [...spec.required, ...spec.optional]) {
    const value = record[key];
    if (value === undefined) {
      if (spec.required.includes(key)) return fail(`${key} is required for ${kind}`);
      continue;
    }
    switch (key) {
      case 'templates': {
        if (!isPlainObject(value)) return fail('templates must be an object { emergency, service, missed_checkin }');
        const extra = Object.keys(value).filter((k) => !(SMS_TEMPLATE_KINDS as readonly string[]).includes(k));
        if (extra.length > 0) return fail(`unknown template(s): ${extra.join(', ')}`);
        const templates: Record<string, string> = {};
        for (const k of SMS_TEMPLATE_KINDS) {
          const code = value[k];
          if (typeof code !== 'string' || code.trim() === '' || code.length > 64)
            return fail(`templates.${k} must be the approved template's code`);
          templates[k] = code.trim();
        }
        out[key] = templates;
        break;
      }
      case 'endpoint': {
        if (typeof value !== 'string') return fail('endpoint must be a URL');
        try {
          const url = checkHttpUrl(value, 'endpoint');
          if (url.pathname !== '/' || url.search !== '' || url.hash !== '')
            return fail('endpoint must be a scheme and host (and port) only, e.g. https://dysmsapi.aliyuncs.com');
          out[key] = url.origin;
        } catch (err) {
          return fail(err instanceof Error ? err.message : String(err));
        }
        break;
      }
      case 'timeoutMs':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS)
          return fail(`timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
        out[key] = value;
        break;
      case 'playTimes':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 3)
          return fail('playTimes must be 1, 2 or 3');
        out[key] = value;
        break;
      case 'smsSdkAppId':
      case 'voiceSdkAppId':
        if (typeof value !== 'string' || !/^\d{1,20}$/.test(value))
          return fail(`${key} must be the application's digits`);
        out[key] = value;
        break;
      case 'region':
        if (typeof value !== 'string' || !/^[a-z]+(-[a-z]+)+$/.test(value))
          return fail('region must be like ap-guangzhou');
        out[key] = value;
        break;
      default: {
        if (typeof value !== 'string' || value.trim() === '') return fail(`${key} must be a non-empty string`);
        // Keys and secrets are signed with exactly: spaces from a paste would fail every request.
        if (value.trim() !== value) return fail(`${key} must not start or end with spaces`);
        if (value.length > MAX_FIELD) return fail(`${key} must be at most ${MAX_FIELD} characters`);
        out[key] = value;
      }
    }
  }
  return { ok: true, value: out as PhoneChannelConfig };
}

/** What happened, as the SMS and the call say it (docs/notifications.md's templates). */
export const PHONE_WHAT = {
  emergency: '紧急求助',
  service: '需要服务',
  missed_checkin: '未报平安',
  device: '设备故障',
} as const;

/** Template variables are cut to this many characters (Alibaba Cloud's limit for a plain variable). */
export const PARAM_MAX = 35;

function cut(text: string, max = PARAM_MAX): string {
  return [...text].slice(0, max).join('');
}

/**
 * The template's variables for this message (docs/notifications.md has the templates): the
 * elder's name, the address, the press's local time, and the 处理码: 8 characters standing for
 * the person's signed one-tap link (server/app/ack-link.ts) — the short link PUBLIC_URL/a/<code>
 * in an Alibaba Cloud SMS, typed at PUBLIC_URL/a from a Tencent Cloud one.
 */
export function phoneParams(message: NotificationMessage) {
  const h = message.household;
  return {
    name: cut(h?.name ?? ''),
    address: cut(h ? `${h.compound}${h.building}${h.room}` : ''),
    time: cut(message.phone?.time ?? ''),
    code: message.phone?.code ?? '',
  };
}

type Deps = { now?: () => number };

/** A phone channel: one SMS or one call to the message's one recipient. */
export function createPhoneChannel(config: PhoneChannelConfig, deps: Deps = {}): Channel {
  const now = deps.now ?? Date.now;
  const common = {
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    now,
  };
  const medium = mediumOf(config.kind) as PhoneMedium;

  let send: (phone: string, message: NotificationMessage, signal?: AbortSignal) => Promise<SendResult & ProviderRef>;
  switch (config.kind) {
    case 'aliyun-sms': {
      const client = createAliyunSms({
        ...common,
        accessKeyId: config.accessKeyId,
        accessKeySecret: config.accessKeySecret,
      });
      send = async (phone, message, signal) => {
        const template = templateFor(config.templates, message);
        if (template === null) return noTemplate(message);
        const r = await client.sendSms(
          {
            phone,
            signName: config.signName,
            templateCode: template,
            // The template holds PUBLIC_URL/a/ as fixed text and ${token} the 处理码: a short link.
            params: (({ name, address, time, code }) => ({ name, address, time, token: code }))(phoneParams(message)),
            outId: message.id,
          },
          signal,
        );
        return withRef(r, r.ok ? r.providerId : undefined);
      };
      break;
    }
    case 'aliyun-voice': {
      const client = createAliyunVoice({
        ...common,
        accessKeyId: config.accessKeyId,
        accessKeySecret: config.accessKeySecret,
      });
      send = async (phone, message, signal) => {
        // Public-number mode allows two variables; the template itself says what happened.
        const { name, address } = phoneParams(message);
        const r = await client.call(
          {
            phone,
            ttsCode: config.ttsCode,
            params: { name, address },
            outId: message.id,
            ...(config.calledShowNumber === undefined ? {} : { calledShowNumber: config.calledShowNumber }),
            ...(config.playTimes === undefined ? {} : { playTimes: config.playTimes }),
          },
          signal,
        );
        return withRef(r, r.ok ? r.providerId : undefined);
      };
      break;
    }
    case 'tencent-sms': {
      const client = createTencentSms({
        ...common,
        secretId: config.secretId,
        secretKey: config.secretKey,
        smsSdkAppId: config.smsSdkAppId,
        region: config.region ?? TENCENT_DEFAULT_REGION,
      });
      send = async (phone, message, signal) => {
        const template = templateFor(config.templates, message);
        if (template === null) return noTemplate(message);
        const p = phoneParams(message);
        // Tencent forbids variables in links: the template holds PUBLIC_URL/a and {4} the 处理码.
        const r = await client.sendSms(
          {
            phone,
            signName: config.signName,
            templateId: template,
            params: [p.name, p.address, p.time, p.code],
            sessionContext: message.id,
          },
          signal,
        );
        return withRef(r, r.ok ? r.ref : undefined);
      };
      break;
    }
    case 'tencent-voice': {
      const client = createTencentVoice({
        ...common,
        secretId: config.secretId,
        secretKey: config.secretKey,
        voiceSdkAppId: config.voiceSdkAppId,
        region: config.region ?? TENCENT_DEFAULT_REGION,
      });
      send = async (phone, message, signal) => {
        // Tencent approves voice templates of plain text only, without variables.
        const r = await client.call(
          {
            phone,
            templateId: config.templateId,
            params: [],
            sessionContext: message.id,
            ...(config.playTimes === undefined ? {} : { playTimes: config.playTimes as 1 | 2 | 3 }),
          },
          signal,
        );
        return withRef(r, r.ok ? r.ref : undefined);
      };
      break;
    }
  }

  return {
    kind: config.kind,
    async send(message, signal) {
      const to = message.recipients[0];
      if (message.phone === undefined || message.phone.medium !== medium)
        return {
          ok: false,
          permanent: true,
          error: `a ${config.kind} channel sends only ${medium === 'sms' ? 'SMS' : 'calls'} to one person`,
        };
      const phone = to?.phone == null ? null : mainlandMobile(to.phone);
      if (to === undefined || phone === null)
        return { ok: false, permanent: true, error: `not a mainland mobile number: ${maskPhone(to?.phone ?? '')}` };
      return send(phone, message, signal);
    },
  };
}

type ProviderRef = { ref?: string };

function withRef(result: SendResult, ref: string | undefined): SendResult & ProviderRef {
  if (!result.ok) return result;
  return ref === undefined
    ? { ok: true, ...(result.status === undefined ? {} : { status: result.status }) }
    : { ...result, ref };
}

function templateFor(templates: Templates, message: NotificationMessage): string | null {
  const kind = message.alert?.kind;
  return kind === 'emergency' || kind === 'service' || kind === 'missed_checkin' ? templates[kind] : null;
}

function noTemplate(message: NotificationMessage): SendResult {
  return { ok: false, permanent: true, error: `no SMS template for ${message.alert?.kind ?? message.event}` };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
