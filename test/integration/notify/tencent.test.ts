import { describe, expect, it } from 'vitest';
import {
  createTencentSms,
  createTencentVoice,
  type TencentSendResult,
} from '../../../server/notify/providers/tencent.js';
import { signTencentRequest } from '../../../server/notify/providers/tencent-sign.js';
import { type FakeTencentAnswer, startFakeTencent } from '../../helpers/fake-tencent.js';

// The Tencent Cloud SMS and voice clients against a fake Tencent endpoint on 127.0.0.1 that
// recomputes the TC3-HMAC-SHA256 signature from the bytes it receives (test/helpers/fake-tencent.ts).

const SECRET_ID = 'AKIDribbonpact0test0000000000000000';
const SECRET_KEY = 'rp0secret0key0for0tests0only0000';
const SMS_APP = '1400006666';
const VOICE_APP = '1400007777';
/** 2026-11-25 00:30 in Beijing: both the client and the fake read this clock. */
const NOW = Date.UTC(2026, 10, 24, 16, 30);
const clock = () => NOW;

const SMS = {
  phone: '138 0013 8000',
  signName: '彩带之约',
  templateId: '2261001',
  params: ['张桂兰', '阳光小区3号楼201'],
};
const CALL = { phone: '+8613800138000', templateId: '3310002', params: ['张桂兰', '阳光小区3号楼201', '紧急求助'] };

async function smsSetup(
  answer: FakeTencentAnswer = { kind: 'ok' },
  client: { secretId?: string; secretKey?: string; now?: () => number } = {},
) {
  const fake = await startFakeTencent({
    service: 'sms',
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    answer,
    now: clock,
  });
  const sms = createTencentSms({
    secretId: client.secretId ?? SECRET_ID,
    secretKey: client.secretKey ?? SECRET_KEY,
    smsSdkAppId: SMS_APP,
    endpoint: fake.url,
    timeoutMs: 2000,
    now: client.now ?? clock,
  });
  return { fake, sms };
}

async function voiceSetup(answer: FakeTencentAnswer = { kind: 'ok' }) {
  const fake = await startFakeTencent({
    service: 'vms',
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    answer,
    now: clock,
  });
  const voice = createTencentVoice({
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    voiceSdkAppId: VOICE_APP,
    endpoint: fake.url,
    timeoutMs: 2000,
    now: clock,
  });
  return { fake, voice };
}

function failure(result: TencentSendResult) {
  if (result.ok) throw new Error('expected a failure');
  return result;
}

