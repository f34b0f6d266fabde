import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { CredentialsFile } from '../../protocol/credentials.js';
import { loadCredentials, writeCredentials } from './credentials-file.js';
import { addHousehold, provisionDevice } from '../app/provision.js';
import { checkPolicy } from '../domain/policy.js';
import { PERSON_ROLES, type PersonRole } from '../domain/community.js';
import { mainlandMobile, NOT_A_MOBILE, NOT_A_MOBILE_EN } from '../domain/phone.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../store/db.js';
import { createStores, type SqliteStores } from '../store/index.js';
import { serverAccounts } from '../ingest/external.js';
import { mosquittoAcl, mosquittoPasswordLine } from './mosquitto.js';
import { DUTY_HELP, DUTY_OPTIONS, runDutyCommand } from './duty.js';
import {
  communityOption,
  compoundCommunity,
  findScope,
  PLACES_HELP,
  PLACES_OPTIONS,
  runPlacesCommand,
} from './places.js';
import { both, missingOption, UsageError } from './usage-error.js';
import { errorText } from './error-text.js';
import { runRestore } from './restore.js';
import { DEVICE_SETTINGS_HELP, runDeviceSettingsCli } from './device-settings.js';
import { FLEET_HELP, runProvisionDevices } from './fleet.js';
import { listChannels, listHouseholds, listPeople } from './listings.js';
import { addChannelCommand, setCheckInCommand, wholeNumber } from './setup-commands.js';
import { HOUSEHOLDS_HELP, HOUSEHOLDS_OPTIONS, refuseTakenAddress, runHouseholdsCommand } from './households.js';
import { auditedCommand } from './audit-cli.js';
import { LIFECYCLE_HELP, LIFECYCLE_OPTIONS, runLifecycleCommand } from './lifecycle.js';

