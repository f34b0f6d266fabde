import { describe, expect, it } from 'vitest';
import {
  type AliyunClientOptions,
  createAliyunSms,
  createAliyunVoice,
} from '../../../server/notify/providers/aliyun.js';
import { startFakeAliyun } from '../../helpers/fake-aliyun.js';

// The Alibaba Cloud SMS and voice client against a fake gateway on 127.0.0.1 that recomputes
// every signature V3 with the secret it knows (test/helpers/fake-aliyun.ts).

const KEY_ID = 'LTAI5tRibbonTestKey';
const SECRET = 'ribbon-test-secret-0123456789';

async function setup(overrides: Partial<AliyunClientOptions> = {}) {
  const fake = await startFakeAliyun({ accessKeyId: KEY_ID, accessKeySecret: SECRET });
  const options: AliyunClientOptions = {
    accessKeyId: KEY_ID,
    accessKeySecret: SECRET,
    endpoint: fake.endpoint,
    timeoutMs: 2000,
    ...overrides,
  };
  return { fake, sms: createAliyunSms(options), voice: createAliyunVoice(options) };
}

const SMS = {
  phone: '+86 138-0013-8000',
  signName: '彩带之约',
  templateCode: 'SMS_480000001',
  params: { name: '张桂兰', address: '阳光小区3号楼201', what: '红色求助', ago: '2分钟' },
};

