import { describe, expect, it } from 'vitest';
import { ADMIN_HELP, runAdmin, UsageError } from '../../../server/admin/main.js';
import { createAlerting } from '../../../server/app/alerting.js';
import { createLogger } from '../../../server/log.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// Households from the command line (issue 15), on a real SQLite file as `npm run admin -- …` runs
// it: the address rule, close, moves and renames, the rules being app/households.ts's as the API's.

async function admin(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runAdmin(argv, { DATA_DIR: dataDir }, { write: (t) => (out += t) });
  return { code, out };
}

async function refused(dataDir: string, ...argv: string[]): Promise<string> {
  try {
    await admin(dataDir, ...argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

function withStores<T>(dir: string, read: (s: ReturnType<typeof createStores>) => T): T {
  const s = createStores(openDatabase(dir));
  try {
    return read(s);
  } finally {
    s.db.close();
  }
}

const add = async (dir: string, ...extra: string[]) =>
  (
    JSON.parse(
      (await admin(dir, 'add-household', '--compound', '幸福小区', '--building', '3号楼', '--json', ...extra)).out,
    ) as { id: number }
  ).id;

describe('admin households commands', () => {
  it('when --help is asked, then it lists the households commands', () => {
    for (const name of ['close-household', 'move-household', 'move-device', 'rename-compound', 'rename-building'])
      expect(ADMIN_HELP).toContain(name);
  });

  it('when add-household is run twice at one address, then the second is refused naming the first and saying how to change it', async () => {
    const dir = tempDir();
    const id = await add(dir, '--room', '201', '--name', '张三');
    const message = await refused(
      dir,
      'add-household',
      '--compound',
      '幸福小区',
      '--building',
      '3号楼',
      '--room',
      ' 201 ',
      '--name',
      '张四',
    );
    expect(message).toContain(`#${id} 张三`);
    expect(message).toMatch(/该地址.*\/ .*already registered.*move-household/);
    // Without a room the name is part of the address: another name is another household.
    await add(dir, '--name', '李四');
    expect(
      await refused(dir, 'add-household', '--compound', '幸福小区', '--building', '3号楼', '--name', '李四'),
    ).toContain('李四');
    expect(await add(dir, '--name', '王五')).toBeGreaterThan(id);
    expect(withStores(dir, (s) => s.places.listHouseholds().length)).toBe(3);
  });

  it('when close-household is run, then the household is closed, its devices retired, its alerts resolved, and its address free again', async () => {
    const dir = tempDir();
    const id = await add(dir, '--room', '301', '--name', '赵六');
    const device = JSON.parse((await admin(dir, 'add-device', '--household', String(id), '--json')).out) as {
      id: string;
    };
    // A service request open on it (raised as a yellow press raises one).
    withStores(dir, (s) =>
      s.transaction(() =>
        createAlerting({ stores: s, log: createLogger('silent') }).raise(id, 'service', { reason: null }, Date.now()),
      ),
    );
    expect(
      await refused(dir, 'close-household', '--household', String(id), '--reason', 'gone', '--on', '2026-01-01'),
    ).toMatch(/原因.*reason/);
    const { code, out } = await admin(
      dir,
      'close-household',
      '--household',
      String(id),
      '--reason',
      'passed_away',
      '--on',
      '2026-01-01',
      '--note',
      '家属告知',
    );
    expect(code).toBe(0);
    expect(out).toMatch(/已注销.*closed/);
    withStores(dir, (s) => {
      expect(s.places.getHousehold(id)?.closed).toMatchObject({
        reason: 'passed_away',
        on: '2026-01-01',
        note: '家属告知',
      });
      expect(s.devices.findForAuth(device.id)?.retired).toBe(true);
      expect(s.alerts.findOpen(id, 'service')).toBeNull();
      expect(s.alerts.list({ householdId: id })[0]).toMatchObject({ status: 'resolved', resolutionNote: '住户已注销' });
    });
    expect(
      await refused(dir, 'close-household', '--household', String(id), '--reason', 'other', '--on', '2026-01-01'),
    ).toContain('已注销');
    // The room may be let to someone new.
    expect(await add(dir, '--room', '301', '--name', '新住户')).toBeGreaterThan(id);
  });

  it('when a household and a device are moved and places renamed, then the rules hold', async () => {
    const dir = tempDir();
    const a = await add(dir, '--room', '101', '--name', '甲');
    const b = JSON.parse(
      (
        await admin(
          dir,
          'add-household',
          '--compound',
          '幸福小区',
          '--building',
          '5号楼',
          '--room',
          '101',
          '--name',
          '乙',
          '--json',
        )
      ).out,
    ) as { id: number };
    // 5号楼 101 is 乙's: 甲 cannot move there.
    expect(await refused(dir, 'move-household', '--household', String(a), '--building', '5号楼')).toContain(
      `#${b.id} 乙`,
    );
    expect((await admin(dir, 'move-household', '--household', String(a), '--building', '6号楼')).code).toBe(0);
    expect(withStores(dir, (s) => s.places.getHousehold(a)?.building)).toBe('6号楼');
    const device = JSON.parse((await admin(dir, 'add-device', '--household', String(a), '--json')).out) as {
      id: string;
    };
    expect((await admin(dir, 'move-device', '--device', device.id, '--household', String(b.id))).code).toBe(0);
    expect(withStores(dir, (s) => s.devices.findForAuth(device.id)?.householdId)).toBe(b.id);
    expect(await refused(dir, 'move-device', '--device', 'rp-none', '--household', String(b.id))).toContain(
      'not found',
    );
    expect((await admin(dir, 'rename-compound', '--compound', '幸福小区', '--name', '幸福家园')).code).toBe(0);
    expect(
      (await admin(dir, 'rename-building', '--compound', '幸福家园', '--building', '6号楼', '--name', '六号楼')).code,
    ).toBe(0);
    expect(withStores(dir, (s) => s.places.getHousehold(a))).toMatchObject({
      compound: '幸福家园',
      building: '六号楼',
    });
    expect(
      await refused(dir, 'rename-building', '--compound', '幸福家园', '--building', '六号楼', '--name', '5号楼'),
    ).toContain('5号楼');
  });
});
