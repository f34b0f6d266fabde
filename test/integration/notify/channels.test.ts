import { createHmac } from 'node:crypto';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createChannel, parseChannelConfig, type ChannelConfig } from '../../../server/notify/index.js';
import { createDingTalkChannel } from '../../../server/notify/dingtalk.js';
import { formatMessage } from '../../../server/notify/format.js';
import type { NotificationMessage, SendResult } from '../../../server/notify/types.js';
import { createWeComChannel } from '../../../server/notify/wecom.js';
import { createWebhookChannel, verifyWebhookSignature } from '../../../server/notify/webhook.js';
import { listenOnLoopback } from '../../helpers/tools.js';

// Each channel against a real node:http receiver on 127.0.0.1 that checks the wire format the
// way the real service does (WeCom's key and byte limits, DingTalk's signature and clock
// window, our own webhook signature), computed here independently with node:crypto.

type Received = { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; raw: Buffer };
type Handler = (req: Received, res: ServerResponse) => void;

/** A receiver on 127.0.0.1:0; it and its connections close when the test ends. */
async function startReceiver(handler: Handler): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const r: Received = {
        method: req.method ?? '',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        raw: Buffer.concat(chunks),
      };
      received.push(r);
      handler(r, res);
    });
  });
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, received };
}

/** A port nothing listens on: listen, note it, close. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function message(overrides: Partial<Omit<NotificationMessage, 'title' | 'text'>> = {}): NotificationMessage {
  const input = {
    id: 'outbox-41',
    event: 'alert.opened' as const,
    alert: {
      id: 9,
      kind: 'emergency' as const,
      status: 'open' as const,
      tier: 1,
      openedAt: '2026-11-25T00:00:00.000Z',
      reportCount: 2,
    },
    household: { id: 3, name: '张桂兰', compound: '阳光小区', building: '3号楼', room: '201' },
    recipients: [
      { name: '李明', phone: '13800000001', role: 'volunteer' },
      { name: '王芳', phone: '13800000002', role: 'party_household' },
      { name: '赵强', phone: null, role: 'volunteer' },
      { name: '李明', phone: '13800000001', role: 'grid_worker' },
    ],
    at: '2026-11-25T00:00:05.000Z',
    ...overrides,
  };
  return { ...input, ...formatMessage(input) };
}

function expectTransient(result: SendResult): asserts result is Extract<SendResult, { ok: false }> {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.permanent).toBe(false);
}

function expectPermanent(result: SendResult): void {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.permanent).toBe(true);
}

const SECRET = 'whsec_3f9a1c2b7d';

describe('webhook channel', () => {
  it('when the receiver verifies the signature and answers 204, then the send is ok and the body is the message as JSON', async () => {
    const receiver = await startReceiver((req, res) => {
      const ok = verifyWebhookSignature(
        SECRET,
        String(req.headers['x-ribbon-timestamp']),
        req.raw,
        String(req.headers['x-ribbon-signature']),
        Date.now(),
      );
      res.writeHead(ok ? 204 : 401).end();
    });
    const m = message();
    const result = await createWebhookChannel({ url: `${receiver.url}/hooks/ribbon`, secret: SECRET }).send(m);
    expect(result).toEqual({ ok: true, status: 204 });

    const req = receiver.received[0];
    if (req === undefined) throw new Error('nothing received');
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/ribbon');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-ribbon-event']).toBe('alert.opened');
    expect(req.headers['x-ribbon-delivery']).toBe('outbox-41');
    expect(JSON.parse(req.raw.toString('utf8'))).toEqual(m);

    // The signature, recomputed here with node:crypto from the documented recipe.
    const timestamp = String(req.headers['x-ribbon-timestamp']);
    expect(timestamp).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const expected = createHmac('sha256', SECRET)
      .update(`${timestamp}.${req.raw.toString('utf8')}`)
      .digest('hex');
    expect(req.headers['x-ribbon-signature']).toBe(`sha256=${expected}`);

    // What a receiver must refuse.
    const header = String(req.headers['x-ribbon-signature']);
    const tampered = Buffer.from(req.raw.toString('utf8').replace('"tier":1', '"tier":3'));
    expect(tampered.equals(req.raw)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, tampered, header, Date.now())).toBe(false);
    expect(verifyWebhookSignature('another-secret', timestamp, req.raw, header, Date.now())).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(Number(timestamp) + 1), req.raw, header, Date.now())).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, header, Number(timestamp) * 1000 + 301_000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, header, Number(timestamp) * 1000 + 299_000)).toBe(true);
  });

  it('when the receiver refuses the signature (wrong secret), then the 401 is permanent', async () => {
    const receiver = await startReceiver((req, res) => {
      const ok = verifyWebhookSignature(
        SECRET,
        String(req.headers['x-ribbon-timestamp']),
        req.raw,
        String(req.headers['x-ribbon-signature']),
        Date.now(),
      );
      res.writeHead(ok ? 204 : 401).end('bad signature');
    });
    const result = await createWebhookChannel({ url: receiver.url, secret: 'not-the-secret' }).send(message());
    expectPermanent(result);
    expect(result).toMatchObject({ status: 401, error: 'HTTP 401: bad signature' });
  });

  it('when the same message is sent twice, then both carry the same delivery id for deduplication', async () => {
    const receiver = await startReceiver((_req, res) => res.writeHead(200).end());
    const channel = createWebhookChannel({ url: receiver.url, secret: SECRET });
    const m = message();
    await channel.send(m);
    await channel.send(m);
    expect(receiver.received.map((r) => r.headers['x-ribbon-delivery'])).toEqual(['outbox-41', 'outbox-41']);
  });

  it.each([
    [500, false],
    [502, false],
    [503, false],
    [429, false],
    [408, false],
    [425, false],
    [400, true],
    [401, true],
    [404, true],
    [410, true],
    [422, true],
    [301, true],
  ])('when the receiver answers HTTP %i, then permanent is %s', async (status, permanent) => {
    const receiver = await startReceiver((_req, res) => {
      res.writeHead(status, status === 301 ? { location: 'https://example.invalid/elsewhere' } : {}).end('nope');
    });
    const result = await createWebhookChannel({ url: receiver.url, secret: SECRET }).send(message());
    expect(result).toMatchObject({ ok: false, permanent, status });
    expect(receiver.received).toHaveLength(1); // a 301 is not followed
  });

  it('when a 429 or 503 carries Retry-After, then the transient failure passes it on', async () => {
    const receiver = await startReceiver((_req, res) => json(res, 429, { error: 'slow down' }, { 'retry-after': '7' }));
    const result = await createWebhookChannel({ url: receiver.url, secret: SECRET }).send(message());
    expect(result).toMatchObject({ ok: false, permanent: false, status: 429, retryAfterMs: 7000 });
  });

  it('when the receiver never answers, then the send gives up at timeoutMs as transient', async () => {
    const receiver = await startReceiver(() => {
      // Never answer.
    });
    const started = performance.now();
    const result = await createWebhookChannel({ url: receiver.url, secret: SECRET, timeoutMs: 200 }).send(message());
    const elapsed = performance.now() - started;
    expectTransient(result);
    expect(result.error).toBe('timed out after 200 ms');
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(3000);
    expect(receiver.received).toHaveLength(1);
  });

  it('when the receiver sends headers but stalls the body, then the time limit still applies', async () => {
    const receiver = await startReceiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ok":');
    });
    const result = await createWebhookChannel({ url: receiver.url, secret: SECRET, timeoutMs: 200 }).send(message());
    expectTransient(result);
    expect(result.error).toBe('timed out after 200 ms');
  });

  it('when nothing listens on the port, then the refused connection is transient', async () => {
    const url = await closedPortUrl();
    const result = await createWebhookChannel({ url, secret: SECRET, timeoutMs: 2000 }).send(message());
    expectTransient(result);
    expect(result.error).toMatch(/^network error: .*ECONNREFUSED/);
  });

  it('when the caller aborts (shutdown), then the send stops at once as transient', async () => {
    const receiver = await startReceiver(() => {
      // Never answer.
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const result = await createWebhookChannel({ url: receiver.url, secret: SECRET, timeoutMs: 10_000 }).send(
      message(),
      controller.signal,
    );
    expectTransient(result);
    expect(result.error).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

/** WeCom's robot as documented: key check, msgtype, byte limits, then the configured errcode. */
function weComRobot(key: string, answer: () => { errcode: number; errmsg: string }): Handler {
  return (req, res) => {
    if (req.method !== 'POST' || req.path !== '/cgi-bin/webhook/send' || req.query.get('key') !== key) {
      json(res, 200, { errcode: 93000, errmsg: 'invalid webhook url, hint: [test]' });
      return;
    }
    let body: { msgtype?: string; text?: { content?: string }; markdown?: { content?: string } };
    try {
      body = JSON.parse(req.raw.toString('utf8')) as typeof body;
    } catch {
      json(res, 200, { errcode: 40035, errmsg: 'invalid json' });
      return;
    }
    const content =
      body.msgtype === 'text' ? body.text?.content : body.msgtype === 'markdown' ? body.markdown?.content : undefined;
    if (body.msgtype !== 'text' && body.msgtype !== 'markdown')
      json(res, 200, { errcode: 40008, errmsg: 'invalid message type' });
    else if (typeof content !== 'string' || content === '') json(res, 200, { errcode: 44004, errmsg: 'empty content' });
    else if (Buffer.byteLength(content) > (body.msgtype === 'text' ? 2048 : 4096))
      json(res, 200, { errcode: 40058, errmsg: `${body.msgtype}.content exceed max length` });
    else json(res, 200, answer());
  };
}

