import { describe, expect, it } from 'vitest';
import { castWorld, client, expectError, loginAdmin } from '../../helpers/api.js';

// Channels over HTTP (issue 13): admins add and retire them, staff see theirs; secrets are
// write-only (never in any answer), a voice channel's callback URL is answered once; every
// change is audited. A real SQLite file, app.inject().

const T0 = Date.parse('2026-12-02T09:00:00+08:00');
const ALIYUN_SECRET = 'aliyun-secret-DO-NOT-SHOW';
const TENCENT_SECRET = 'tencent-secret-DO-NOT-SHOW';
const WECOM_KEY = 'wecom-robot-key-DO-NOT-SHOW';

const aliyunSms = {
  kind: 'aliyun-sms',
  accessKeyId: 'LTAI-id',
  accessKeySecret: ALIYUN_SECRET,
  signName: '彩带之约',
  templates: { emergency: 'SMS_1', service: 'SMS_2', missed_checkin: 'SMS_3' },
  endpoint: 'http://127.0.0.1:9',
};
const tencentVoice = {
  kind: 'tencent-voice',
  secretId: 'AKID-id',
  secretKey: TENCENT_SECRET,
  voiceSdkAppId: '1400000000',
  templateId: '123456',
};

async function world() {
  const w = await castWorld(T0, { phones: false });
  const admin = client(w.system.app, await loginAdmin(w.system.app));
  return { ...w, admin };
}