export const ADMIN_HELP = `彩带之约 · Ribbon Pact admin

Usage: npm run admin -- <command> [options]
Works on the database in DATA_DIR (default ./data); safe while the server runs (not restore).

Commands:
  add-household --compound NAME --building NAME --name NAME [--room ROOM] [--timezone TZ]
                [--community ID|NAME]
        Adds a household (compound and building are found by name or created; a new compound
        goes in --community, default the default community). Prints its id.
  add-device --household ID [--id DEVICE_ID] [--credentials FILE] [--mosquitto-passwd FILE]
        Provisions a device for a household and prints its id and secret. The secret is shown
        only now: it is stored as a hash. --credentials appends the device to a device-sim
        credentials file; --mosquitto-passwd appends a line to a Mosquitto password file.
  list  Lists households and their devices (tab-separated; places by name: community,
        compound, building — ids only where a command takes one).
  add-person --name NAME --role ROLE --tier 1|2|3 --phone PHONE
             [--compound NAME [--building NAME] | --community ID|NAME]
        Someone who answers alarms. ROLE: volunteer, center_household (党员中心户), grid_worker,
        party_branch, duty_officer or staff. Scope: a building (tier 1), a compound (tier 2), a
        whole community (社区, --community), or with neither the whole district (tier 3 duty officer).
  add-contact --household ID --name NAME --phone PHONE [--relation TEXT]
        A family emergency contact, told when an emergency reaches tier 3.
        PHONE (both): a mainland China mobile, 11 digits from 13–19 (138 0013 8000); +86, 0086
        or 86 in front, spaces and hyphens are accepted; it is stored as the 11 digits. Any other
        number is refused (exit 2): the SMS and calls of issue 13 reach only mobiles.
  add-channel --kind webhook|wecom|dingtalk --url URL [--secret SECRET] [--name NAME] [--compound NAME]
        Where notifications go (a generic webhook with an HMAC signature, or a WeCom / DingTalk
        group robot; DingTalk's secret is the robot's SEC… signing secret).
  add-channel --kind aliyun-sms|aliyun-voice|tencent-sms|tencent-voice --config JSON
              [--endpoint URL] [--name NAME] [--compound NAME] [--public-url URL]
        A person's own phone: SMS or calls through Alibaba Cloud or Tencent Cloud. --config holds
        the kind's settings (docs/notifications.md), e.g. for aliyun-sms
        '{"accessKeyId":"…","accessKeySecret":"…","signName":"…","templates":{"emergency":"SMS_1",
        "service":"SMS_2","missed_checkin":"SMS_3"}}'; --endpoint points it at a gateway or a test
        server (scheme and host only). A voice channel prints its callback URL (--public-url, else
        PUBLIC_URL, + /hooks/voice/<id>/<key>) ONCE: paste it into the provider's console.
  list-channels
        Lists the active channels; secrets are shown as "set".
  set-policy --compound NAME --policy '{"tier2AfterSec":60,…}'
        Overrides the compound's response policy (escalation delays, reminders, daytime).
  set-checkin --household ID [--every SEC --grace SEC | --deadline HH:MM] [--quiet HH:MM-HH:MM|none]
              [--away-until YYYY-MM-DD|none] [--timezone TZ]
        The household's check-in policy; the next due time is recomputed.
  people  Lists the people and their scope (community, compound, building by name; 全部 all:
        not tied to that level).
${DUTY_HELP}${PLACES_HELP}${HOUSEHOLDS_HELP}${LIFECYCLE_HELP}${DEVICE_SETTINGS_HELP}${FLEET_HELP}  restore FILE | restore --latest
        Puts a backup (DATA_DIR/backups/ribbon-….db) in place of the database; --latest: the newest
        in BACKUP_DIR (never a .partial, a backup cut off while written). Refused while the
        server runs (stop it first), and unless the file is whole (integrity_check), of a schema
        this release knows, and has our tables. The database before is kept as
        ribbon.db.before-restore-<time>. README, "Backup and restore".
  mosquitto-acl --out FILE [--server-user NAME] [--connections N]
        Writes a Mosquitto ACL file for the external-broker mode (docs/external-broker.md); with
        --connections (MQTT_CONNECTIONS, 1-64), for each of the server's accounts NAME, NAME-1 …
  mosquitto-passwd --out FILE --user NAME [--password=SECRET] [--connections N]
        Appends the server's account at Mosquitto to a password file; with --connections, its
        accounts NAME, NAME-1 … (one per connection, MQTT_CONNECTIONS), all with this password.
        Without --password, the password is read from the first line of standard input
        (keeps it out of the process list and shell history).

Options:
  --json    print results as JSON
  --help    this text

Every message is in Chinese, then English ("住户 5 不存在 / household 5 does not exist"); a
command used wrongly exits 2, a failure of the machine 1.
`;

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

export { UsageError };

type Out = { write(text: string): void };

