import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkFleet } from '../app/fleet/check.js';
import { fleetLabelsPage } from '../app/fleet/labels-page.js';
import { provisionFleet } from '../app/fleet/provision.js';
import { fleetCsv, fleetXlsx } from '../app/fleet/sheet.js';
import type { User } from '../app/ports.js';
import { CSV_BOM } from '../app/roster/csv.js';
import { readRosterRecords } from '../app/roster/read-file.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../store/db.js';
import { createStores } from '../store/index.js';
import { auditedCommand } from './audit-cli.js';
import { both, UsageError } from './usage-error.js';

type Out = { write(text: string): void };

export const FLEET_HELP = `  provision-devices FILE --out DIR [--host HOST] [--port PORT] [--tls] [--dry-run]
        A device for each household of FILE (CSV or .xlsx: 住户编号 household_id, or 小区 楼栋 房号
        [姓名]; at most 2,000 rows), all in one transaction or none. Writes DIR/devices.xlsx,
        DIR/devices.csv (household, device id, secret, label) and DIR/labels.html (A4 labels with
        the QR code to print). The secrets are only in these files (the database keeps hashes).
        The label's host: --host, else PUBLIC_MQTT_HOST, else HOST; port: --port, else MQTT_PORT.
        --dry-run checks every row and writes nothing.
`;

/** The CLI acts as the operator: every compound, as an admin (the audit row names the OS user). */
const OPERATOR: User = {
  id: 0,
  username: 'cli',
  displayName: 'cli',
  role: 'admin',
  personId: null,
  compoundIds: [],
  readOnlyCompoundIds: [],
  scope: [],
  disabled: false,
};

export async function runProvisionDevices(args: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      tls: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out.write(FLEET_HELP);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1)
    throw new UsageError(
      'provision-devices 需要一个文件（CSV 或 .xlsx）',
      'provision-devices takes one file (CSV or .xlsx)',
    );
  const dryRun = values['dry-run'];
  if (!dryRun && (values.out === undefined || values.out.trim() === ''))
    throw new UsageError('provision-devices 缺少 --out', 'provision-devices needs --out');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port <= 65535))
    throw new UsageError('--port 应为 1–65535 的整数', '--port takes a whole number from 1 to 65535');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`无法读取 ${file}`, `cannot read ${file} (${(err as Error).message})`);
  }
  const config = loadConfig(env);
  const connect = {
    host: values.host ?? config.publicMqttHost ?? config.host,
    port: port ?? config.mqttPort,
    tls: values.tls,
  };
  const stores = createStores(openDatabase(config.dataDir));
  try {
    return await auditedCommand('provision-devices', {}, stores, out, async (o) => {
      const records = await readRosterRecords(bytes[0] === 0x50 && bytes[1] === 0x4b ? 'xlsx' : 'csv', bytes);
      if (!records.ok) throw new UsageError(records.reason, records.reasonEn);
      const checked = checkFleet(stores, OPERATOR, records, dryRun);
      if (!checked.ok) throw new UsageError(checked.reason, checked.reasonEn);
      const { report, plan } = checked;
      if (!report.ok) {
        for (const e of report.errors)
          o.write(`第 ${e.line} 行 line ${e.line}${e.field ? ` [${e.field}]` : ''}: ${e.reason} / ${e.reasonEn}\n`);
        throw new UsageError(
          `${report.errors.length + report.errorsOmitted} 处错误，未创建任何设备`,
          `${report.errors.length + report.errorsOmitted} errors; no device was created`,
        );
      }
      if (plan === null) {
        o.write(
          both(
            `检查通过：将为 ${report.created} 户各添加一台设备`,
            `checked: ${report.created} households would get a device each`,
          ),
        );
        return 0;
      }
      const issued = provisionFleet(stores, plan, connect, Date.now());
      if (!issued.ok) throw new UsageError(issued.reason, issued.reasonEn);
      const dir = values.out as string;
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      // The secrets' only copies: readable by the operator alone.
      const write = (name: string, data: string | Buffer) =>
        fs.writeFileSync(path.join(dir, name), data, { mode: 0o600 });
      write('devices.xlsx', await fleetXlsx(issued.devices));
      write('devices.csv', CSV_BOM + fleetCsv(issued.devices));
      write('labels.html', fleetLabelsPage(issued.devices));
      const first = issued.devices[0]?.deviceId ?? '';
      const last = issued.devices.at(-1)?.deviceId ?? '';
      o.write(
        both(
          `已添加 ${issued.devices.length} 台设备（${first} … ${last}），表格与标签在 ${dir}；密钥只在这些文件中`,
          `${issued.devices.length} devices added (${first} … ${last}); sheet and labels in ${dir}; the secrets are only in these files`,
        ),
      );
      return 0;
    });
  } finally {
    stores.db.close();
  }
}