describe('channels API', () => {
  it('when an admin adds SMS, voice and group channels, then listing shows each without its secrets, with its medium', async () => {
    const { admin, staff, cast } = await world();
    const sms = await admin('POST', '/api/channels', { ...aliyunSms, name: '阿里云短信', compound: cast.compoundA.id });
    expect(sms.statusCode, sms.body).toBe(201);
    expect(sms.json()).toMatchObject({
      kind: 'aliyun-sms',
      name: '阿里云短信',
      compoundId: cast.compoundA.id,
      compound: cast.compoundA.name,
      medium: 'sms',
      config: { accessKeyId: 'LTAI-id', accessKeySecret: 'set', signName: '彩带之约', endpoint: 'http://127.0.0.1:9' },
    });
    expect(sms.json()).not.toHaveProperty('callbackUrl');
    const voice = await admin('POST', '/api/channels', { ...tencentVoice, compound: null });
    expect(voice.statusCode, voice.body).toBe(201);
    expect(voice.json()).toMatchObject({ medium: 'call', name: 'tencent-voice', config: { secretKey: 'set' } });
    const robot = await admin('POST', '/api/channels', {
      kind: 'wecom',
      url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${WECOM_KEY}`,
    });
    expect(robot.statusCode, robot.body).toBe(201);
    expect(robot.json()).toMatchObject({ medium: 'group' });

    for (const caller of [admin, staff]) {
      const listed = await caller('GET', '/api/channels');
      expect(listed.statusCode, listed.body).toBe(200);
      for (const secret of [ALIYUN_SECRET, TENCENT_SECRET, WECOM_KEY]) expect(listed.body).not.toContain(secret);
      expect((listed.json() as { items: Array<{ medium: string }> }).items.map((c) => c.medium)).toEqual([
        'sms',
        'call',
        'group',
      ]);
    }
    for (const body of [sms.body, voice.body, robot.body])
      for (const secret of [ALIYUN_SECRET, TENCENT_SECRET, WECOM_KEY]) expect(body).not.toContain(secret);
  });

  it('when a voice channel is added, then its callback URL (with a fresh key) is answered once and never listed', async () => {
    const { system, admin } = await world();
    const res = await admin('POST', '/api/channels', tencentVoice, { host: 'ribbon.example.cn' });
    expect(res.statusCode, res.body).toBe(201);
    const { id, callbackUrl } = res.json() as { id: number; callbackUrl: string };
    const m = new RegExp(`^http://ribbon\\.example\\.cn/hooks/voice/${id}/([A-Za-z0-9_-]{32})$`).exec(callbackUrl);
    expect(m, callbackUrl).not.toBeNull();
    const key = m?.[1] as string;
    expect((await admin('GET', '/api/channels')).body).not.toContain(key);
    // Stored as its hash only: the key itself is nowhere in the database.
    expect(JSON.stringify(system.stores.channels.get(id))).not.toContain(key);
    expect(system.stores.channels.hookKey(id)).toHaveLength(32);
    // A second channel gets another key.
    const other = (await admin('POST', '/api/channels', tencentVoice)).json() as { callbackUrl: string };
    expect(other.callbackUrl.split('/').at(-1)).not.toBe(key);
  });

  it.each([
    [
      'a required field missing',
      { ...aliyunSms, accessKeySecret: undefined },
      'accessKeySecret is required for aliyun-sms',
    ],
    ['an unknown field', { ...aliyunSms, secert: 'x' }, 'unknown field(s) for aliyun-sms: secert'],
    [
      'an endpoint with a path',
      { ...aliyunSms, endpoint: 'https://gw.example.cn/sms' },
      'endpoint must be a scheme and host',
    ],
    ['a template missing', { ...aliyunSms, templates: { emergency: 'SMS_1' } }, 'templates.service must be'],
    ['a secret with spaces', { ...tencentVoice, secretKey: ' k ' }, 'secretKey must not start or end with spaces'],
    [
      'a callbackKey of its own',
      { ...tencentVoice, callbackKey: 'mine' },
      'unknown field(s) for tencent-voice: callbackKey',
    ],
  ])(
    'when a channel is added with %s, then 400 RIBBON_ERR_VALIDATION says why and nothing is stored',
    async (_what, body, reason) => {
      const { system, admin } = await world();
      const error = expectError(await admin('POST', '/api/channels', body), 400, 'RIBBON_ERR_VALIDATION');
      expect(error.fields?.[0]?.message).toContain(reason);
      expect(error.message).toContain(reason);
      expect(system.stores.channels.list()).toEqual([]);
    },
  );

  it('when the kind is unknown or the compound does not exist, then 400 names the field', async () => {
    const { admin } = await world();
    const kind = expectError(await admin('POST', '/api/channels', { ...aliyunSms, kind: 'fax' }), 400);
    expect(kind.fields?.map((f) => f.path)).toContain('body.kind');
    const compound = expectError(await admin('POST', '/api/channels', { ...aliyunSms, compound: 999 }), 400);
    expect(compound.fields).toEqual([{ path: 'body.compound', message: 'compound 999 does not exist' }]);
  });

  it('when staff and volunteers ask, then staff see their compounds’ and the all-compound channels, volunteers nothing, and only an admin changes them', async () => {
    const { system, admin, staff, volunteer, cast } = await world();
    const add = async (compound: number | null) =>
      ((await admin('POST', '/api/channels', { ...aliyunSms, compound })).json() as { id: number }).id;
    const a = await add(cast.compoundA.id);
    const b = await add(cast.compoundB.id);
    const all = await add(null);
    const seen = (await staff('GET', '/api/channels')).json() as { items: Array<{ id: number }> };
    expect(seen.items.map((c) => c.id)).toEqual([a, all]);
    expectError(await volunteer('GET', '/api/channels'), 403, 'RIBBON_ERR_FORBIDDEN');
    expectError(await staff('POST', '/api/channels', aliyunSms), 403, 'RIBBON_ERR_FORBIDDEN');
    expectError(await staff('DELETE', `/api/channels/${a}`), 403, 'RIBBON_ERR_FORBIDDEN');
    expectError(await client(system.app, { kind: 'anonymous' })('GET', '/api/channels'), 401);
    expect(system.stores.channels.list().map((c) => c.id)).toEqual([a, b, all]);
  });

  it('when an admin retires a channel, then it is no longer listed nor used, a second retire is 404, and both are audited', async () => {
    const { system, admin, cast } = await world();
    const id = (
      (await admin('POST', '/api/channels', { ...aliyunSms, compound: cast.compoundA.id })).json() as { id: number }
    ).id;
    expect((await admin('DELETE', `/api/channels/${id}`)).statusCode).toBe(204);
    expect((await admin('GET', '/api/channels')).json()).toEqual({ items: [], next: null });
    expect(system.stores.channels.idsFor(cast.compoundA.id)).toEqual([]);
    expectError(await admin('DELETE', `/api/channels/${id}`), 404, 'RIBBON_ERR_NOT_FOUND');
    const audit = system.stores.users
      .auditPage(Number.MAX_SAFE_INTEGER, 50)
      .filter((e) => e.route.startsWith('/api/channels'))
      .map((e) => [e.method, e.route, e.record, e.status, e.username]);
    expect(audit).toEqual(
      expect.arrayContaining([
        ['POST', '/api/channels', `channel:${id}`, 201, 'admin'],
        ['DELETE', '/api/channels/:id', `channel:${id}`, 204, 'admin'],
        ['DELETE', '/api/channels/:id', String(id), 404, 'admin'],
      ]),
    );
  });

  it('when the dashboard posts without its CSRF token, then 403 and nothing is stored', async () => {
    const { system, admin } = await world();
    const res = await admin('POST', '/api/channels', aliyunSms, { 'x-csrf-token': 'wrong' });
    expectError(res, 403, 'RIBBON_ERR_CSRF');
    expect(system.stores.channels.list()).toEqual([]);
  });
});
