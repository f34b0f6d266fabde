import { describe, expect, it } from 'vitest';
import {
  buildDingTalkPayload,
  classifyDingTalkErrcode,
  DINGTALK_MARKDOWN_MAX_BYTES,
  signDingTalk,
  signedDingTalkUrl,
} from '../../../../server/notify/dingtalk.js';
import { classifyStatus, parseRetryAfter } from '../../../../server/notify/http.js';
import { mentionPhones } from '../../../../server/notify/robot.js';
import { truncateUtf8, utf8Length } from '../../../../server/notify/utf8.js';
import { signWebhook, verifyWebhookSignature } from '../../../../server/notify/webhook.js';
import { buildWeComPayload, classifyWeComErrcode, WECOM_MARKDOWN_MAX_BYTES } from '../../../../server/notify/wecom.js';

// Known answers computed outside Node (Python's hmac/base64/urllib), so these pin the recipes
// themselves, not just agreement between our signer and our verifier.
const DING_SECRET = 'SEC0123456789abcdef';
const DING_TS = 1_700_000_000_000;
const DING_SIGN = 'TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=';
const DING_SIGN_URLENCODED = 'TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D';
const WEBHOOK_SIG = 'sha256=8ad37ba156048ae0e0a5533c75cdf26fee88b07f93cb57ee4c80adb053012032'; // key "whsec", data '1700000000.{"a":1}'

const people = [
  { name: '李明', phone: '13800000001', role: 'volunteer' },
  { name: '王芳', phone: ' 13800000002 ', role: 'party_household' },
  { name: '赵强', phone: null, role: 'volunteer' },
  { name: '钱七', phone: '', role: 'volunteer' },
  { name: '李明', phone: '13800000001', role: 'grid_worker' },
];

describe('webhook signature', () => {
  it('when signed, then it matches the known answer', () => {
    expect(signWebhook('whsec', '1700000000', '{"a":1}')).toBe(WEBHOOK_SIG);
  });

  it.each([
    ['the right signature in time', 'whsec', '1700000000', '{"a":1}', WEBHOOK_SIG, 1_700_000_000_000, true],
    [
      'upper-case hex',
      'whsec',
      '1700000000',
      '{"a":1}',
      WEBHOOK_SIG.toUpperCase().replace('SHA256=', 'sha256='),
      1_700_000_000_000,
      true,
    ],
    ['bytes instead of a string', 'whsec', '1700000000', Buffer.from('{"a":1}'), WEBHOOK_SIG, 1_700_000_000_000, true],
    ['a tampered body', 'whsec', '1700000000', '{"a":2}', WEBHOOK_SIG, 1_700_000_000_000, false],
    ['another secret', 'other', '1700000000', '{"a":1}', WEBHOOK_SIG, 1_700_000_000_000, false],
    ['a moved timestamp', 'whsec', '1700000001', '{"a":1}', WEBHOOK_SIG, 1_700_000_000_000, false],
    ['a replay 5 min 1 s later', 'whsec', '1700000000', '{"a":1}', WEBHOOK_SIG, 1_700_000_301_000, false],
    ['a timestamp from the future', 'whsec', '1700000000', '{"a":1}', WEBHOOK_SIG, 1_699_999_690_000, false],
    ['no prefix', 'whsec', '1700000000', '{"a":1}', WEBHOOK_SIG.slice('sha256='.length), 1_700_000_000_000, false],
    ['a short signature', 'whsec', '1700000000', '{"a":1}', 'sha256=abcd', 1_700_000_000_000, false],
    ['a timestamp that is not a number', 'whsec', '17e8', '{"a":1}', WEBHOOK_SIG, 1_700_000_000_000, false],
    ['an empty secret', '', '1700000000', '{"a":1}', WEBHOOK_SIG, 1_700_000_000_000, false],
  ] as const)('when verifying %s, then %s', (_what, secret, timestamp, body, header, now, expected) => {
    expect(verifyWebhookSignature(secret, timestamp, body, header, now)).toBe(expected);
  });
});

describe('DingTalk signing', () => {
  it('when signed, then it matches the known answer, URL-encoded in the query', () => {
    expect(signDingTalk(DING_SECRET, DING_TS)).toBe(DING_SIGN);
    expect(signedDingTalkUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', DING_SECRET, DING_TS)).toBe(
      `https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=${DING_TS}&sign=${DING_SIGN_URLENCODED}`,
    );
    expect(signedDingTalkUrl('http://127.0.0.1:9/robot', DING_SECRET, DING_TS)).toBe(
      `http://127.0.0.1:9/robot?timestamp=${DING_TS}&sign=${DING_SIGN_URLENCODED}`,
    );
  });
});

