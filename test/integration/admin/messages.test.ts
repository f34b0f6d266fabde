import { describe, expect, it } from 'vitest';
import { runAdmin, UsageError } from '../../../server/admin/main.js';
import { errorText } from '../../../server/admin/error-text.js';
import { ConfigError } from '../../../server/config.js';
import { tempDir } from '../../helpers/system.js';

// Every message of the admin tool in Chinese first, then English (issue 15, point 3), and its
// listings by name (point 7). On a real SQLite file, as `npm run admin -- …` runs it.

async function admin(dataDir: string, ...argv: string[]): Promise<string> {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir }, { write: (t) => (out += t) });
  expect(code, out).toBe(0);
  return out;
}

/** "中文… / English…": Chinese before the first " / ", English words after it. */
function expectBoth(text: string, what: string): void {
  const at = text.indexOf(' / ');
  expect(at, `${what}: ${text}`).toBeGreaterThan(0);
  expect(text.slice(0, at), `${what}: ${text}`).toMatch(/\p{Script=Han}/u);
  expect(text.slice(at + 3), `${what}: ${text}`).toMatch(/[a-z]{2,}\b.*\b[a-z]{2,}/i);
}

async function world(): Promise<string> {
  const dir = tempDir();
  await admin(dir, 'add-place', '--level', 'street', '--name', '东湖街道');
  await admin(dir, 'add-place', '--level', 'community', '--name', '东社区', '--parent', '东湖街道');
  await admin(
    dir,
    'add-household',
    '--compound',
    '阳光小区',
    '--building',
    '3号楼',
    '--room',
    '201',
    '--name',
    '张桂兰',
    '--community',
    '东社区',
  );
  return dir;
}