describe('Tencent Cloud SendSms', () => {
  it('when the fake accepts the signature, then the send is ok and the fake got SendSms with the number, template and params', async () => {
    const { fake, sms } = await smsSetup();
    const result = await sms.sendSms({ ...SMS, sessionContext: 'outbox-41' });
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.ref).toMatch(/^5000:/);
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);

    expect(fake.received).toHaveLength(1);
    const got = fake.received[0]!;
    expect(got.refused).toBeNull();
    expect(got).toMatchObject({ action: 'SendSms', region: 'ap-guangzhou', phone: '+8613800138000' });
    expect(got).toMatchObject({ template: '2261001', params: ['张桂兰', '阳光小区3号楼201'], signName: '彩带之约' });
    expect(got.body).toMatchObject({ SmsSdkAppId: SMS_APP, SessionContext: 'outbox-41' });
    expect(got.headers['x-tc-version']).toBe('2021-01-11');
    expect(got.headers['x-tc-timestamp']).toBe(String(Math.floor(NOW / 1000)));
    expect(got.headers.authorization).toMatch(
      new RegExp(
        `^TC3-HMAC-SHA256 Credential=${SECRET_ID}/2026-11-24/sms/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=[0-9a-f]{64}$`,
      ),
    );
  });

  it('when params hold Chinese, emoji, quotes and percent signs, then they arrive byte for byte (UTF-8, nothing percent-encoded)', async () => {
    const { fake, sms } = await smsSetup();
    const params = ['张桂兰', '阳光小区3号楼201室', '紧急求助🆘', '50%已确认 & a=b+c', 'say "hi" \\ 再见', '%E5%BC%A0'];
    expect((await sms.sendSms({ ...SMS, params })).ok).toBe(true);
    const got = fake.received[0]!;
    expect(got.refused).toBeNull();
    expect(got.params).toEqual(params);
    // JSON.stringify keeps non-ASCII as UTF-8 (no \u escapes), and the signature covered those bytes.
    expect(got.raw.includes(Buffer.from('\\u5f20', 'utf8'))).toBe(false);
    expect(got.raw.includes(Buffer.from('"张桂兰"', 'utf8'))).toBe(true);
    expect(got.raw.includes(Buffer.from('%E5%BC%A0', 'utf8'))).toBe(true);
  });

  it.each([
    ['FailedOperation.TemplateIncorrectOrUnapproved', true, undefined],
    ['FailedOperation.SignatureIncorrectOrUnapproved', true, undefined],
    ['InvalidParameterValue.IncorrectPhoneNumber', true, undefined],
    ['UnauthorizedOperation.SmsSdkAppIdVerifyFail', true, undefined],
    ['FailedOperation.InsufficientBalanceInSmsPackage', true, undefined],
    ['AuthFailure.UnauthorizedOperation', true, undefined],
    ['RequestLimitExceeded', false, 1000],
    ['InternalError.Timeout', false, undefined],
    ['InternalError.SendAndRecvFail', false, undefined],
    ['SomeNewClass.NobodyKnows', false, undefined],
  ])('when Tencent answers Error %s, then permanent is %s (retryAfterMs %s)', async (code, permanent, retryAfterMs) => {
    const { sms } = await smsSetup({ kind: 'error', code, message: `message for ${code}` });
    const result = failure(await sms.sendSms(SMS));
    expect(result.permanent).toBe(permanent);
    expect(result.retryAfterMs).toBe(retryAfterMs);
    expect(result.error).toContain(code);
    expect(result.error).toContain(`message for ${code}`);
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['LimitExceeded.PhoneNumberThirtySecondLimit', false, 30_000],
    ['LimitExceeded.PhoneNumberOneHourLimit', false, 3_600_000],
    // NOW is 00:30 in Beijing: a daily limit lifts at the next midnight there, 23.5 hours on.
    ['LimitExceeded.PhoneNumberDailyLimit', false, 23.5 * 3_600_000],
    ['LimitExceeded.DeliveryFrequencyLimit', false, undefined],
    ['FailedOperation.PhoneNumberInBlacklist', true, undefined],
    ['InvalidParameterValue.TemplateParameterLengthLimit', true, undefined],
  ])(
    'when the request is fine but the number’s SendStatus Code is %s, then permanent is %s (retryAfterMs %s)',
    async (code, permanent, retryAfterMs) => {
      const { sms } = await smsSetup({ kind: 'send-status', code });
      const result = failure(await sms.sendSms(SMS));
      expect(result).toMatchObject({ permanent, status: 200 });
      expect(result.retryAfterMs).toBe(retryAfterMs);
      expect(result.error).toMatch(
        new RegExp(`^${code.replace(/\./g, '\\.')} \\(.+\\): ${code.replace(/\./g, '\\.')} \\(fake\\)$`),
      );
    },
  );

  it.each([
    [500, false],
    [502, false],
    [503, false],
    [404, true],
    [403, true],
  ])('when a gateway answers HTTP %i, then permanent is %s', async (status, permanent) => {
    const { sms } = await smsSetup({ kind: 'http', status, body: 'bad gateway' });
    expect(await sms.sendSms(SMS)).toEqual({ ok: false, permanent, status, error: `HTTP ${status}: bad gateway` });
  });

  it.each([
    ['an HTML page', '<html>请先登录 Wi-Fi</html>', /^answer is not JSON: <html>/],
    ['JSON without Response', '{"ok":true}', /^answer has no Response/],
    ['a Response without SendStatusSet', '{"Response":{"RequestId":"r-1"}}', /^answer has no SendStatusSet entry/],
    [
      'an empty SendStatusSet',
      '{"Response":{"SendStatusSet":[],"RequestId":"r-1"}}',
      /^answer has no SendStatusSet entry/,
    ],
    ['an Error without Code', '{"Response":{"Error":{"Message":"x"}}}', /^answer has an Error without Code/],
    ['a cut-off answer', '{"Response":{"SendStatusSet":[{"Co', /^answer is not JSON/],
  ])('when the answer is %s, then the failure is transient and says so', async (_what, body, error) => {
    const { sms } = await smsSetup({ kind: 'garbage', body });
    const result = failure(await sms.sendSms(SMS));
    expect(result.permanent).toBe(false);
    expect(result.error).toMatch(error);
  });

  it('when Tencent never answers, then the send gives up at timeoutMs as transient', async () => {
    const fake = await startFakeTencent({
      service: 'sms',
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
      answer: { kind: 'hang' },
    });
    const sms = createTencentSms({
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
      smsSdkAppId: SMS_APP,
      endpoint: fake.url,
      timeoutMs: 300,
    });
    const started = performance.now();
    expect(await sms.sendSms(SMS)).toEqual({ ok: false, permanent: false, error: 'timed out after 300 ms' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(fake.received).toHaveLength(1);
  });

  it('when the caller aborts, then the send ends at once as transient', async () => {
    const { sms } = await smsSetup({ kind: 'hang' });
    const controller = new AbortController();
    const pending = sms.sendSms(SMS, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toEqual({ ok: false, permanent: false, error: 'aborted' });
  });
});

describe('the fake really checks the signature', () => {
  it('when the client signs with another SecretKey, then the fake refuses with AuthFailure.SignatureFailure and the send is permanent', async () => {
    const { fake, sms } = await smsSetup({ kind: 'ok' }, { secretKey: 'not-the-real-secret-key-00000000' });
    const result = failure(await sms.sendSms(SMS));
    expect(fake.received[0]!.refused).toBe('AuthFailure.SignatureFailure');
    expect(result.permanent).toBe(true);
    expect(result.error).toMatch(/^AuthFailure\.SignatureFailure \(signature refused: check the SecretKey\)/);
    expect(result.error).not.toContain('not-the-real-secret-key');
  });

  it('when the SecretId is unknown, then AuthFailure.SecretIdNotFound, permanent', async () => {
    const { fake, sms } = await smsSetup({ kind: 'ok' }, { secretId: 'AKIDsomeoneelse' });
    expect(failure(await sms.sendSms(SMS)).permanent).toBe(true);
    expect(fake.received[0]!.refused).toBe('AuthFailure.SecretIdNotFound');
  });

  it.each([
    [-301_000, 'AuthFailure.SignatureExpire'],
    [301_000, 'AuthFailure.SignatureExpire'],
    [-299_000, null],
    [299_000, null],
  ])('when the client clock is off by %i ms, then the fake answers %s', async (skew, refused) => {
    const { fake, sms } = await smsSetup({ kind: 'ok' }, { now: () => NOW + skew });
    const result = await sms.sendSms(SMS);
    expect(fake.received[0]!.refused).toBe(refused);
    expect(result.ok).toBe(refused === null);
    if (!result.ok) expect(result).toMatchObject({ permanent: true, error: expect.stringContaining('check NTP') });
  });

  it('when a signed request is replayed with another body or another action, then the fake refuses it; unchanged, it accepts it', async () => {
    const fake = await startFakeTencent({ service: 'sms', secretId: SECRET_ID, secretKey: SECRET_KEY, now: clock });
    const payload = JSON.stringify({
      PhoneNumberSet: ['+8613800138000'],
      SmsSdkAppId: SMS_APP,
      TemplateId: '2261001',
      SignName: '彩带之约',
      TemplateParamSet: ['张桂兰'],
    });
    const signed = signTencentRequest({
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
      service: 'sms',
      host: new URL(fake.url).host,
      action: 'SendSms',
      version: '2021-01-11',
      region: 'ap-guangzhou',
      timestamp: Math.floor(NOW / 1000),
      payload,
    });
    const send = (body: string, headers: Record<string, string> = {}) =>
      fetch(fake.url, { method: 'POST', headers: { ...signed.headers, ...headers }, body });
    await send(payload);
    await send(payload.replace('张桂兰', '王芳'));
    await send(payload, { 'x-tc-action': 'PullSmsSendStatus' });
    await send(payload, { 'x-tc-timestamp': String(Math.floor(NOW / 1000) + 1) });
    expect(fake.received.map((r) => r.refused)).toEqual([
      null,
      'AuthFailure.SignatureFailure',
      'AuthFailure.SignatureFailure',
      'AuthFailure.SignatureFailure',
    ]);
  });
});

describe('secrets and bad input', () => {
  it('when an answer echoes the credentials, then the error names them only as placeholders', async () => {
    const { sms } = await smsSetup({ kind: 'garbage', body: `proxy says: ${SECRET_ID} ${SECRET_KEY}` });
    const result = failure(await sms.sendSms(SMS));
    expect(result.error).toBe('answer is not JSON: proxy says: <secretId> <secretKey>');
  });

  it.each([
    ['12345678901', 'not a mainland China mobile number: *******8901'],
    ['+14155550100', 'not a mainland China mobile number: ********0100'],
    ['1380013800', 'not a mainland China mobile number: ******3800'],
    ['', 'not a mainland China mobile number: ****'],
  ])('when the phone is %j, then the send is refused as permanent without a request', async (phone, error) => {
    const { fake, sms } = await smsSetup();
    expect(await sms.sendSms({ ...SMS, phone })).toEqual({ ok: false, permanent: true, error });
    expect(fake.received).toHaveLength(0);
  });

  it.each([
    [{ templateId: 'SMS_123' }, /templateId/],
    [{ signName: '' }, /signName/],
    [{ signName: '这是一个非常非常长的短信签名名称' }, /signName/],
  ])('when the SMS input is %j, then it is refused as permanent without a request', async (change, error) => {
    const { fake, sms } = await smsSetup();
    expect(failure(await sms.sendSms({ ...SMS, ...change }))).toMatchObject({
      permanent: true,
      error: expect.stringMatching(error),
    });
    expect(fake.received).toHaveLength(0);
  });

  it.each([
    [{ smsSdkAppId: 'app' }, /smsSdkAppId/],
    [{ secretId: '' }, /secretId/],
    [{ secretId: 'AKID/x' }, /secretId/],
    [{ secretKey: '' }, /secretKey/],
    [{ endpoint: 'ftp://sms.tencentcloudapi.com/' }, /http/],
    [{ endpoint: 'https://sms.tencentcloudapi.com/?a=1' }, /query/],
    [{ region: 'Guangzhou' }, /region/],
    [{ timeoutMs: 0 }, /timeoutMs/],
  ])('when the SMS client is created with %j, then it throws', (change, message) => {
    const options = { secretId: SECRET_ID, secretKey: SECRET_KEY, smsSdkAppId: SMS_APP, ...change };
    expect(() => createTencentSms(options)).toThrow(message);
  });

  it('when the client is created without an endpoint, then it is Tencent’s documented one (no request is made)', () => {
    expect(() => createTencentSms({ secretId: SECRET_ID, secretKey: SECRET_KEY, smsSdkAppId: SMS_APP })).not.toThrow();
    expect(() =>
      createTencentVoice({ secretId: SECRET_ID, secretKey: SECRET_KEY, voiceSdkAppId: VOICE_APP }),
    ).not.toThrow();
  });
});

describe('Tencent Cloud SendTtsVoice', () => {
  it('when the fake accepts the signature, then the call is ok with its CallId and the fake got SendTtsVoice', async () => {
    const { fake, voice } = await voiceSetup();
    const result = await voice.call({ ...CALL, playTimes: 2 });
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.ref).toMatch(/^[0-9a-f-]{36}$/);
    const got = fake.received[0]!;
    expect(got.refused).toBeNull();
    expect(got).toMatchObject({
      action: 'SendTtsVoice',
      region: 'ap-guangzhou',
      phone: '+8613800138000',
      template: '3310002',
    });
    expect(got.params).toEqual(['张桂兰', '阳光小区3号楼201', '紧急求助']);
    expect(got.body).toMatchObject({ VoiceSdkAppid: VOICE_APP, PlayTimes: 2 });
    expect(got.headers['x-tc-version']).toBe('2020-09-02');
    expect(got.headers.authorization).toContain(
      '/2026-11-24/vms/tc3_request, SignedHeaders=content-type;host;x-tc-action,',
    );
  });

  it.each([
    ['FailedOperation.TemplateIncorrectOrUnapproved', true, undefined],
    ['UnauthorizedOperation.VoiceSdkAppidVerifyFail', true, undefined],
    ['FailedOperation.InsufficientBalanceInVoicePackage', true, undefined],
    ['InvalidParameterValue.CalledNumberVerifyFail', true, undefined],
    ['LimitExceeded.DeliveryFrequencyLimit', false, undefined],
    ['InternalError.AccessUpstreamTimeout', false, undefined],
    ['RequestLimitExceeded', false, 1000],
  ])(
    'when Tencent answers Error %s to a call, then permanent is %s (retryAfterMs %s)',
    async (code, permanent, retryAfterMs) => {
      const { voice } = await voiceSetup({ kind: 'error', code });
      const result = failure(await voice.call(CALL));
      expect(result.permanent).toBe(permanent);
      expect(result.retryAfterMs).toBe(retryAfterMs);
      expect(result.error).toContain(code);
    },
  );

  it('when the answer has no SendStatus.CallId, then the call failure is transient', async () => {
    const { voice } = await voiceSetup({ kind: 'garbage', body: '{"Response":{"SendStatus":{},"RequestId":"r-2"}}' });
    expect(failure(await voice.call(CALL))).toMatchObject({
      permanent: false,
      requestId: 'r-2',
      error: expect.stringMatching(/^answer has no SendStatus\.CallId/),
    });
  });

  it.each([
    [{ playTimes: 4 as 3 }, /playTimes/],
    [{ params: ['很长'.repeat(176)] }, /352 characters/],
    [{ phone: '010-12345678' }, /mainland China mobile/],
  ])('when the call input is %#, then it is refused as permanent without a request', async (change, error) => {
    const { fake, voice } = await voiceSetup();
    expect(failure(await voice.call({ ...CALL, ...change }))).toMatchObject({
      permanent: true,
      error: expect.stringMatching(error),
    });
    expect(fake.received).toHaveLength(0);
  });
});
