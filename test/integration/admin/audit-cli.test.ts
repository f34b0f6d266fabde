import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { runAdmin } from '../../../server/admin/main.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// The admin command, as `npm run admin -- …` runs it, leaves an audit row for each change, as the
// operating-system user who ran it.

async function admin(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir }, { write: (t) => (out += t) });
  return { code, out };
}

function auditRows(dataDir: string) {
  const s = createStores(openDatabase(dataDir));
  try {
    return s.users.auditPage(Number.MAX_SAFE_INTEGER, 100).reverse();
  } finally {
    s.db.close();
  }
}

describe('admin CLI audit', () => {
  it('when commands change something, then each leaves a row as os:<user> with the command and what it touched; listings leave none; a refusal is status 2', async () => {
    const dir = tempDir();
    const me = `os:${os.userInfo().username}`;
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
    );
    const device = await admin(dir, 'add-device', '--household', '1');
    const secret = /secret (\S+)/.exec(device.out)?.[1];
    const deviceId = /device (\S+)/.exec(device.out)?.[1];
    await admin(dir, 'list');
    await admin(dir, 'people');
    await admin(dir, 'list-channels');
    await expect(admin(dir, 'add-contact', '--household', '1', '--name', '女儿', '--phone', '123')).rejects.toThrow();
    await admin(dir, 'add-contact', '--household', '1', '--name', '女儿', '--phone', '13900000001', '--json');

    const rows = auditRows(dir);
    expect(rows.map((r) => ({ ...r, id: 0, at: 0 }))).toEqual([
      {
        id: 0,
        at: 0,
        userId: null,
        username: me,
        method: 'CLI',
        route: 'add-household',
        record: 'compound:阳光小区 household:1',
        status: 0,
        address: null,
      },
      expect.objectContaining({ route: 'add-device', record: `household:1 device:${deviceId}`, status: 0 }),
      expect.objectContaining({ route: 'add-contact', record: 'household:1', status: 2 }),
      expect.objectContaining({ route: 'add-contact', record: 'household:1 contact:1', status: 0 }),
    ]);
    // Names stay out of it, and the device's secret never reaches the log.
    expect(JSON.stringify(rows)).not.toContain('张桂兰');
    expect(secret).toBeDefined();
    expect(JSON.stringify(rows)).not.toContain(secret as string);
    for (const r of rows) expect(Math.abs(r.at - Date.now())).toBeLessThan(60_000);
  });
});
