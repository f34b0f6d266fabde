import { describe, expect, it } from 'vitest';
import type { NotificationJson } from '../../../server/api/views.js';
import { castWorld, client, loginAdmin } from '../../helpers/api.js';

// Call results pushed by the voice providers (issue 13) over real HTTP on 127.0.0.1: the
// documented bodies of Alibaba Cloud (a batch array) and Tencent Cloud, answered as each
// expects, matched to our calls by the provider's call id (outbox.provider_ref, set here by hand
// through the store as the outbox sets it on success), shown on GET /api/alerts/:id.

const T0 = Date.parse('2026-12-02T03:00:00+08:00');

async function world(kind: 'aliyun-voice' | 'tencent-voice') {
  const w = await castWorld(T0);
  const { system, cast } = w;
  const admin = client(system.app, await loginAdmin(system.app));
  const config =
    kind === 'aliyun-voice'
      ? { kind, accessKeyId: 'id', accessKeySecret: 'secret', ttsCode: 'TTS_1' }
      : { kind, secretId: 'id', secretKey: 'secret', voiceSdkAppId: '1400000000', templateId: '1' };
  const added = await admin('POST', '/api/channels', { ...config, name: '电话' });
  expect(added.statusCode, added.body).toBe(201);
  const { id: channelId, callbackUrl } = added.json() as { id: number; callbackUrl: string };
  const hookUrl = `${system.httpUrl}${new URL(callbackUrl).pathname}`;

  const red = await w.volunteer('POST', `/api/households/${cast.householdA}/reports`, { state: 'red' });
  expect(red.statusCode, red.body).toBe(201);
  const alert = system.stores.alerts.list({ householdId: cast.householdA, kind: 'emergency' })[0];
  if (alert === undefined) throw new Error('no alert');

  /** A call to `who` through `channel`, accepted by the provider as `ref`. */
  const call = (ref: string, who: { name: string; phone: string; role: string }, channel = channelId) => {
    const id = system.stores.outbox.insert(
      {
        target: 'channel',
        channelId: channel,
        deviceId: null,
        alertId: alert.id,
        event: 'alert.opened',
        recipients: [who],
        payload: { phone: { medium: 'call', tier: 1, link: null, fallbacks: [] } },
      },
      w.clock.now(),
    );
    system.stores.outbox.markSent(id, w.clock.now(), ref);
    return id;
  };
  const post = (body: unknown, url = hookUrl) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const detail = async (as = w.staff) =>
    ((await as('GET', `/api/alerts/${alert.id}`)).json() as { notifications: NotificationJson[] }).notifications;
  return { ...w, admin, channelId, hookUrl, alert, call, post, detail };
}

const WANG = { name: '王芳', phone: '13800000002', role: 'volunteer' };
const DAUGHTER = { name: '张女儿', phone: '13900000000', role: 'contact:女儿' };

const aliyunFinal = (callId: string, code: string, msg: string) => ({
  status_code: code,
  callee: '138****0002',
  ring_time: '2026-12-02 03:00:10',
  duration: '0',
  originate_time: '2026-12-02 03:00:05',
  end_time: '2026-12-02 03:00:40',
  call_id: callId,
  caller: '0571****',
  status_msg: msg,
  out_id: '1',
  toll_type: 'LOCAL',
});

describe('call results from Alibaba Cloud', () => {
  it('when a batch of reports arrives, then our call’s result is recorded, shown on the alert, and answered {"code":0,"msg":"接收成功"}', async () => {
    const { system, alert, call, post, detail } = await world('aliyun-voice');
    const outboxId = call('122628733198^10942206001', WANG);
    const res = await post([
      { status_code: '200101', status_time: '2026-12-02 03:00:05', out_id: '1', call_id: '122628733198^10942206001' },
      aliyunFinal('122628733198^10942206001', '200003', '用户未接听'),
      aliyunFinal('999^unknown', '200000', '执行完成'),
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 0, msg: '接收成功' });
    const mine = (await detail()).find((n) => n.medium === 'call');
    expect(mine).toMatchObject({
      medium: 'call',
      recipients: [WANG],
      callResult: { result: 'no_answer', detail: '用户未接听', at: '2026-12-01T19:00:40.000Z' },
    });
    expect(system.stores.callResults.forAlert(alert.id)).toMatchObject([{ outboxId, result: 'no_answer' }]);
    expect(system.logs.find((l) => l.msg.includes('did not make'))).toMatchObject({ unknownCallIds: ['999^unknown'] });
  });

  it('when the provider pushes the same batch again, then nothing changes and it is answered the same', async () => {
    const { system, alert, call, post } = await world('aliyun-voice');
    call('C-1', WANG);
    const batch = [aliyunFinal('C-1', '200002', '用户忙')];
    for (let i = 0; i < 3; i++) {
      const res = await post(batch);
      expect(await res.json()).toEqual({ code: 0, msg: '接收成功' });
    }
    expect(system.stores.callResults.forAlert(alert.id).map((r) => r.result)).toEqual(['busy']);
  });

  it('when a call is answered (progress report, then the end), then it shows as answered', async () => {
    const { call, post, detail } = await world('aliyun-voice');
    call('C-2', WANG);
    await post([{ status_code: '200102', status_time: '2026-12-02 03:00:20', out_id: '1', call_id: 'C-2' }]);
    await post([aliyunFinal('C-2', '200000', '执行完成')]);
    expect((await detail()).find((n) => n.medium === 'call')?.callResult).toMatchObject({ result: 'answered' });
  });

  it('when the body is not a batch, then 400 in the provider’s shape and nothing is stored', async () => {
    const { system, alert, call, post } = await world('aliyun-voice');
    call('C-3', WANG);
    const res = await post({ call_id: 'C-3', status_code: '200003' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 1 });
    expect(system.stores.callResults.forAlert(alert.id)).toEqual([]);
  });
});