describe('WeCom channel', () => {
  it('when recipients have phones, then one text message goes out with the title first and each phone mentioned once', async () => {
    const receiver = await startReceiver(weComRobot('k-123', () => ({ errcode: 0, errmsg: 'ok' })));
    const m = message();
    const result = await createWeComChannel({ url: `${receiver.url}/cgi-bin/webhook/send?key=k-123` }).send(m);
    expect(result).toEqual({ ok: true, status: 200 });
    expect(receiver.received).toHaveLength(1);
    const body = JSON.parse(receiver.received[0]?.raw.toString('utf8') ?? '') as Record<string, unknown>;
    expect(body).toEqual({
      msgtype: 'text',
      text: { content: `${m.title}\n${m.text}`, mentioned_mobile_list: ['13800000001', '13800000002'] },
    });
    expect(m.title).toBe('🔴【红色紧急 RED】阳光小区 3号楼 201 张桂兰');
  });

  it('when nobody has a phone (the daily report), then it is markdown with the title in bold', async () => {
    const receiver = await startReceiver(weComRobot('k-123', () => ({ errcode: 0, errmsg: 'ok' })));
    const m = message({
      event: 'report.daily',
      recipients: [],
      data: { scope: '阳光小区', households: 120, checkedIn: 117 },
    });
    const result = await createWeComChannel({ url: `${receiver.url}/cgi-bin/webhook/send?key=k-123` }).send(m);
    expect(result.ok).toBe(true);
    const body = JSON.parse(receiver.received[0]?.raw.toString('utf8') ?? '') as {
      msgtype: string;
      markdown: { content: string };
    };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content.startsWith(`**${m.title}**\n`)).toBe(true);
    expect(body.markdown.content).toContain('Checked in: 117 of 120');
  });

  it.each([
    [0, 'ok', 'ok'],
    [45009, 'api freq out of limit', 'transient'],
    [-1, 'system busy', 'transient'],
    [93000, 'invalid webhook url', 'permanent'],
    [40058, 'invalid Request Parameter', 'permanent'],
    [40008, 'invalid message type', 'permanent'],
  ] as const)('when the robot answers errcode %i (%s), then the send is %s', async (errcode, errmsg, expected) => {
    const receiver = await startReceiver(weComRobot('k-123', () => ({ errcode, errmsg })));
    const result = await createWeComChannel({ url: `${receiver.url}/cgi-bin/webhook/send?key=k-123` }).send(message());
    if (expected === 'ok') expect(result).toEqual({ ok: true, status: 200 });
    else
      expect(result).toMatchObject({
        ok: false,
        permanent: expected === 'permanent',
        status: 200,
        error: expect.stringContaining(`errcode ${errcode}`),
      });
    if (errcode === 45009) expect(result).toMatchObject({ retryAfterMs: 60_000 });
  });

  it('when the key is wrong, then the robot says 93000 and the failure is permanent', async () => {
    const receiver = await startReceiver(weComRobot('k-123', () => ({ errcode: 0, errmsg: 'ok' })));
    const result = await createWeComChannel({ url: `${receiver.url}/cgi-bin/webhook/send?key=k-999` }).send(message());
    expectPermanent(result);
    expect(result).toMatchObject({ error: expect.stringContaining('errcode 93000') });
    // The key never appears in what the outbox stores.
    expect(JSON.stringify(result)).not.toContain('k-999');
  });

  it('when the text is longer than 2048 bytes, then it is cut on a character boundary and the robot accepts it', async () => {
    const receiver = await startReceiver(weComRobot('k-123', () => ({ errcode: 0, errmsg: 'ok' })));
    const m = { ...message(), text: '红色紧急求助🔴'.repeat(200) };
    const result = await createWeComChannel({ url: `${receiver.url}/cgi-bin/webhook/send?key=k-123` }).send(m);
    expect(result.ok).toBe(true);
    const content = (JSON.parse(receiver.received[0]?.raw.toString('utf8') ?? '') as { text: { content: string } }).text
      .content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(2048);
    expect(Buffer.byteLength(content)).toBeGreaterThan(2030);
    expect(content).not.toContain('\uFFFD');
    expect(content.endsWith('…')).toBe(true);
    expect(content.startsWith(m.title)).toBe(true);
  });

  it('when the answer is not JSON (a proxy page), or HTTP 500, then the failure is transient', async () => {
    const html = await startReceiver((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>gateway</html>'),
    );
    expectTransient(await createWeComChannel({ url: `${html.url}/cgi-bin/webhook/send?key=k` }).send(message()));
    const down = await startReceiver((_req, res) => res.writeHead(500).end());
    expect(await createWeComChannel({ url: `${down.url}/cgi-bin/webhook/send?key=k` }).send(message())).toMatchObject({
      ok: false,
      permanent: false,
      status: 500,
    });
  });

  it('when the robot never answers, then the send times out as transient', async () => {
    const receiver = await startReceiver(() => {
      // Never answer.
    });
    const result = await createWeComChannel({ url: `${receiver.url}/cgi-bin/webhook/send?key=k`, timeoutMs: 150 }).send(
      message(),
    );
    expectTransient(result);
    expect(result.error).toBe('timed out after 150 ms');
  });
});

