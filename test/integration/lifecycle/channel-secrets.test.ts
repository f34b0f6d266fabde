import { describe, expect, it } from 'vitest';
import { runAdmin } from '../../../server/admin/main.js';
import { castWorld, client, loginAdmin } from '../../helpers/api.js';
import { isSnapshot, open } from '../../helpers/live-client.js';

// Channel secrets are write-only (issue 15): every way a channel is read — the list, the answer
// to its creation, the admin CLI's list-channels (text and JSON), the audit log, the live feed —
// is walked, and no secret is in any of them.

const T0 = Date.parse('2026-12-02T09:00:00+08:00');
const SECRETS = {
  aliyun: 'aliyun-secret-WRITE-ONLY',
  webhook: 'webhook-hmac-WRITE-ONLY',
  wecom: 'wecom-key-WRITE-ONLY',
  dingtalk: 'dingtalk-token-WRITE-ONLY',
  dingtalkSign: 'SEC-dingtalk-sign-WRITE-ONLY',
  queryToken: 'query-token-WRITE-ONLY',
};
const CHANNELS = [
  {
    kind: 'aliyun-sms',
    accessKeyId: 'LTAI-id',
    accessKeySecret: SECRETS.aliyun,
    signName: '彩带之约',
    templates: { emergency: 'SMS_1', service: 'SMS_2', missed_checkin: 'SMS_3' },
    endpoint: 'http://127.0.0.1:9',
  },
  {
    kind: 'webhook',
    url: `https://hooks.example.cn/ribbon?token=${SECRETS.queryToken}`,
    secret: SECRETS.webhook,
  },
  { kind: 'wecom', url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${SECRETS.wecom}` },
  {
    kind: 'dingtalk',
    url: `https://oapi.dingtalk.com/robot/send?access_token=${SECRETS.dingtalk}`,
    secret: SECRETS.dingtalkSign,
  },
];

function expectNoSecret(text: string, where: string): void {
  for (const secret of Object.values(SECRETS)) expect(text, `${where} shows ${secret}`).not.toContain(secret);
}

describe('channel secrets are write-only', () => {
  it('when channels with secrets are added, then no way of reading a channel shows one', async () => {
    const w = await castWorld(T0, { phones: false });
    const admin = client(w.system.app, await loginAdmin(w.system.app));
    // A dashboard already watching while they are added.
    const live = await open(w.system.httpAddress.port, { cookie: (await loginAdmin(w.system.app)).cookie });
    await live.next(isSnapshot);

    for (const channel of CHANNELS) {
      const added = await admin('POST', '/api/channels', channel);
      expect(added.statusCode, added.body).toBe(201);
      expectNoSecret(added.body, `POST ${channel.kind}`);
    }
    for (const caller of [admin, w.staff]) {
      const listed = await caller('GET', '/api/channels');
      expect(listed.statusCode).toBe(200);
      expect((listed.json() as { items: unknown[] }).items.length).toBeGreaterThan(0);
      expectNoSecret(listed.body, 'GET /api/channels');
    }
    // The fields are there, as "set".
    expect((await admin('GET', '/api/channels')).json()).toMatchObject({
      items: expect.arrayContaining([
        expect.objectContaining({ kind: 'webhook', config: expect.objectContaining({ secret: 'set' }) }),
      ]),
    });

    for (const argv of [['list-channels'], ['list-channels', '--json']]) {
      let out = '';
      expect(await runAdmin(argv, { DATA_DIR: w.system.dataDir }, { write: (t) => (out += t) })).toBe(0);
      expect(out).toContain('webhook');
      expectNoSecret(out, argv.join(' '));
    }

    const audit = w.system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 1000);
    expect(audit.filter((r) => r.route === '/api/channels')).toHaveLength(CHANNELS.length);
    expectNoSecret(JSON.stringify(audit), 'the audit log');
    expect((await admin('GET', '/api/audit')).statusCode).toBe(200);
    expectNoSecret((await admin('GET', '/api/audit')).body, 'GET /api/audit');

    // A fresh snapshot and whatever the watching socket received.
    const later = await open(w.system.httpAddress.port, { cookie: (await loginAdmin(w.system.app)).cookie });
    await later.next(isSnapshot);
    expectNoSecret(JSON.stringify([live.messages, later.messages]), '/ws');
  });
});
