import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import {
  checkDeviceSettings,
  type DeviceSettingsScope,
  resolveDeviceSettings,
  scopeKey,
} from '../domain/device-settings.js';
import { openDatabase } from '../store/db.js';
import { createStores, type SqliteStores } from '../store/index.js';
import { auditedCommand, osUser } from './audit-cli.js';
import { findScope } from './places.js';
import { both, UsageError } from './usage-error.js';

/** `npm run admin -- device-settings --help`, and its part of the tool's --help. */
export const DEVICE_SETTINGS_HELP = `  device-settings list [--compound NAME] [--model MODEL] [--json]
        The device-settings rows (docs/rules.md, "Device settings"); with --compound and/or
        --model, also what a device there gets and where each value comes from.
  device-settings set [--compound NAME] [--model MODEL] [--heartbeat SEC] [--grace SEC]
        Sets the row of a scope: a compound, a model, both, or neither (the default).
        --heartbeat 60–86400 s, --grace 60–3600 s; one left out comes from the next row down
        (compound + model, then compound, then model, then default, then 3600 s / 300 s).
        Connected devices get a new interval at their next heartbeat (the server is not asked:
        changes through the dashboard or API reach them at once).
  device-settings clear [--compound NAME] [--model MODEL]
        Removes the row of that scope.
`;

/** 设备设置 / device settings: list, set, clear (server/domain/device-settings.ts). */
export async function runDeviceSettingsCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: { write(text: string): void },
): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: false,
    options: {
      compound: { type: 'string' },
      model: { type: 'string' },
      heartbeat: { type: 'string' },
      grace: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (sub === undefined || sub === '--help' || sub === '-h' || values.help) {
    out.write(`彩带之约 · Ribbon Pact admin — 设备设置 / device settings\n\n${DEVICE_SETTINGS_HELP}`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'list' && sub !== 'set' && sub !== 'clear')
    throw new UsageError(
      `device-settings 没有子命令 ${JSON.stringify(sub)}（list、set、clear，见 --help）`,
      `device-settings has no subcommand ${JSON.stringify(sub)} (list, set, clear; see --help)`,
    );
  const config = loadConfig(env);
  const stores = createStores(openDatabase(config.dataDir));
  try {
    const run = async (o: typeof out) => runSub(sub, values, stores, o);
    return sub === 'list' ? run(out) : await auditedCommand(`device-settings ${sub}`, values, stores, out, run);
  } finally {
    stores.db.close();
  }
}

type Values = { compound?: string; model?: string; heartbeat?: string; grace?: string; json?: boolean };

function seconds(option: 'heartbeat' | 'grace', value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d{1,6}$/.test(value.trim()))
    throw new UsageError(`--${option} 须为秒数（整数）`, `--${option} takes whole seconds`);
  return Number(value.trim());
}

function runSub(sub: 'list' | 'set' | 'clear', values: Values, s: SqliteStores, out: { write(text: string): void }) {
  const scope: DeviceSettingsScope = {
    compoundId: findScope(s, values.compound, undefined).compoundId,
    model: values.model ?? null,
  };
  const where = describe(values);
  if (sub === 'list') {
    const rows = s.deviceSettings.list(null);
    const asked = values.compound !== undefined || values.model !== undefined;
    const effective = asked ? resolveDeviceSettings(scope, s.deviceSettings.candidates(scope)) : null;
    if (values.json) {
      out.write(`${JSON.stringify({ items: rows, ...(effective ? { effective } : {}) })}\n`);
      return 0;
    }
    if (rows.length === 0)
      out.write(
        both(
          '还没有设备设置（内置：心跳 3600 秒，宽限 300 秒）',
          'no device settings yet (built in: heartbeat 3600 s, grace 300 s)',
        ),
      );
    for (const r of rows)
      out.write(`${scopeKey(r)}\theartbeat ${r.heartbeatSec ?? '-'} s\tgrace ${r.graceSec ?? '-'} s\t${r.updatedBy}\n`);
    if (effective)
      out.write(
        both(
          `${where}：心跳 ${effective.heartbeatSec} 秒（${effective.from.heartbeatSec}），宽限 ${effective.graceSec} 秒（${effective.from.graceSec}）`,
          `${where}: heartbeat ${effective.heartbeatSec} s (${effective.from.heartbeatSec}), grace ${effective.graceSec} s (${effective.from.graceSec})`,
        ),
      );
    return 0;
  }
  if (sub === 'clear') {
    if (!s.deviceSettings.remove(scope)) throw new UsageError(`${where}没有设置`, `no setting for ${where}`);
    out.write(both(`已删除 ${where} 的设备设置`, `device settings of ${where} removed`));
    return 0;
  }
  const heartbeatSec = seconds('heartbeat', values.heartbeat);
  const graceSec = seconds('grace', values.grace);
  const problems = checkDeviceSettings({ model: scope.model, heartbeatSec, graceSec });
  if (problems.length > 0) throw new UsageError(problems.map((p) => p.message).join('\n'));
  s.deviceSettings.set({ ...scope, heartbeatSec, graceSec }, `os:${osUser()}`, Date.now());
  out.write(
    both(
      `已设置 ${where}：心跳 ${heartbeatSec ?? '-'} 秒，宽限 ${graceSec ?? '-'} 秒（在线设备在下次心跳时收到）`,
      `set ${where}: heartbeat ${heartbeatSec ?? '-'} s, grace ${graceSec ?? '-'} s (connected devices get it at their next heartbeat)`,
    ),
  );
  return 0;
}

function describe(values: Values): string {
  const parts = [
    ...(values.compound !== undefined ? [`compound ${values.compound}`] : []),
    ...(values.model !== undefined ? [`model ${values.model}`] : []),
  ];
  return parts.length === 0 ? 'default' : parts.join(' ');
}
