import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAdmin, UsageError } from '../../../server/admin/main.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// The admin command on a real SQLite file, as `npm run admin -- …` runs it.

async function admin(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir }, { write: (t) => (out += t) });
  return { code, out };
}

function stores(dataDir: string) {
  const s = createStores(openDatabase(dataDir));
  return s;
}

describe('admin command', () => {
  it('when a community is set up from the command line, then households, devices, people, contacts, channels and policies are stored', async () => {
    const dir = tempDir();
    const creds = path.join(dir, 'devices.json');
    expect(
      (
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
          '--json',
        )
      ).out,
    ).toBe('{"id":1}\n');
    const device = JSON.parse(
      (await admin(dir, 'add-device', '--household', '1', '--credentials', creds, '--json')).out,
    ) as { id: string; secret: string };
    expect(JSON.parse(fs.readFileSync(creds, 'utf8'))).toEqual({
      devices: [{ id: device.id, secret: device.secret, householdId: 1 }],
    });
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
      '赵值班',
      '--role',
      'duty_officer',
      '--tier',
      '3',
      '--phone',
      '13800000003',
    );
    await admin(
      dir,
      'add-contact',
      '--household',
      '1',
      '--name',
      '张女儿',
      '--phone',
      '13900000000',
      '--relation',
      '女儿',
    );
    await admin(
      dir,
      'add-channel',
      '--kind',
      'webhook',
      '--url',
      'http://127.0.0.1:9/hook',
      '--secret',
      's3cret',
      '--name',
      '社区群',
    );
    await admin(dir, 'set-policy', '--compound', '阳光小区', '--policy', '{"tier2AfterSec":30,"tier3AfterSec":90}');
    const set = await admin(
      dir,
      'set-checkin',
      '--household',
      '1',
      '--deadline',
      '10:00',
      '--quiet',
      '22:00-07:00',
      '--json',
    );
    expect(JSON.parse(set.out)).toMatchObject({
      policy: { kind: 'deadline', time: '10:00' },
      quietHours: { start: '22:00', end: '07:00' },
    });

    const s = stores(dir);
    try {
      expect(s.people.recipients(1, [1, 2, 3]).map((r) => r.name)).toEqual(['李志愿', '赵值班', '张女儿']);
      expect(s.channels.list()).toMatchObject([
        { kind: 'webhook', name: '社区群', config: { url: 'http://127.0.0.1:9/hook', secret: 's3cret' } },
      ]);
      expect(s.places.compoundPolicy(1)).toEqual({ tier2AfterSec: 30, tier3AfterSec: 90 });
      const due = s.places.schedule(1)?.checkInDueAt ?? 0;
      // The first 10:00 (Asia/Shanghai) strictly after now.
      expect(new Date(due).toISOString()).toMatch(/T02:00:00\.000Z$/);
      expect(due).toBeGreaterThan(Date.now());
    } finally {
      s.db.close();
    }
    expect((await admin(dir, 'people')).out).toContain('李志愿');
  });

  it.each([
    [['add-person', '--name', 'x', '--role', 'boss', '--tier', '1'], /--role must be one of/],
    [['add-person', '--name', 'x', '--role', 'volunteer', '--tier', '4'], /--tier must be 1, 2 or 3/],
    [
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
        'nowhere',
      ],
      /no compound named "nowhere"/,
    ],
    [['add-channel', '--kind', 'webhook', '--url', 'ftp://x'], /channel:/],
    [['add-channel', '--kind', 'carrier-pigeon', '--url', 'http://x'], /channel:/],
    [['set-policy', '--compound', '阳光小区', '--policy', '{"tier2AfterSec":-1}'], /policy: tier2AfterSec/],
    [['set-policy', '--compound', '阳光小区', '--policy', 'nope'], /--policy must be a JSON object/],
    [['set-checkin', '--household', '1', '--deadline', '25:00'], /check-in:/],
    [['set-checkin', '--household', '1', '--quiet', '22-07'], /--quiet takes/],
    [['set-checkin', '--household', '99', '--deadline', '10:00'], /household 99 does not exist/],
    [['add-contact', '--household', '1', '--name', 'x'], /needs --phone/],
    [
      ['add-contact', '--household', '1', '--name', 'x', '--phone', '0571-8888888'],
      /--phone "0571-8888888" 不是中国大陆手机号/,
    ],
    [['add-person', '--name', 'x', '--role', 'volunteer', '--tier', '1'], /add-person needs --phone/],
    [
      ['add-person', '--name', 'x', '--role', 'volunteer', '--tier', '1', '--phone', '1380013800'],
      /--phone "1380013800" 不是中国大陆手机号/,
    ],
  ])('when the admin runs %j, then it is refused with a clear message and nothing changes', async (argv, message) => {
    const dir = tempDir();
    await admin(dir, 'add-household', '--compound', '阳光小区', '--building', '3号楼', '--name', '张桂兰');
    await expect(admin(dir, ...argv)).rejects.toThrow(UsageError);
    await expect(admin(dir, ...argv)).rejects.toThrow(message);
    const s = stores(dir);
    try {
      expect(s.people.list()).toHaveLength(0);
      expect(s.channels.list()).toHaveLength(0);
      expect(s.places.compoundPolicy(1)).toBeNull();
    } finally {
      s.db.close();
    }
  });

  it('when a person and a contact are added with a spaced or +86 number, then the 11 digits are stored and listed', async () => {
    const dir = tempDir();
    await admin(dir, 'add-household', '--compound', '阳光小区', '--building', '3号楼', '--name', '张桂兰');
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
      '+86 138-0013-8000',
    );
    await admin(dir, 'add-contact', '--household', '1', '--name', '张女儿', '--phone', '0086 139 0000 0000');
    const s = stores(dir);
    try {
      expect(s.people.list().map((p) => p.phone)).toEqual(['13800138000']);
      expect(s.people.contacts(1).map((c) => c.phone)).toEqual(['13900000000']);
    } finally {
      s.db.close();
    }
    expect((await admin(dir, 'people')).out).toContain('\t13800138000\t');
  });

  it('when asked for help, then every command is listed', async () => {
    const { code, out } = await admin(tempDir(), '--help');
    expect(code).toBe(0);
    expect(out).toContain('PHONE (both): a mainland China mobile');
    for (const c of [
      'add-household',
      'add-device',
      'list',
      'add-person',
      'add-contact',
      'add-channel',
      'set-policy',
      'set-checkin',
      'people',
      'mosquitto-acl',
      'mosquitto-passwd',
    ]) {
      expect(out).toContain(c);
    }
  });
});
