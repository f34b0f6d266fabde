import { createHmac } from 'node:crypto';
import { DEFAULT_TIMEOUT_MS, checkHttpUrl, checkTimeoutMs, postJson } from './http.js';
import { mentionPhones, robotResult, type ErrcodeClass } from './robot.js';
import type { Channel, NotificationMessage, SendResult } from './types.js';
import { truncateUtf8 } from './utf8.js';

/**
 * DingTalk (钉钉) custom group robot with the 加签 (signature) security setting:
 * `POST https://oapi.dingtalk.com/robot/send?access_token=…&timestamp=<ms>&sign=<sign>`.
 *
 * From DingTalk's custom-robot documentation (open.dingtalk.com/document/orgapp/custom-robot-access
 * and robot-message-type, as quoted in the pages cited in the report):
 * - sign = urlEncode(base64(HmacSHA256(key = secret, data = `${timestamp}\n${secret}`))), the
 *   secret being the `SEC…` string of the robot's security page; timestamp in milliseconds,
 *   within one hour of DingTalk's clock, so a fresh one for every attempt.
 * - markdown: `{"msgtype":"markdown","markdown":{"title","text"},"at":{"atMobiles":[…],
 *   "isAtAll":false}}`; `title` is what the conversation list and the notification show. An @
 *   only works when the number is in `atMobiles` *and* written as `@<phone>` in the text.
 * - 20 messages a minute per robot; beyond that DingTalk throttles the robot for 10 minutes
 *   (errcode 130101 "send too fast, exceed 20 times per minute").
 * - errcode 310000 covers the security checks: "sign not match", "invalid timestamp",
 *   "keywords not in content", "ip … not in whitelist" — all configuration, so final.
 */

/** Our own cap on the markdown text (a message here is a few hundred bytes). */
export const DINGTALK_MARKDOWN_MAX_BYTES = 4096;
const DINGTALK_TITLE_MAX_BYTES = 128;
const DINGTALK_THROTTLE_MS = 10 * 60_000;

export type DingTalkChannelOptions = {
  /** The robot webhook URL, access_token included, without timestamp or sign. */
  url: string;
  /** The robot's 加签 secret (SEC…). */
  secret: string;
  timeoutMs?: number;
  now?: () => number;
};

export type DingTalkPayload = {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
  at: { atMobiles: string[]; isAtAll: false };
};

export function createDingTalkChannel(options: DingTalkChannelOptions): Channel {
  const { url, secret, timeoutMs = DEFAULT_TIMEOUT_MS, now = Date.now } = options;
  checkHttpUrl(url, 'DingTalk robot url');
  checkTimeoutMs(timeoutMs);
  if (secret.length === 0) throw new TypeError('DingTalk secret must not be empty');
  return {
    kind: 'dingtalk',
    async send(message: NotificationMessage, signal?: AbortSignal): Promise<SendResult> {
      const body = JSON.stringify(buildDingTalkPayload(message));
      const outcome = await postJson({
        url: signedDingTalkUrl(url, secret, now()),
        body,
        timeoutMs,
        signal,
        headers: {},
      });
      return robotResult(outcome, classifyDingTalkErrcode, now());
    },
  };
}

/** base64(HmacSHA256(secret, `${timestampMs}\n${secret}`)), not yet URL-encoded. */
export function signDingTalk(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

export function signedDingTalkUrl(url: string, secret: string, timestampMs: number): string {
  const ts = Math.floor(timestampMs);
  const separator = url.includes('?') ? '&' : '?';
  // encodeURIComponent encodes base64's + / = as DingTalk's urlEncode does.
  return `${url}${separator}timestamp=${ts}&sign=${encodeURIComponent(signDingTalk(secret, ts))}`;
}

export function buildDingTalkPayload(
  message: Pick<NotificationMessage, 'title' | 'text' | 'recipients'>,
): DingTalkPayload {
  const phones = mentionPhones(message.recipients);
  // The mention line goes last and is never cut: without `@phone` in the text, atMobiles
  // alone does not ping anyone.
  const mentions = phones.length === 0 ? '' : `\n\n${phones.map((p) => `@${p}`).join(' ')}`;
  const lines = message.text.split('\n').map(markdownSafe).join('\n\n');
  const head = `#### ${markdownSafe(message.title)}\n\n${lines}`;
  const room = Math.max(0, DINGTALK_MARKDOWN_MAX_BYTES - Buffer.byteLength(mentions, 'utf8'));
  return {
    msgtype: 'markdown',
    markdown: {
      title: truncateUtf8(message.title, DINGTALK_TITLE_MAX_BYTES),
      text: truncateUtf8(head, room) + mentions,
    },
    at: { atMobiles: phones, isAtAll: false },
  };
}

/**
 * DingTalk markdown would turn a leading `#`, `>`, `-` or `1.` of a line into a heading, quote
 * or list; our lines are plain text, so such a start is escaped.
 */
function markdownSafe(line: string): string {
  return line.replace(/^(\s*)([#>*+-]|\d+\.)/, '$1\\$2');
}

/** Codes not listed are taken as transient (see classifyWeComErrcode for why). */
export function classifyDingTalkErrcode(errcode: number): ErrcodeClass {
  switch (errcode) {
    case -1:
      return { permanent: false, meaning: 'system busy' };
    case 130101:
    case 410100:
      return {
        permanent: false,
        retryAfterMs: DINGTALK_THROTTLE_MS,
        meaning: 'sending too fast: throttled for 10 minutes',
      };
    case 310000:
      return { permanent: true, meaning: 'security check failed: signature, timestamp, keyword or IP whitelist' };
    case 300001:
    case 400101:
      return { permanent: true, meaning: 'access_token does not exist' };
    case 400102:
      return { permanent: true, meaning: 'robot is disabled' };
    case 400105:
      return { permanent: true, meaning: 'unsupported msgtype' };
    case 400106:
      return { permanent: true, meaning: 'robot does not exist' };
    case 430101:
    case 430102:
    case 430103:
    case 430104:
      return { permanent: true, meaning: 'content refused by DingTalk' };
    default:
      return { permanent: false, meaning: 'unknown code, retried' };
  }
}