const DING_SECRET = 'SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc';
const DING_TOKEN = 'e9a8118c8a3dc0';

/** DingTalk's robot as documented: access_token, then the 加签 check, then the configured errcode. */
function dingTalkRobot(answer: () => { errcode: number; errmsg: string }, clock: () => number = Date.now): Handler {
  return (req, res) => {
    if (req.path !== '/robot/send' || req.query.get('access_token') !== DING_TOKEN) {
      json(res, 200, { errcode: 300001, errmsg: 'token is not exist' });
      return;
    }
    const timestamp = req.query.get('timestamp') ?? '';
    const sign = req.query.get('sign') ?? '';
    if (!/^\d{13}$/.test(timestamp) || Math.abs(clock() - Number(timestamp)) > 3_600_000) {
      json(res, 200, { errcode: 310000, errmsg: 'invalid timestamp' });
      return;
    }
    const expected = createHmac('sha256', DING_SECRET).update(`${timestamp}\n${DING_SECRET}`).digest('base64');
    if (sign !== expected) {
      json(res, 200, { errcode: 310000, errmsg: 'sign not match' });
      return;
    }
    const body = JSON.parse(req.raw.toString('utf8')) as {
      msgtype?: string;
      markdown?: { title?: string; text?: string };
      at?: { atMobiles?: string[]; isAtAll?: boolean };
    };
    if (
      body.msgtype !== 'markdown' ||
      typeof body.markdown?.title !== 'string' ||
      typeof body.markdown.text !== 'string'
    ) {
      json(res, 200, { errcode: 400105, errmsg: 'unsupported msgtype' });
      return;
    }
    json(res, 200, answer());
  };
}

