import { describe, expect, it } from 'vitest';
import { ADMIN_HELP, runAdmin, UsageError } from '../../../server/admin/main.js';
import { hashHookKey } from '../../../server/app/channels.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// The admin command's channels (issue 13) on a real SQLite file: SMS and voice kinds with their
// settings as JSON, a voice channel's callback URL printed once, secrets never listed.

async function admin(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir, PORT: '8080', HOST: '0.0.0.0' }, { write: (t) => (out += t) });
  return { code, out };
}

const SMS = JSON.stringify({
  accessKeyId: 'LTAI-id',
  accessKeySecret: 'aliyun-secret-HIDDEN',
  signName: '彩带之约',
  templates: { emergency: 'SMS_1', service: 'SMS_2', missed_checkin: 'SMS_3' },
});
const VOICE = JSON.stringify({
  secretId: 'AKID',
  secretKey: 'tencent-secret-HIDDEN',
  voiceSdkAppId: '1400000000',
  templateId: '7',
});

describe('admin add-channel and list-channels', () => {
  it('when an SMS channel is added with --config and --endpoint, then it is stored checked, and listed with its secret as "set"', async () => {
    const dir = tempDir();
    const added = await admin(
      dir,
      'add-channel',
      '--kind',
      'aliyun-sms',
      '--endpoint',
      'http://127.0.0.1:9999',
      '--config',
      SMS,
      '--name',
      '阿里云短信',
    );
    expect(added).toEqual({ code: 0, out: '已添加通知渠道 1 / channel 1 added\n' });
    const s = createStores(openDatabase(dir));
    expect(s.channels.get(1)).toMatchObject({
      kind: 'aliyun-sms',
      name: '阿里云短信',
      config: { accessKeySecret: 'aliyun-secret-HIDDEN', endpoint: 'http://127.0.0.1:9999' },
    });
    s.db.close();
    const listed = await admin(dir, 'list-channels');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('1\taliyun-sms\tsms\t阿里云短信\t全部 all\t');
    expect(listed.out).toContain('"accessKeySecret":"set"');
    expect(listed.out).not.toContain('HIDDEN');
    const json = JSON.parse((await admin(dir, 'list-channels', '--json')).out) as Array<{ config: object }>;
    expect(json[0]?.config).toMatchObject({ accessKeySecret: 'set', endpoint: 'http://127.0.0.1:9999' });
  });

  it('when a voice channel is added, then its callback URL is printed once, its key stored only as a hash', async () => {
    const dir = tempDir();
    const added = await admin(
      dir,
      'add-channel',
      '--kind',
      'tencent-voice',
      '--config',
      VOICE,
      '--public-url',
      'https://ribbon.example.cn/',
    );
    expect(added.code).toBe(0);
    const m = /callback URL https:\/\/ribbon\.example\.cn\/hooks\/voice\/1\/([A-Za-z0-9_-]+)\n/.exec(added.out);
    expect(m, added.out).not.toBeNull();
    const key = m?.[1] as string;
    const s = createStores(openDatabase(dir));
    expect(s.channels.hookKey(1)?.equals(hashHookKey(key))).toBe(true);
    s.db.close();
    expect((await admin(dir, 'list-channels')).out).not.toContain(key);
    // Without --public-url: PUBLIC_URL's default, where the server listens.
    const plain = await admin(dir, 'add-channel', '--kind', 'tencent-voice', '--config', VOICE, '--json');
    expect(JSON.parse(plain.out)).toMatchObject({
      id: 2,
      callbackUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8080\/hooks\/voice\/2\//),
    });
  });

  it.each([
    [['--kind', 'aliyun-sms'], 'add-channel needs --config'],
    [['--kind', 'aliyun-sms', '--config', 'not json'], '--config must be a JSON object'],
    [['--kind', 'aliyun-sms', '--config', '[1]'], '--config must be a JSON object'],
    [
      ['--kind', 'aliyun-sms', '--config', '{"accessKeyId":"x"}'],
      'channel: accessKeySecret is required for aliyun-sms',
    ],
    [['--kind', 'aliyun-sms', '--url', 'https://x.cn', '--config', SMS], 'takes --config'],
    [['--kind', 'wecom', '--url', 'https://x.cn/?key=k', '--config', SMS], 'takes --url'],
    [
      ['--kind', 'aliyun-sms', '--config', SMS, '--endpoint', 'https://gw.cn/path'],
      'endpoint must be a scheme and host',
    ],
  ])('when add-channel is given %j, then it refuses (exit 2) saying %j and stores nothing', async (args, said) => {
    const dir = tempDir();
    const run = admin(dir, 'add-channel', ...args);
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(said);
    const s = createStores(openDatabase(dir));
    expect(s.channels.list()).toEqual([]);
    s.db.close();
  });

  it('when --help is asked, then it names the phone kinds, --config, --endpoint and list-channels', () => {
    for (const word of [
      'aliyun-sms|aliyun-voice|tencent-sms|tencent-voice',
      '--config JSON',
      '--endpoint URL',
      'list-channels',
    ])
      expect(ADMIN_HELP).toContain(word);
  });
});