export async function runAdmin(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: Out,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out.write(ADMIN_HELP);
    return command === undefined ? 2 : 0;
  }
  // A file, not options: restore reads its own arguments (admin/restore.ts).
  if (command === 'restore') return runRestore(rest, env, out);
  // A subcommand (list, set, clear) with options of its own (admin/device-settings.ts).
  if (command === 'device-settings') return runDeviceSettingsCli(rest, env, out);
  // A file too, with its own options (admin/fleet.ts).
  if (command === 'provision-devices') return runProvisionDevices(rest, env, out);
  const { values } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: false,
    options: {
      compound: { type: 'string' },
      building: { type: 'string' },
      name: { type: 'string' },
      room: { type: 'string' },
      timezone: { type: 'string' },
      household: { type: 'string' },
      id: { type: 'string' },
      credentials: { type: 'string' },
      'mosquitto-passwd': { type: 'string' },
      out: { type: 'string' },
      'server-user': { type: 'string' },
      connections: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      policy: { type: 'string' },
      tier: { type: 'string' },
      phone: { type: 'string' },
      relation: { type: 'string' },
      kind: { type: 'string' },
      url: { type: 'string' },
      secret: { type: 'string' },
      endpoint: { type: 'string' },
      config: { type: 'string' },
      'public-url': { type: 'string' },
      every: { type: 'string' },
      grace: { type: 'string' },
      deadline: { type: 'string' },
      quiet: { type: 'string' },
      'away-until': { type: 'string' },
      ...DUTY_OPTIONS,
      ...PLACES_OPTIONS,
      ...HOUSEHOLDS_OPTIONS,
      ...LIFECYCLE_OPTIONS,
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out.write(ADMIN_HELP);
    return 0;
  }
  const need = (name: keyof typeof values): string => {
    const value = values[name];
    if (typeof value !== 'string' || value.trim() === '') throw missingOption(command, name);
    return value;
  };

  const positiveInt = wholeNumber;
  /** The 11 digits to store (server/domain/phone.ts), or exit 2 saying what a number must be. */
  const mobile = (value: string): string => {
    const phone = mainlandMobile(value);
    if (phone === null)
      throw new UsageError(
        `--phone ${JSON.stringify(value)} ${NOT_A_MOBILE}`,
        `--phone ${JSON.stringify(value)} ${NOT_A_MOBILE_EN}`,
      );
    return phone;
  };

  // Commands that write files only: no database.
  const connections = (): number => {
    const n = values.connections === undefined ? 1 : wholeNumber('connections', values.connections);
    if (n < 1 || n > 64) throw new UsageError('--connections 应为 1 到 64', '--connections takes 1 to 64');
    return n;
  };
  if (command === 'mosquitto-acl') {
    fs.writeFileSync(need('out'), mosquittoAcl(values['server-user'] ?? 'ribbon-server', connections()));
    out.write(both(`已写入 ${need('out')}`, `wrote ${need('out')}`));
    return 0;
  }
  if (command === 'mosquitto-passwd') {
    const password = values.password ?? (await readFirstLine(process.stdin));
    if (password.trim() === '')
      throw new UsageError(
        'mosquitto-passwd 需要密码（--password=… 或从标准输入）',
        'mosquitto-passwd needs a password (--password=… or on standard input)',
      );
    const users = serverAccounts(need('user'), connections());
    const lines = users.map((user) => `${mosquittoPasswordLine(user, password)}\n`).join('');
    fs.appendFileSync(need('out'), lines, { mode: 0o600 });
    const names = users.join(', ');
    out.write(both(`已把 ${names} 加入 ${need('out')}`, `added ${names} to ${need('out')}`));
    return 0;
  }

  const config = loadConfig(env);
  const stores = createStores(openDatabase(config.dataDir));
  /** The base of callback URLs: --public-url, else PUBLIC_URL (whose default is where the server listens). */
  const publicBase = (): string => {
    const base = values['public-url'] ?? config.publicUrl;
    if (!/^https?:\/\/[^\s/]+/.test(base))
      throw new UsageError(
        '--public-url 应以 http:// 或 https:// 开头',
        '--public-url must start with http:// or https://',
      );
    return base.replace(/\/+$/, '');
  };
  try {
    return await auditedCommand(command, values, stores, out, (o) => run(command, stores, o));
  } finally {
    stores.db.close();
  }

  async function run(cmd: string, s: SqliteStores, out: Out): Promise<number> {
    const now = Date.now();
    switch (cmd) {
      case 'add-household': {
        const placed = compoundCommunity(s, need('compound'), values.community);
        const id = refuseTakenAddress(() =>
          addHousehold(
            s,
            {
              compound: need('compound'),
              building: need('building'),
              name: need('name'),
              room: values.room ?? '',
              ...(values.timezone !== undefined ? { timezone: values.timezone } : {}),
            },
            now,
          ),
        );
        placed();
        out.write(values.json ? `${JSON.stringify({ id })}\n` : both(`已添加住户 ${id}`, `household ${id} added`));
        return 0;
      }
      case 'add-device': {
        const householdId = Number(need('household'));
        if (!Number.isSafeInteger(householdId) || householdId <= 0)
          throw new UsageError(
            '--household 应为住户编号（正整数）',
            '--household takes a household id (a positive whole number)',
          );
        const device = provisionDevice(s, householdId, now, values.id);
        if (values.credentials !== undefined) {
          const file: CredentialsFile = fs.existsSync(values.credentials)
            ? await loadCredentials(values.credentials)
            : { devices: [] };
          file.devices.push({ ...device, householdId });
          await writeCredentials(values.credentials, file);
        }
        if (values['mosquitto-passwd'] !== undefined) {
          fs.appendFileSync(values['mosquitto-passwd'], `${mosquittoPasswordLine(device.id, device.secret)}\n`, {
            mode: 0o600,
          });
        }
        out.write(
          values.json
            ? `${JSON.stringify({ ...device, householdId })}\n`
            : `设备 device ${device.id}\n密钥 secret ${device.secret}\n${both('密钥只显示这一次，保存的是它的哈希', 'the secret is shown only now; it is stored as a hash')}`,
        );
        return 0;
      }
      case 'list':
        return listHouseholds(s, values.json, out);
      case 'add-person': {
        const role = need('role');
        if (!(PERSON_ROLES as readonly string[]).includes(role))
          throw new UsageError(
            `--role 应为 ${PERSON_ROLES.join('、')} 之一`,
            `--role must be one of ${PERSON_ROLES.join(', ')}`,
          );
        const tier = positiveInt('tier', need('tier'));
        if (tier < 1 || tier > 3) throw new UsageError('--tier 应为 1、2 或 3', '--tier must be 1, 2 or 3');
        const phone = mobile(need('phone'));
        const scope = findScope(s, values.compound, values.building);
        if (values.community !== undefined && values.compound !== undefined)
          throw new UsageError(
            '--community 用于整个社区的人员，不能同时给 --compound',
            "--community is for a whole community's person: without --compound",
          );
        const communityId = communityOption(s, values.community);
        const id = s.people.add(
          {
            name: need('name').trim(),
            phone,
            role: role as PersonRole,
            tier: tier as 1 | 2 | 3,
            ...scope,
            communityId,
          },
          now,
        );
        out.write(values.json ? `${JSON.stringify({ id })}\n` : both(`已添加人员 ${id}`, `person ${id} added`));
        return 0;
      }
      case 'add-contact': {
        const householdId = positiveInt('household', need('household'));
        if (s.places.getHousehold(householdId) === null)
          throw new UsageError(`住户 ${householdId} 不存在`, `household ${householdId} does not exist`);
        const id = s.people.addContact(
          {
            householdId,
            name: need('name').trim(),
            phone: mobile(need('phone')),
            relation: values.relation?.trim() ?? '',
          },
          now,
        );
        out.write(values.json ? `${JSON.stringify({ id })}\n` : both(`已添加紧急联系人 ${id}`, `contact ${id} added`));
        return 0;
      }
      case 'add-channel':
        return addChannelCommand(values, s, now, publicBase, out);
      case 'list-channels':
        return listChannels(s, values.json, out);
      case 'set-policy': {
        const { compoundId } = findScope(s, need('compound'), undefined);
        let input: unknown;
        try {
          input = JSON.parse(need('policy'));
        } catch {
          throw new UsageError('--policy 应为 JSON 对象', '--policy must be a JSON object');
        }
        const checked = checkPolicy(input);
        if (!checked.ok) throw new UsageError(`响应策略不正确：${checked.reason}`, `policy: ${checked.reason}`);
        s.places.setCompoundPolicy(compoundId as number, input);
        out.write(
          values.json
            ? `${JSON.stringify(checked.value)}\n`
            : both(`${values.compound} 的响应策略已设置`, `policy of ${values.compound} set`),
        );
        return 0;
      }
      case 'set-checkin':
        return setCheckInCommand(values, s, out);
      case 'people':
        return listPeople(s, values.json, out);
      default: {
        const compoundId = (name: string | undefined) => findScope(s, name, undefined).compoundId as number;
        const code =
          runDutyCommand(cmd, values, s, compoundId, now, out) ??
          runPlacesCommand(cmd, values, s, now, out) ??
          runHouseholdsCommand(cmd, values, s, now, out) ??
          runLifecycleCommand(cmd, values, s, now, out);
        if (code !== null) return code;
        throw new UsageError(
          `未知命令 ${JSON.stringify(cmd)}，见 --help`,
          `unknown command ${JSON.stringify(cmd)}; see --help`,
        );
      }
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runAdmin(process.argv.slice(2), process.env, process.stdout).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const { text, known } = errorText(err);
      process.stderr.write(`admin: ${text}\n`);
      process.exit(known ? 2 : 1);
    },
  );
}