describe('admin messages in Chinese and English', () => {
  it('when commands are used wrongly, then each refusal says it in Chinese, then English', async () => {
    const dir = await world();
    const wrong: string[][] = [
      ['add-person', '--name', 'x'],
      ['add-person', '--name', 'x', '--role', 'boss', '--tier', '1', '--phone', '13800000001'],
      ['add-person', '--name', 'x', '--role', 'volunteer', '--tier', '4', '--phone', '13800000001'],
      ['add-person', '--name', 'x', '--role', 'volunteer', '--tier', '1', '--phone', '12'],
      ['add-person', '--name', 'x', '--role', 'volunteer', '--tier', '1', '--phone', '13800000001', '--compound', '无'],
      [
        'add-person',
        '--name',
        'x',
        '--role',
        'volunteer',
        '--tier',
        '1',
        '--phone',
        '13800000001',
        '--compound',
        '阳光小区',
        '--building',
        '9号楼',
      ],
      ['add-contact', '--household', '5', '--name', 'x', '--phone', '13800000001'],
      ['add-contact', '--household', 'five', '--name', 'x', '--phone', '13800000001'],
      ['add-device', '--household', '0'],
      ['add-channel', '--kind', 'webhook', '--url', 'ftp://x'],
      ['add-channel', '--kind', 'aliyun-sms', '--config', '[1]'],
      ['add-channel', '--kind', 'webhook', '--url', 'http://x', '--config', '{}'],
      ['set-policy', '--compound', '阳光小区', '--policy', 'nope'],
      ['set-policy', '--compound', '阳光小区', '--policy', '{"tier2AfterSec":-1}'],
      ['set-checkin', '--household', '5', '--deadline', '10:00'],
      ['set-checkin', '--household', '1', '--quiet', '22-07'],
      ['set-checkin', '--household', '1', '--deadline', '25:00'],
      ['add-place', '--level', 'district', '--name', 'x'],
      ['add-place', '--level', 'street', '--name', '东湖街道'],
      ['rename-place', '--place', '无此处', '--name', 'x'],
      ['set-scope', '--user', 'nobody', '--scope', 'none'],
      ['set-scope', '--user', 'admin', '--scope', 'village:1'],
      [
        'set-shift',
        '--compound',
        '阳光小区',
        '--tier',
        '2',
        '--days',
        '8',
        '--start',
        '08:00',
        '--end',
        '20:00',
        '--people',
        '1',
      ],
      ['duty', '--compound', '阳光小区', '--community', '东社区'],
      ['no-such-command'],
    ];
    for (const argv of wrong) {
      const refusal = admin(dir, ...argv);
      await expect(refusal, argv.join(' ')).rejects.toThrow(UsageError);
      const message = await refusal.catch((e: Error) => e.message);
      expectBoth(message, argv.join(' '));
    }
  });

  it('when the errors of the parts it calls end it, then they are printed in Chinese too', () => {
    expect(errorText(new RangeError('household 5 does not exist'))).toEqual({
      text: '住户 5 不存在 / household 5 does not exist',
      known: true,
    });
    const unknownOption = Object.assign(new TypeError("Unknown option '--colour'. To specify …"), {
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
    expect(errorText(unknownOption).text).toMatch(/^未知选项 --colour/);
    expect(errorText(new ConfigError('PORT must be a port')).text).toBe('配置不正确 / PORT must be a port');
    expect(errorText(new Error('disk full'))).toEqual({ text: '出错了 / disk full', known: false });
  });

  it('when things are added, then each success is said in both languages', async () => {
    const dir = await world();
    const lines = [
      await admin(
        dir,
        'add-household',
        '--compound',
        '阳光小区',
        '--building',
        '3号楼',
        '--room',
        '202',
        '--name',
        '李四',
      ),
      await admin(
        dir,
        'add-person',
        '--name',
        '李志愿',
        '--role',
        'volunteer',
        '--tier',
        '1',
        '--phone',
        '13800000001',
        '--compound',
        '阳光小区',
        '--building',
        '3号楼',
      ),
      await admin(dir, 'add-contact', '--household', '1', '--name', '张女儿', '--phone', '13900000000'),
      await admin(dir, 'set-checkin', '--household', '1', '--deadline', '10:00'),
      await admin(dir, 'set-policy', '--compound', '阳光小区', '--policy', '{"tier2AfterSec":30}'),
      await admin(dir, 'rename-place', '--place', '东社区', '--name', '东湖社区'),
    ];
    expect(lines[0]).toBe('已添加住户 2 / household 2 added\n');
    expect(lines[2]).toBe('已添加紧急联系人 1 / contact 1 added\n');
    for (const line of lines) expectBoth(line.trimEnd(), line);
    const device = await admin(dir, 'add-device', '--household', '1');
    expect(device).toContain('密钥只显示这一次');
  });

  it('when people, households and channels are listed, then places are named, not numbered', async () => {
    const dir = await world();
    await admin(
      dir,
      'add-person',
      '--name',
      '李志愿',
      '--role',
      'volunteer',
      '--tier',
      '1',
      '--phone',
      '13800000001',
      '--compound',
      '阳光小区',
      '--building',
      '3号楼',
    );
    await admin(
      dir,
      'add-person',
      '--name',
      '社区值班',
      '--role',
      'duty_officer',
      '--tier',
      '2',
      '--phone',
      '13800000002',
      '--community',
      '东社区',
    );
    await admin(
      dir,
      'add-channel',
      '--kind',
      'webhook',
      '--url',
      'http://127.0.0.1:9/hook',
      '--secret',
      's',
      '--name',
      '小区群',
      '--compound',
      '阳光小区',
    );
    const people = (await admin(dir, 'people')).split('\n');
    expect(people[0]).toBe(
      '编号 id\t梯队 tier\t角色 role\t姓名 name\t电话 phone\t社区 community\t小区 compound\t楼栋 building',
    );
    expect(people[1]).toBe('1\t1\tvolunteer\t李志愿\t13800000001\t东社区\t阳光小区\t3号楼');
    expect(people[2]).toBe('2\t2\tduty_officer\t社区值班\t13800000002\t东社区\t全部 all\t全部 all');
    const households = (await admin(dir, 'list')).split('\n');
    expect(households[1]).toBe('1\t东社区\t阳光小区\t3号楼\t201\t张桂兰\t-\t-');
    const channels = (await admin(dir, 'list-channels')).split('\n');
    expect(channels[1]).toMatch(/^1\twebhook\tgroup\t小区群\t阳光小区\t/);
    const places = await admin(dir, 'list-places');
    expect(places).toContain('\tcommunity\t东社区\t');
    expect(places).toMatch(/\tcompound\t阳光小区\t\d+ 东社区\n/);
  });
});