describe('DingTalk channel', () => {
  it('when the secret is right, then the signed URL verifies and the markdown @-mentions each phone in atMobiles and in the text', async () => {
    const receiver = await startReceiver(dingTalkRobot(() => ({ errcode: 0, errmsg: 'ok' })));
    const m = message();
    const result = await createDingTalkChannel({
      url: `${receiver.url}/robot/send?access_token=${DING_TOKEN}`,
      secret: DING_SECRET,
    }).send(m);
    expect(result).toEqual({ ok: true, status: 200 });

    const req = receiver.received[0];
    if (req === undefined) throw new Error('nothing received');
    const body = JSON.parse(req.raw.toString('utf8')) as {
      markdown: { title: string; text: string };
      at: { atMobiles: string[]; isAtAll: boolean };
    };
    expect(body.at).toEqual({ atMobiles: ['13800000001', '13800000002'], isAtAll: false });
    for (const phone of body.at.atMobiles) expect(body.markdown.text).toContain(`@${phone}`);
    expect(body.markdown.title).toBe(m.title);
    expect(body.markdown.text).toContain('按下红色求助按钮');
    expect(body.markdown.text).toContain('Pressed RED');
  });

  it('when the secret is wrong, then the robot says "sign not match" and the failure is permanent', async () => {
    const receiver = await startReceiver(dingTalkRobot(() => ({ errcode: 0, errmsg: 'ok' })));
    const result = await createDingTalkChannel({
      url: `${receiver.url}/robot/send?access_token=${DING_TOKEN}`,
      secret: 'SECwrong',
    }).send(message());
    expectPermanent(result);
    expect(result).toMatchObject({ status: 200, error: expect.stringContaining('sign not match') });
    expect(JSON.stringify(result)).not.toContain(DING_TOKEN);
  });

  it("when our clock is two hours off DingTalk's, then the timestamp is refused as permanent", async () => {
    const receiver = await startReceiver(dingTalkRobot(() => ({ errcode: 0, errmsg: 'ok' })));
    const skewed = () => Date.now() - 2 * 3_600_000;
    const result = await createDingTalkChannel({
      url: `${receiver.url}/robot/send?access_token=${DING_TOKEN}`,
      secret: DING_SECRET,
      now: skewed,
    }).send(message());
    expectPermanent(result);
    expect(result).toMatchObject({ error: expect.stringContaining('invalid timestamp') });
  });

  it('when it sends twice, then each attempt is signed afresh', async () => {
    const receiver = await startReceiver(dingTalkRobot(() => ({ errcode: 0, errmsg: 'ok' })));
    let t = Date.now();
    const channel = createDingTalkChannel({
      url: `${receiver.url}/robot/send?access_token=${DING_TOKEN}`,
      secret: DING_SECRET,
      now: () => (t += 1000),
    });
    expect((await channel.send(message())).ok).toBe(true);
    expect((await channel.send(message())).ok).toBe(true);
    const stamps = receiver.received.map((r) => r.query.get('timestamp'));
    expect(new Set(stamps).size).toBe(2);
  });

  it.each([
    [130101, 'send too fast, exceed 20 times per minute', false],
    [-1, 'system busy', false],
    [310000, 'keywords not in content', true],
    [400102, 'robot stopped', true],
  ] as const)('when the robot answers errcode %i (%s), then permanent is %s', async (errcode, errmsg, permanent) => {
    const receiver = await startReceiver(dingTalkRobot(() => ({ errcode, errmsg })));
    const result = await createDingTalkChannel({
      url: `${receiver.url}/robot/send?access_token=${DING_TOKEN}`,
      secret: DING_SECRET,
    }).send(message());
    expect(result).toMatchObject({ ok: false, permanent, error: expect.stringContaining(errmsg) });
    if (errcode === 130101) expect(result).toMatchObject({ retryAfterMs: 600_000 });
  });

  it('when the robot is down (HTTP 500), refuses the connection or never answers, then the failure is transient', async () => {
    const down = await startReceiver((_req, res) => res.writeHead(500).end());
    expect(
      await createDingTalkChannel({ url: `${down.url}/robot/send?access_token=t`, secret: DING_SECRET }).send(
        message(),
      ),
    ).toMatchObject({ ok: false, permanent: false, status: 500 });

    const refused = await closedPortUrl();
    expectTransient(
      await createDingTalkChannel({ url: `${refused}?access_token=t`, secret: DING_SECRET, timeoutMs: 2000 }).send(
        message(),
      ),
    );

    const silent = await startReceiver(() => {
      // Never answer.
    });
    const result = await createDingTalkChannel({
      url: `${silent.url}/robot/send?access_token=t`,
      secret: DING_SECRET,
      timeoutMs: 150,
    }).send(message());
    expectTransient(result);
    expect(result.error).toBe('timed out after 150 ms');
  });
});

