import { describe, expect, it } from 'vitest';
import { createChannel, parseChannelConfig } from '../../../../server/notify/index.js';

const WECOM = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx';
const DING = 'https://oapi.dingtalk.com/robot/send?access_token=e9a8118c8a3dc';

describe('parseChannelConfig', () => {
  it.each([
    [
      { kind: 'webhook', url: 'https://hooks.example.org/ribbon', secret: 's' },
      { kind: 'webhook', url: 'https://hooks.example.org/ribbon', secret: 's' },
    ],
    [
      { kind: 'webhook', url: 'http://127.0.0.1:9000/in', secret: 's', timeoutMs: 2000 },
      { kind: 'webhook', url: 'http://127.0.0.1:9000/in', secret: 's', timeoutMs: 2000 },
    ],
    [
      { kind: 'wecom', url: WECOM },
      { kind: 'wecom', url: WECOM },
    ],
    [
      { kind: 'dingtalk', url: DING, secret: 'SECabc' },
      { kind: 'dingtalk', url: DING, secret: 'SECabc' },
    ],
    [
      { kind: 'dingtalk', url: ` ${DING} `, secret: 'SECabc' },
      { kind: 'dingtalk', url: DING, secret: 'SECabc' },
    ],
  ])('when %j, then it is accepted', (input, expected) => {
    expect(parseChannelConfig(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    [null, 'must be an object'],
    [[], 'must be an object'],
    ['wecom', 'must be an object'],
    [{ kind: 'email', url: 'https://x.org' }, 'kind must be'],
    [{ kind: 'webhook', url: 'https://x.org', secret: 's', secert: 't' }, 'unknown field(s) for webhook: secert'],
    [{ kind: 'wecom', url: WECOM, secret: 's' }, 'unknown field(s) for wecom: secret'],
    [{ kind: 'webhook', secret: 's' }, 'url must be a non-empty string'],
    [{ kind: 'webhook', url: '', secret: 's' }, 'url must be a non-empty string'],
    [{ kind: 'webhook', url: 'not a url', secret: 's' }, 'not a valid URL'],
    [{ kind: 'webhook', url: 'ftp://x.org/in', secret: 's' }, 'http:// or https://'],
    [{ kind: 'webhook', url: 'javascript:alert(1)', secret: 's' }, 'http:// or https://'],
    [{ kind: 'webhook', url: 'https://user:pw@x.org/in', secret: 's' }, 'user name or password'],
    [{ kind: 'webhook', url: `https://x.org/${'a'.repeat(2100)}`, secret: 's' }, 'at most 2048'],
    [{ kind: 'webhook', url: 'https://x.org/in' }, 'secret must be a non-empty string'],
    [{ kind: 'webhook', url: 'https://x.org/in', secret: '' }, 'secret must be a non-empty string'],
    [{ kind: 'webhook', url: 'https://x.org/in', secret: 42 }, 'secret must be a non-empty string'],
    [{ kind: 'webhook', url: 'https://x.org/in', secret: ' s ' }, 'spaces'],
    [{ kind: 'webhook', url: 'https://x.org/in', secret: 's', timeoutMs: 0 }, 'timeoutMs'],
    [{ kind: 'webhook', url: 'https://x.org/in', secret: 's', timeoutMs: 1.5 }, 'timeoutMs'],
    [{ kind: 'webhook', url: 'https://x.org/in', secret: 's', timeoutMs: 600_000 }, 'timeoutMs'],
    [{ kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send' }, '?key='],
    [{ kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=' }, '?key='],
    [{ kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send', secret: 'SECabc' }, '?access_token='],
    [{ kind: 'dingtalk', url: `${DING}&timestamp=1&sign=x`, secret: 'SECabc' }, 'timestamp or sign'],
    [{ kind: 'dingtalk', url: DING }, 'secret must be a non-empty string'],
  ])('when %j, then it is refused with a reason', (input, reason) => {
    const parsed = parseChannelConfig(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});

describe('createChannel', () => {
  it.each(['webhook', 'wecom', 'dingtalk'] as const)(
    'when the config is a %s, then the channel has that kind',
    (kind) => {
      const config =
        kind === 'wecom'
          ? { kind, url: WECOM }
          : { kind, url: kind === 'dingtalk' ? DING : 'https://x.org/in', secret: 's' };
      expect(createChannel(config).kind).toBe(kind);
    },
  );

  it('when a channel is created from a bad config directly, then it throws (a bug), without the key in the message', () => {
    expect(() => createChannel({ kind: 'wecom', url: 'qyapi?key=topsecret' })).toThrow(/not a valid URL/);
    expect(() => createChannel({ kind: 'wecom', url: 'qyapi?key=topsecret' })).not.toThrow(/topsecret/);
    expect(() => createChannel({ kind: 'webhook', url: 'https://x.org', secret: '' })).toThrow(/secret/);
    expect(() => createChannel({ kind: 'dingtalk', url: DING, secret: 's', timeoutMs: 0 })).toThrow(RangeError);
  });
});
