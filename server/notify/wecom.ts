import { DEFAULT_TIMEOUT_MS, checkHttpUrl, checkTimeoutMs, postJson } from './http.js';
import { mentionPhones, robotResult, type ErrcodeClass } from './robot.js';
import type { Channel, NotificationMessage, SendResult } from './types.js';
import { truncateUtf8 } from './utf8.js';

/**
 * WeCom (企业微信) group robot: `POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`.
 *
 * From the robot's documentation (developer.work.weixin.qq.com/document/path/91770, "群机器人
 * 配置说明", as mirrored in the pages cited in the report):
 * - `text`: `{"msgtype":"text","text":{"content","mentioned_list","mentioned_mobile_list"}}`,
 *   content at most 2048 bytes, UTF-8; `mentioned_mobile_list` @-mentions group members by
 *   mobile number.
 * - `markdown`: `{"msgtype":"markdown","markdown":{"content"}}`, at most 4096 bytes; it takes no
 *   mention lists, only `<@userid>` inside the content — by WeCom user id, which we do not
 *   have (we have phones).
 * - At most 20 messages a minute per robot; errcode 45009 when exceeded.
 *
 * So one request per message: when there is someone to @ (a tier's people with phones — every
 * alert in practice), `text` with `mentioned_mobile_list`, because a mention is what makes the
 * phone of the person who must go to the door ring; with no one to mention (daily report),
 * `markdown` with the title in bold. Two requests (markdown, then a text with the mentions)
 * would spend the 20-a-minute budget twice as fast and could half-succeed.
 */

export const WECOM_TEXT_MAX_BYTES = 2048;
export const WECOM_MARKDOWN_MAX_BYTES = 4096;
/** "每个机器人发送的消息不能超过20条/分钟": after 45009, the window is a minute. */
const WECOM_RATE_WINDOW_MS = 60_000;

export type WeComChannelOptions = {
  /** The full robot webhook URL, key included. */
  url: string;
  timeoutMs?: number;
  now?: () => number;
};

export type WeComPayload =
  | { msgtype: 'text'; text: { content: string; mentioned_mobile_list: string[] } }
  | { msgtype: 'markdown'; markdown: { content: string } };

export function createWeComChannel(options: WeComChannelOptions): Channel {
  const { url, timeoutMs = DEFAULT_TIMEOUT_MS, now = Date.now } = options;
  checkHttpUrl(url, 'WeCom robot url');
  checkTimeoutMs(timeoutMs);
  return {
    kind: 'wecom',
    async send(message: NotificationMessage, signal?: AbortSignal): Promise<SendResult> {
      const body = JSON.stringify(buildWeComPayload(message));
      const outcome = await postJson({ url, body, timeoutMs, signal, headers: {} });
      return robotResult(outcome, classifyWeComErrcode, now());
    },
  };
}

export function buildWeComPayload(message: Pick<NotificationMessage, 'title' | 'text' | 'recipients'>): WeComPayload {
  const phones = mentionPhones(message.recipients);
  if (phones.length > 0) {
    return {
      msgtype: 'text',
      text: {
        content: truncateUtf8(`${message.title}\n${message.text}`, WECOM_TEXT_MAX_BYTES),
        mentioned_mobile_list: phones,
      },
    };
  }
  const content = `**${markdownSafe(message.title)}**\n${markdownSafe(message.text)}`;
  return { msgtype: 'markdown', markdown: { content: truncateUtf8(content, WECOM_MARKDOWN_MAX_BYTES) } };
}

/**
 * WeCom's markdown reads `<font …>` and `<@userid>` tags: a name typed by staff must not become
 * one (a stray `<@all>` would ping the whole group). A full-width ＜ looks the same on a phone.
 */
function markdownSafe(text: string): string {
  return text.replace(/</g, '＜');
}

/**
 * Non-zero errcodes (WeCom's global error codes; a 200 answer carries them). Codes not listed
 * are taken as transient: for an emergency a few more tries cost less than giving up on a
 * code we have not seen, and MAX_ATTEMPTS still bounds them.
 */
export function classifyWeComErrcode(errcode: number): ErrcodeClass {
  switch (errcode) {
    case -1:
      return { permanent: false, meaning: 'system busy' };
    case 45009:
      return {
        permanent: false,
        retryAfterMs: WECOM_RATE_WINDOW_MS,
        meaning: 'rate limit: 20 messages a minute per robot',
      };
    case 45033:
      return { permanent: false, meaning: 'too many concurrent calls' };
    case 93000:
      return { permanent: true, meaning: 'invalid webhook URL or key' };
    case 40008:
      return { permanent: true, meaning: 'invalid msgtype' };
    case 40058:
    case 40035:
      return { permanent: true, meaning: 'invalid parameter (content too long, malformed JSON)' };
    case 44004:
      return { permanent: true, meaning: 'empty content' };
    default:
      return { permanent: false, meaning: 'unknown code, retried' };
  }
}