describe('channels from configuration', () => {
  it('when each kind of config is parsed and created, then it delivers to its receiver', async () => {
    const hook = await startReceiver((req, res) => {
      const ok = verifyWebhookSignature(
        's3cret',
        String(req.headers['x-ribbon-timestamp']),
        req.raw,
        String(req.headers['x-ribbon-signature']),
        Date.now(),
      );
      res.writeHead(ok ? 200 : 401).end();
    });
    const wecom = await startReceiver(weComRobot('abc', () => ({ errcode: 0, errmsg: 'ok' })));
    const ding = await startReceiver(dingTalkRobot(() => ({ errcode: 0, errmsg: 'ok' })));
    const inputs: unknown[] = [
      { kind: 'webhook', url: `${hook.url}/in`, secret: 's3cret' },
      { kind: 'wecom', url: `${wecom.url}/cgi-bin/webhook/send?key=abc`, timeoutMs: 3000 },
      { kind: 'dingtalk', url: `${ding.url}/robot/send?access_token=${DING_TOKEN}`, secret: DING_SECRET },
    ];
    for (const input of inputs) {
      const parsed = parseChannelConfig(input);
      if (!parsed.ok) throw new Error(parsed.reason);
      const config: ChannelConfig = parsed.value;
      const channel = createChannel(config);
      expect(channel.kind).toBe(config.kind);
      expect(await channel.send(message())).toEqual({ ok: true, status: 200 });
    }
    expect([hook.received.length, wecom.received.length, ding.received.length]).toEqual([1, 1, 1]);
  });
});