describe('call results from Tencent Cloud', () => {
  it.each([
    [
      {
        voiceprompt_callback: {
          result: '1',
          accept_time: '1764615611',
          callid: 'T-1',
          end_calltime: '1764615641',
          fee: '0',
          mobile: '13800000002',
          nationcode: '86',
          start_calltime: '0',
        },
      },
      'no_answer',
      '未接听',
    ],
    [
      {
        voiceprompt_callback: {
          result: '0',
          accept_time: '1764615611',
          callid: 'T-1',
          end_calltime: '1764615641',
          fee: '1',
          mobile: '13800000002',
          nationcode: '86',
          start_calltime: '1764615620',
        },
      },
      'answered',
      '已接听',
    ],
    [
      {
        voice_failure_callback: {
          callid: 'T-1',
          failure_code: 8,
          failure_reason: '空号',
          mobile: '13800000002',
          nationcode: '86',
        },
      },
      'unreachable',
      '空号',
    ],
    [
      {
        voice_failure_callback: {
          callid: 'T-1',
          failure_code: 2,
          failure_reason: '通话中',
          mobile: '13800000002',
          nationcode: '86',
        },
      },
      'busy',
      '通话中',
    ],
    [
      {
        voice_failure_callback: {
          callid: 'T-1',
          failure_code: 5,
          failure_reason: '无人接听',
          mobile: '13800000002',
          nationcode: '86',
        },
      },
      'no_answer',
      '无人接听',
    ],
  ])(
    'when %j arrives, then the call shows %s (%s) and it is answered {"result":0,"errmsg":"OK"}',
    async (body, result, said) => {
      const { call, post, detail } = await world('tencent-voice');
      call('T-1', WANG);
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ result: 0, errmsg: 'OK' });
      expect((await detail()).find((n) => n.medium === 'call')?.callResult).toMatchObject({ result, detail: said });
    },
  );

  it('when keys pressed are reported, then it is answered OK and nothing is recorded', async () => {
    const { system, alert, call, post } = await world('tencent-voice');
    call('T-2', WANG);
    const res = await post({
      voicekey_callback: { callid: 'T-2', keypress: '1', mobile: '13800000002', nationcode: '86' },
    });
    expect(await res.json()).toEqual({ result: 0, errmsg: 'OK' });
    expect(system.stores.callResults.forAlert(alert.id)).toEqual([]);
  });
});

describe('the callback URL', () => {
  it('when the key is wrong, the channel unknown or not a voice channel, then 404 and nothing is recorded', async () => {
    const { system, admin, alert, call, channelId, hookUrl, post } = await world('tencent-voice');
    call('T-3', WANG);
    const body = { voice_failure_callback: { callid: 'T-3', failure_code: 8, failure_reason: '空号' } };
    const sms = (
      await admin('POST', '/api/channels', {
        kind: 'tencent-sms',
        secretId: 'id',
        secretKey: 's',
        smsSdkAppId: '1400000001',
        signName: '彩带之约',
        templates: { emergency: '1', service: '2', missed_checkin: '3' },
      })
    ).json() as { id: number };
    const key = hookUrl.split('/').at(-1) as string;
    for (const url of [
      // The key with its last character changed (to another one: a random key may end in x).
      hookUrl.replace(/\/[^/]+$/, `/${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`),
      hookUrl.replace(`/voice/${channelId}/`, '/voice/999999/'),
      hookUrl.replace(`/voice/${channelId}/`, `/voice/${sms.id}/`),
    ]) {
      const res = await post(body, url);
      expect(res.status, url).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'RIBBON_ERR_NOT_FOUND' } });
    }
    expect(system.stores.callResults.forAlert(alert.id)).toEqual([]);
  });

  it('when a result names a call of another channel, then this channel’s key cannot record it', async () => {
    const { system, admin, alert, call, post } = await world('tencent-voice');
    const other = (
      await admin('POST', '/api/channels', {
        kind: 'tencent-voice',
        secretId: 'id2',
        secretKey: 's2',
        voiceSdkAppId: '1400000002',
        templateId: '2',
      })
    ).json() as { id: number };
    call('T-4', WANG, other.id);
    const res = await post({ voice_failure_callback: { callid: 'T-4', failure_code: 8, failure_reason: '空号' } });
    expect(res.status).toBe(200);
    expect(system.stores.callResults.forAlert(alert.id)).toEqual([]);
  });

  it('when one address posts past its budget, then 429 with Retry-After; a body over the limit is 413', async () => {
    const { post } = await world('aliyun-voice');
    const big = await post([{ call_id: 'x'.repeat(200), status_code: '200000', filler: 'y'.repeat(140_000) }]);
    expect(big.status).toBe(413);
    let last: Response | null = null;
    for (let i = 0; i < 70 && last?.status !== 429; i++) last = await post([]);
    expect(last?.status).toBe(429);
    expect(last?.headers.get('retry-after')).toBe('1');
  });

  it('when a volunteer reads a call to the family, then its result shows but not the family’s number', async () => {
    const { call, post, detail, volunteer } = await world('aliyun-voice');
    call('C-9', DAUGHTER);
    await post([aliyunFinal('C-9', '200002', '用户忙')]);
    const seen = (await detail(volunteer)).find((n) => n.medium === 'call');
    expect(seen).toMatchObject({ recipients: [{ name: '张女儿', phone: null }], callResult: { result: 'busy' } });
    expect(JSON.stringify(seen)).not.toContain(DAUGHTER.phone);
    const staffSees = (await detail()).find((n) => n.medium === 'call');
    expect(staffSees?.recipients[0]?.phone).toBe(DAUGHTER.phone);
  });
});