describe('robot payloads', () => {
  it('when recipients repeat or lack phones, then each phone is mentioned once, trimmed', () => {
    expect(mentionPhones(people)).toEqual(['13800000001', '13800000002']);
  });

  it('when WeCom has phones to mention, then it is one text message with mentioned_mobile_list', () => {
    expect(buildWeComPayload({ title: 'T', text: 'line', recipients: people })).toEqual({
      msgtype: 'text',
      text: { content: 'T\nline', mentioned_mobile_list: ['13800000001', '13800000002'] },
    });
  });

  it('when WeCom has no one to mention, then it is markdown, title in bold, and names cannot become tags', () => {
    expect(
      buildWeComPayload({ title: '报告 <@all>', text: 'a <font color="warning">b</font>', recipients: [] }),
    ).toEqual({
      msgtype: 'markdown',
      markdown: { content: '**报告 ＜@all>**\na ＜font color="warning">b＜/font>' },
    });
  });

  it('when WeCom markdown is too long, then it is cut to 4096 bytes', () => {
    const payload = buildWeComPayload({ title: 'T', text: '紧'.repeat(3000), recipients: [] });
    if (payload.msgtype !== 'markdown') throw new Error('expected markdown');
    expect(utf8Length(payload.markdown.content)).toBeLessThanOrEqual(WECOM_MARKDOWN_MAX_BYTES);
  });

  it('when DingTalk mentions phones, then they are in atMobiles and written as @phone in the text, isAtAll false', () => {
    const payload = buildDingTalkPayload({
      title: '🔴【红色紧急 RED】x',
      text: '第一行 / one\n# not a heading',
      recipients: people,
    });
    expect(payload).toEqual({
      msgtype: 'markdown',
      markdown: {
        title: '🔴【红色紧急 RED】x',
        text: '#### 🔴【红色紧急 RED】x\n\n第一行 / one\n\n\\# not a heading\n\n@13800000001 @13800000002',
      },
      at: { atMobiles: ['13800000001', '13800000002'], isAtAll: false },
    });
  });

  it('when the DingTalk text is too long, then the body is cut but the mention line survives whole', () => {
    const payload = buildDingTalkPayload({ title: 'T', text: '紧'.repeat(3000), recipients: people });
    expect(utf8Length(payload.markdown.text)).toBeLessThanOrEqual(DINGTALK_MARKDOWN_MAX_BYTES);
    expect(payload.markdown.text.endsWith('…\n\n@13800000001 @13800000002')).toBe(true);
  });
});

describe('errcodes', () => {
  it.each([
    [45009, false, 60_000],
    [-1, false, undefined],
    [45033, false, undefined],
    [93000, true, undefined],
    [40008, true, undefined],
    [40058, true, undefined],
    [123456, false, undefined],
  ])('when WeCom answers %i, then permanent is %s (retry after %s)', (code, permanent, retryAfterMs) => {
    const c = classifyWeComErrcode(code);
    expect(c.permanent).toBe(permanent);
    expect(c.retryAfterMs).toBe(retryAfterMs);
  });

  it.each([
    [130101, false, 600_000],
    [410100, false, 600_000],
    [-1, false, undefined],
    [310000, true, undefined],
    [300001, true, undefined],
    [400101, true, undefined],
    [400102, true, undefined],
    [430102, true, undefined],
    [999, false, undefined],
  ])('when DingTalk answers %i, then permanent is %s (retry after %s)', (code, permanent, retryAfterMs) => {
    const c = classifyDingTalkErrcode(code);
    expect(c.permanent).toBe(permanent);
    expect(c.retryAfterMs).toBe(retryAfterMs);
  });
});

describe('HTTP status and Retry-After', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [299, 'ok'],
    [301, 'permanent'],
    [400, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [408, 'transient'],
    [425, 'transient'],
    [429, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
  ] as const)('when HTTP %i, then %s', (status, expected) => {
    expect(classifyStatus(status)).toBe(expected);
  });

  it.each([
    [null, null],
    ['', null],
    ['soon', null],
    ['30', 30_000],
    ['0', 0],
    ['999999', 3_600_000],
    ['Wed, 25 Nov 2026 00:01:00 GMT', 60_000],
    ['Wed, 25 Nov 2026 00:00:00 GMT', 0],
  ])('when Retry-After is %j, then %j ms', (value, expected) => {
    expect(parseRetryAfter(value, Date.parse('2026-11-25T00:00:00Z'))).toBe(expected);
  });
});

describe('truncateUtf8', () => {
  it.each([
    ['abc', 3, 'abc'],
    ['abcd', 3, `${'ab'.slice(0, 0)}…`],
    ['abcdef', 5, 'ab…'],
    ['红色紧急', 12, '红色紧急'],
    ['红色紧急', 11, '红色…'],
    ['红色紧急', 9, '红色…'],
    ['红色紧急', 8, '红…'],
    ['🔴🔴', 7, '🔴…'],
    ['🔴🔴', 6, '…'],
    ['🔴🔴', 2, ''],
  ])('when %j is cut to %i bytes, then %j', (text, max, expected) => {
    const out = truncateUtf8(text, max);
    expect(out).toBe(expected);
    expect(utf8Length(out)).toBeLessThanOrEqual(max);
    expect(out).not.toContain('\uFFFD');
  });

  it('when any mix of 1- to 4-byte characters is cut at every length, then the result is valid and within the limit', () => {
    const text = 'aé红🔴'.repeat(5);
    for (let max = 0; max <= utf8Length(text) + 1; max += 1) {
      const out = truncateUtf8(text, max);
      expect(utf8Length(out)).toBeLessThanOrEqual(max);
      expect(out).not.toContain('\uFFFD');
      expect(text.startsWith(out.replace(/…$/, ''))).toBe(true);
    }
  });
});