describe('Alibaba Cloud SendSms', () => {
  it('when the fake answers OK, then it is delivered and the fake got the number, template and Chinese params intact', async () => {
    const { fake, sms } = await setup();
    const params = { ...SMS.params, link: 'https://rp.example/a/x~y*z (1)+&=%', note: '“急” 😀' };
    const result = await sms.sendSms({ ...SMS, params, outId: 'outbox-41' });
    expect(result).toMatchObject({ ok: true, status: 200, providerId: 'FAKE-0001^0', requestId: 'FAKE-0001' });
    expect(fake.received).toHaveLength(1);
    const got = fake.received[0];
    expect(got).toMatchObject({ action: 'SendSms', phone: '13800138000', template: 'SMS_480000001', refused: null });
    expect(got?.templateParams).toEqual(params);
    expect(got?.params['SignName']).toBe('彩带之约');
    expect(got?.params['OutId']).toBe('outbox-41');
  });

  it('when the client signs with another secret, then the fake refuses it with SignatureDoesNotMatch, final', async () => {
    const { fake, sms } = await setup({ accessKeySecret: 'not-the-secret' });
    const result = await sms.sendSms(SMS);
    expect(result).toMatchObject({ ok: false, permanent: true, status: 400 });
    expect(!result.ok && result.error).toMatch(/^SendSms: SignatureDoesNotMatch/);
    expect(fake.received[0]?.refused).toBe('SignatureDoesNotMatch');
  });

  it('when the AccessKey ID is unknown, then InvalidAccessKeyId.NotFound, final', async () => {
    const { fake, sms } = await setup({ accessKeyId: 'LTAI-someone-else' });
    const result = await sms.sendSms(SMS);
    expect(result).toMatchObject({ ok: false, permanent: true, status: 404 });
    expect(fake.received[0]?.refused).toBe('InvalidAccessKeyId.NotFound');
  });

  it('when the clock is 20 minutes behind, then InvalidTimeStamp.Expired, final', async () => {
    const { fake, sms } = await setup({ now: () => Date.now() - 20 * 60_000 });
    const result = await sms.sendSms(SMS);
    expect(result).toMatchObject({ ok: false, permanent: true });
    expect(fake.received[0]?.refused).toBe('InvalidTimeStamp.Expired');
  });

  it('when a nonce repeats, then the second is refused as SignatureNonceUsed and retried', async () => {
    const { fake, sms } = await setup({ nonce: () => 'same-nonce' });
    expect((await sms.sendSms(SMS)).ok).toBe(true);
    const second = await sms.sendSms(SMS);
    expect(second).toMatchObject({ ok: false, permanent: false });
    expect(fake.received.map((r) => r.refused)).toEqual([null, 'SignatureNonceUsed']);
  });

  it.each([
    ['isv.BUSINESS_LIMIT_CONTROL', '触发号码天级流控', false, 60_000],
    ['isv.MOBILE_NUMBER_ILLEGAL', '非法手机号', true, undefined],
    ['isv.SMS_TEMPLATE_ILLEGAL', '该账号下找不到对应模板', true, undefined],
    ['isv.SMS_SIGNATURE_ILLEGAL', '该账号下找不到对应签名', true, undefined],
    ['isv.TEMPLATE_MISSING_PARAMETERS', '模板变量缺少对应参数值', true, undefined],
    ['isv.OUT_OF_SERVICE', '业务停机', true, undefined],
    ['isv.SOMETHING_NEW', '新的错误', true, undefined],
    ['isp.SYSTEM_ERROR', 'isp.SYSTEM_ERROR', false, undefined],
  ] as const)('when the product answers %s, then permanent is %s', async (code, message, permanent, retryAfterMs) => {
    const { fake, sms } = await setup();
    fake.answerWith({ kind: 'error', code, message });
    const result = await sms.sendSms(SMS);
    expect(result).toMatchObject({ ok: false, permanent, status: 200, requestId: 'FAKE-0001' });
    expect(result.ok ? undefined : result.retryAfterMs).toBe(retryAfterMs);
    expect(result.ok ? '' : result.error).toContain(`${code} (`);
    expect(result.ok ? '' : result.error).toContain(message);
  });

  it('when the gateway throttles with Retry-After, then transient with that wait', async () => {
    const { fake, sms } = await setup();
    fake.answerWith({
      kind: 'error',
      status: 400,
      code: 'Throttling.User',
      message: 'Request was denied due to user flow control.',
      headers: { 'retry-after': '7' },
    });
    expect(await sms.sendSms(SMS)).toMatchObject({ ok: false, permanent: false, status: 400, retryAfterMs: 7000 });
  });

  it.each([
    ['a 500 with the gateway shape', { kind: 'error', status: 500, code: 'InternalError', message: 'boom' }],
    ['a 503 without JSON', { kind: 'status', status: 503, body: 'Service Unavailable' }],
    ['an HTML page with 200', { kind: 'garbage' }],
    ['JSON without Code', { kind: 'status', status: 200, body: '{"RequestId":"x","Result":"OK"}' }],
    ['a JSON array', { kind: 'status', status: 200, body: '[1,2]' }],
  ] as const)('when the answer is %s, then transient with a clear error', async (_name, answer) => {
    const { fake, sms } = await setup();
    fake.answerWith(answer);
    const result = await sms.sendSms(SMS);
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(result.ok ? '' : result.error).toMatch(/^SendSms: /);
  });

  it('when the provider hangs, then the time limit ends it as transient', async () => {
    const { fake, sms } = await setup({ timeoutMs: 300 });
    fake.answerWith({ kind: 'hang' });
    const started = Date.now();
    const result = await sms.sendSms(SMS);
    expect(result).toMatchObject({ ok: false, permanent: false, error: 'SendSms: timed out after 300 ms' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('when nothing listens, then transient, and no error text ever carries the secret', async () => {
    const { fake, sms } = await setup({ endpoint: 'http://127.0.0.1:9' });
    const results = [await sms.sendSms(SMS)];
    const { sms: wrong } = await setup({ accessKeySecret: `${SECRET}-x` });
    results.push(await wrong.sendSms(SMS));
    expect(results[0]).toMatchObject({ ok: false, permanent: false });
    for (const r of results) expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(fake.received).toHaveLength(0);
  });

  it.each(['1380013800', '23800138000', '+1 2025550123', '12800138000', '', '138001380001'])(
    'when the phone is %j, then a permanent refusal without any request',
    async (phone) => {
      const { fake, sms } = await setup();
      const result = await sms.sendSms({ ...SMS, phone });
      expect(result).toMatchObject({ ok: false, permanent: true });
      expect(fake.received).toHaveLength(0);
    },
  );

  it('when the sign name or template is blank, then a permanent refusal without any request', async () => {
    const { fake, sms } = await setup();
    expect(await sms.sendSms({ ...SMS, signName: ' ' })).toMatchObject({ ok: false, permanent: true });
    expect(await sms.sendSms({ ...SMS, templateCode: '' })).toMatchObject({ ok: false, permanent: true });
    expect(fake.received).toHaveLength(0);
  });
});

describe('Alibaba Cloud SingleCallByTts', () => {
  it('when the fake answers OK, then the call is placed with the TTS template and Chinese params', async () => {
    const { fake, voice } = await setup();
    const params = { name: '张桂兰', address: '阳光小区3号楼201' };
    const result = await voice.call({ phone: '8613900000000', ttsCode: 'TTS_480000002', params, playTimes: 3 });
    expect(result).toMatchObject({ ok: true, providerId: 'FAKE-0001^100' });
    expect(fake.received[0]).toMatchObject({
      action: 'SingleCallByTts',
      phone: '13900000000',
      template: 'TTS_480000002',
    });
    expect(fake.received[0]?.templateParams).toEqual(params);
    expect(fake.received[0]?.params['PlayTimes']).toBe('3');
    expect(fake.received[0]?.params).not.toHaveProperty('CalledShowNumber');
  });

  it('when the number was called within the minute, then flow control is transient for 60 s', async () => {
    const { fake, voice } = await setup();
    fake.answerWith({ kind: 'error', code: 'isv.BUSINESS_LIMIT_CONTROL', message: '触发流控' });
    expect(await voice.call({ phone: '13900000000', ttsCode: 'TTS_1' })).toMatchObject({
      ok: false,
      permanent: false,
      retryAfterMs: 60_000,
    });
  });

  it('when signed with another secret, then refused by the fake', async () => {
    const { fake, voice } = await setup({ accessKeySecret: 'wrong' });
    expect(await voice.call({ phone: '13900000000', ttsCode: 'TTS_1' })).toMatchObject({ ok: false, permanent: true });
    expect(fake.received[0]?.refused).toBe('SignatureDoesNotMatch');
  });

  it('when playTimes, volume or speed is out of range, then a permanent refusal without any request', async () => {
    const { fake, voice } = await setup();
    for (const bad of [{ playTimes: 4 }, { volume: 101 }, { speed: -501 }, { playTimes: 1.5 }])
      expect(await voice.call({ phone: '13900000000', ttsCode: 'TTS_1', ...bad })).toMatchObject({
        ok: false,
        permanent: true,
      });
    expect(fake.received).toHaveLength(0);
  });
});

describe('creating the clients', () => {
  it.each([
    [{ accessKeyId: '' }, /accessKeyId/],
    [{ accessKeySecret: ' ' }, /accessKeySecret/],
    [{ endpoint: 'ftp://x' }, /http/],
    [{ endpoint: 'https://dysmsapi.aliyuncs.com/v1' }, /scheme and host only/],
    [{ endpoint: 'https://user:pw@dysmsapi.aliyuncs.com' }, /user name or password/],
    [{ timeoutMs: 0 }, /timeoutMs/],
  ])('when given %j, then a TypeError or RangeError', (bad, message) => {
    const options = { accessKeyId: KEY_ID, accessKeySecret: SECRET, ...bad };
    expect(() => createAliyunSms(options)).toThrow(message);
    expect(() => createAliyunVoice(options)).toThrow(message);
  });

  it('when no endpoint is given, then the documented ones are used', () => {
    expect(() => createAliyunSms({ accessKeyId: KEY_ID, accessKeySecret: SECRET })).not.toThrow();
  });
});
