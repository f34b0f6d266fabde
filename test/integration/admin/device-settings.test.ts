import { describe, expect, it } from 'vitest';
import { ADMIN_HELP, runAdmin, UsageError } from '../../../server/admin/main.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// `npm run admin -- device-settings …` on a real SQLite file, as the command line runs it.

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

describe('admin device-settings', () => {
  it('when --help is asked, then it explains list, set and clear, and the tool-wide help lists them', async () => {
    const dir = tempDir();
    const help = await admin(dir, 'device-settings', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/设备设置 \/ device settings/);
    for (const sub of [
      'device-settings list',
      'device-settings set',
      'device-settings clear',
      '--heartbeat',
      '--grace',
    ])
      expect(help.out).toContain(sub);
    expect(ADMIN_HELP).toContain('device-settings set');
  });

  it('when a compound and a model are set, listed and cleared, then the rows round-trip, what a device gets is shown, and each change is audited', async () => {
    const dir = tempDir();
    await admin(dir, 'add-household', '--compound', '阳光小区', '--building', '1号楼', '--name', '张桂兰');
    const set = await admin(
      dir,
      'device-settings',
      'set',
      '--compound',
      '阳光小区',
      '--heartbeat',
      '120',
      '--grace',
      '60',
    );
    expect(set.code).toBe(0);
    expect(set.out).toMatch(
      /^已设置 compound 阳光小区：心跳 120 秒，宽限 60 秒.* \/ set compound 阳光小区: heartbeat 120 s, grace 60 s/,
    );
    await admin(dir, 'device-settings', 'set', '--model', 'RB-3', '--heartbeat', '900');

    const listed = JSON.parse(
      (await admin(dir, 'device-settings', 'list', '--compound', '阳光小区', '--model', 'RB-3', '--json')).out,
    ) as { items: Array<Record<string, unknown>>; effective: unknown };
    expect(listed.items.map((r) => [r.compoundId !== null, r.model, r.heartbeatSec, r.graceSec])).toEqual([
      [false, 'RB-3', 900, null],
      [true, null, 120, 60],
    ]);
    expect(listed.effective).toEqual({
      heartbeatSec: 120,
      graceSec: 60,
      from: { heartbeatSec: 'compound', graceSec: 'compound' },
    });
    const text = (await admin(dir, 'device-settings', 'list', '--model', 'RB-3')).out;
    expect(text).toContain('model RB-3：心跳 900 秒（model），宽限 300 秒（built-in）');

    expect((await admin(dir, 'device-settings', 'clear', '--compound', '阳光小区')).out).toMatch(/^已删除/);
    expect(await refused(dir, 'device-settings', 'clear', '--compound', '阳光小区')).toMatch(/没有设置 \/ no setting/);

    const s = createStores(openDatabase(dir));
    try {
      expect(s.deviceSettings.list(null).map((r) => r.model)).toEqual(['RB-3']);
      const audited = s.db
        .prepare("SELECT route, status FROM audit_log WHERE route LIKE 'device-settings%' ORDER BY id")
        .all();
      expect(audited).toEqual([
        { route: 'device-settings set', status: 0 },
        { route: 'device-settings set', status: 0 },
        { route: 'device-settings clear', status: 0 },
        { route: 'device-settings clear', status: 2 },
      ]);
    } finally {
      s.db.close();
    }
  });

  it('when a value is out of bounds or the subcommand unknown, then it is refused in Chinese and English and nothing is stored', async () => {
    const dir = tempDir();
    expect(await refused(dir, 'device-settings', 'set', '--heartbeat', '30')).toMatch(
      /^心跳间隔须为 60–86400 秒.* \/ heartbeatSec must be/,
    );
    expect(await refused(dir, 'device-settings', 'set', '--grace', '7200')).toMatch(/^离线宽限须为 60–3600 秒/);
    expect(await refused(dir, 'device-settings', 'set', '--heartbeat', 'soon')).toMatch(/^--heartbeat 须为秒数/);
    expect(await refused(dir, 'device-settings', 'set')).toMatch(/^请至少设置心跳间隔或离线宽限之一/);
    expect(await refused(dir, 'device-settings', 'set', '--compound', '没有的小区', '--heartbeat', '600')).toMatch(
      /^没有名为 "没有的小区" 的小区/,
    );
    expect(await refused(dir, 'device-settings', 'frob')).toMatch(/^device-settings 没有子命令 "frob"/);
    expect((await admin(dir, 'device-settings', 'list')).out).toMatch(/^还没有设备设置/);
  });
});
