import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { CredentialsFile } from '../../protocol/credentials.js';
import { loadCredentials, writeCredentials } from './credentials-file.js';
import { provisionDevice } from '../app/provision.js';
import { scheduleOf } from '../app/check-ins.js';
import { setCheckInSchedule } from '../app/set-check-in-schedule.js';
import { checkPolicy } from '../domain/policy.js';
import { addChannel, callbackPath, publicChannel } from '../app/channels.js';
import { mediumOf } from '../notify/phone.js';
import { PERSON_ROLES, type PersonRole } from '../domain/community.js';
import { mainlandMobile, NOT_A_MOBILE } from '../domain/phone.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../store/db.js';
import { createStores, type SqliteStores } from '../store/index.js';
import { mosquittoAcl, mosquittoPasswordLine } from './mosquitto.js';
import { DUTY_HELP, DUTY_OPTIONS, runDutyCommand } from './duty.js';
import { communityOption, findScope, PLACES_HELP, PLACES_OPTIONS, runPlacesCommand } from './places.js';
import { UsageError } from './usage-error.js';
import { HOUSEHOLDS_HELP, HOUSEHOLDS_OPTIONS, runHouseholdsCommand } from './households.js';

export const ADMIN_HELP = `彩带之约 · Ribbon Pact admin

Usage: npm run admin -- <command> [options]
Works on the database in DATA_DIR (default ./data); safe while the server runs.

Commands:
  add-household --compound NAME --building NAME --name NAME [--room ROOM] [--timezone TZ]
                [--community ID|NAME]
        Adds a household (compound and building are found by name or created; a new compound
        goes in --community, default the default community). Prints its id.
  add-device --household ID [--id DEVICE_ID] [--credentials FILE] [--mosquitto-passwd FILE]
        Provisions a device for a household and prints its id and secret. The secret is shown
        only now: it is stored as a hash. --credentials appends the device to a device-sim
        credentials file; --mosquitto-passwd appends a line to a Mosquitto password file.
  list  Lists households and their devices (tab-separated).
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
  people  Lists the people and their scope.
${DUTY_HELP}${PLACES_HELP}${HOUSEHOLDS_HELP}  mosquitto-acl --out FILE [--server-user NAME]
        Writes a Mosquitto ACL file for the external-broker mode (docs/external-broker.md).
  mosquitto-passwd --out FILE --user NAME [--password=SECRET]
        Appends one account (for the server's own account at Mosquitto) to a password file.
        Without --password, the password is read from the first line of standard input
        (keeps it out of the process list and shell history).

Options:
  --json    print results as JSON
  --help    this text
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
    if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`${command} needs --${name}`);
    return value;
  };

  const positiveInt = (name: 'household' | 'tier' | 'every' | 'grace', value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} takes a whole number`);
    return n;
  };
  /** The 11 digits to store (server/domain/phone.ts), or exit 2 saying what a number must be. */
  const mobile = (value: string): string => {
    const phone = mainlandMobile(value);
    if (phone === null) throw new UsageError(`--phone ${JSON.stringify(value)} ${NOT_A_MOBILE}`);
    return phone;
  };

  // Commands that write files only: no database.
  if (command === 'mosquitto-acl') {
    fs.writeFileSync(need('out'), mosquittoAcl(values['server-user'] ?? 'ribbon-server'));
    out.write(`wrote ${need('out')}\n`);
    return 0;
  }
  if (command === 'mosquitto-passwd') {
    const password = values.password ?? (await readFirstLine(process.stdin));
    if (password.trim() === '')
      throw new UsageError('mosquitto-passwd needs a password (--password=… or on standard input)');
    fs.appendFileSync(need('out'), `${mosquittoPasswordLine(need('user'), password)}\n`, { mode: 0o600 });
    out.write(`added ${need('user')} to ${need('out')}\n`);
    return 0;
  }

  const config = loadConfig(env);
  const stores = createStores(openDatabase(config.dataDir));
  /** The base of callback URLs: --public-url, else PUBLIC_URL (whose default is where the server listens). */
  const publicBase = (): string => {
    const base = values['public-url'] ?? config.publicUrl;
    if (!/^https?:\/\/[^\s/]+/.test(base)) throw new UsageError('--public-url must start with http:// or https://');
    return base.replace(/\/+$/, '');
  };
  try {
    return await run(command, stores);
  } finally {
    stores.db.close();
  }

  async function run(cmd: string, s: SqliteStores): Promise<number> {
    const now = Date.now();
    switch (cmd) {
      case 'add-device': {
        const householdId = Number(need('household'));
        if (!Number.isSafeInteger(householdId) || householdId <= 0)
          throw new UsageError('--household takes a household id (a positive whole number)');
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
            : `device ${device.id}\nsecret ${device.secret}\n(the secret is shown only now; it is stored as a hash)\n`,
        );
        return 0;
      }
      case 'list': {
        const devicesByHousehold = new Map<number, string[]>();
        for (const d of s.devices.list()) {
          if (d.retiredAt !== null) continue;
          devicesByHousehold.set(d.householdId, [...(devicesByHousehold.get(d.householdId) ?? []), d.id]);
        }
        const rows = s.places.listHouseholds().map((h) => ({ ...h, devices: devicesByHousehold.get(h.id) ?? [] }));
        if (values.json) out.write(`${JSON.stringify(rows)}\n`);
        else {
          out.write('id\tcompound\tbuilding\troom\tname\tstate\tdevices\n');
          for (const h of rows) {
            out.write(
              `${h.id}\t${h.compound}\t${h.building}\t${h.room}\t${h.name}\t${h.state ?? '-'}\t${h.devices.join(',')}\n`,
            );
          }
        }
        return 0;
      }
      case 'add-person': {
        const role = need('role');
        if (!(PERSON_ROLES as readonly string[]).includes(role))
          throw new UsageError(`--role must be one of ${PERSON_ROLES.join(', ')}`);
        const tier = positiveInt('tier', need('tier'));
        if (tier < 1 || tier > 3) throw new UsageError('--tier must be 1, 2 or 3');
        const phone = mobile(need('phone'));
        const scope = findScope(s, values.compound, values.building);
        if (values.community !== undefined && values.compound !== undefined)
          throw new UsageError("--community is for a whole community's person: without --compound");
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
        out.write(values.json ? `${JSON.stringify({ id })}\n` : `person ${id}\n`);
        return 0;
      }
      case 'add-contact': {
        const householdId = positiveInt('household', need('household'));
        if (s.places.getHousehold(householdId) === null)
          throw new UsageError(`household ${householdId} does not exist`);
        const id = s.people.addContact(
          {
            householdId,
            name: need('name').trim(),
            phone: mobile(need('phone')),
            relation: values.relation?.trim() ?? '',
          },
          now,
        );
        out.write(values.json ? `${JSON.stringify({ id })}\n` : `contact ${id}\n`);
        return 0;
      }
      case 'add-channel': {
        const kind = need('kind');
        const phone = mediumOf(kind) !== null;
        let settings: Record<string, unknown>;
        if (phone) {
          if (values.url !== undefined || values.secret !== undefined)
            throw new UsageError(`${kind} takes --config (and --endpoint), not --url or --secret`);
          const raw = need('config');
          let input: unknown;
          try {
            input = JSON.parse(raw);
          } catch {
            throw new UsageError('--config must be a JSON object');
          }
          if (input === null || typeof input !== 'object' || Array.isArray(input))
            throw new UsageError('--config must be a JSON object');
          settings = {
            ...(input as Record<string, unknown>),
            ...(values.endpoint ? { endpoint: values.endpoint } : {}),
          };
        } else {
          if (values.config !== undefined || values.endpoint !== undefined)
            throw new UsageError(`${kind} takes --url (and --secret), not --config or --endpoint`);
          settings = { url: need('url'), ...(values.secret !== undefined ? { secret: values.secret } : {}) };
        }
        const compoundId = values.compound === undefined ? null : findScope(s, values.compound, undefined).compoundId;
        const added = addChannel(s, { name: values.name, compoundId, config: { ...settings, kind } }, now);
        if (!added.ok) throw new UsageError(`channel: ${added.reason}`);
        const id = added.channel.id;
        const callbackUrl = added.callbackKey === null ? null : `${publicBase()}${callbackPath(id, added.callbackKey)}`;
        if (values.json) out.write(`${JSON.stringify({ id, ...(callbackUrl === null ? {} : { callbackUrl }) })}\n`);
        else {
          out.write(`channel ${id}\n`);
          if (callbackUrl !== null)
            out.write(
              `callback URL ${callbackUrl}\n(shown only now: paste it into the provider's console for call results)\n`,
            );
        }
        return 0;
      }
      case 'list-channels': {
        const rows = s.channels.list().map(publicChannel);
        if (values.json) out.write(`${JSON.stringify(rows)}\n`);
        else {
          out.write('id\tkind\tmedium\tname\tcompound\tconfig\n');
          for (const c of rows)
            out.write(
              `${c.id}\t${c.kind}\t${c.medium}\t${c.name}\t${c.compoundId ?? '*'}\t${JSON.stringify(c.config)}\n`,
            );
        }
        return 0;
      }
      case 'set-policy': {
        const { compoundId } = findScope(s, need('compound'), undefined);
        let input: unknown;
        try {
          input = JSON.parse(need('policy'));
        } catch {
          throw new UsageError('--policy must be a JSON object');
        }
        const checked = checkPolicy(input);
        if (!checked.ok) throw new UsageError(`policy: ${checked.reason}`);
        s.places.setCompoundPolicy(compoundId as number, input);
        out.write(values.json ? `${JSON.stringify(checked.value)}\n` : `policy of ${values.compound} set\n`);
        return 0;
      }
      case 'set-checkin': {
        const householdId = positiveInt('household', need('household'));
        const stored = s.places.schedule(householdId);
        if (stored === null) throw new UsageError(`household ${householdId} does not exist`);
        const current = scheduleOf(stored);
        let policy = current.policy;
        if (values.deadline !== undefined) policy = { kind: 'deadline', time: values.deadline };
        else if (values.every !== undefined || values.grace !== undefined) {
          policy = {
            kind: 'interval',
            everySec:
              values.every !== undefined
                ? positiveInt('every', values.every)
                : current.policy.kind === 'interval'
                  ? current.policy.everySec
                  : 86_400,
            graceSec:
              values.grace !== undefined
                ? positiveInt('grace', values.grace)
                : current.policy.kind === 'interval'
                  ? current.policy.graceSec
                  : 7_200,
          };
        }
        let quietHours = current.quietHours;
        if (values.quiet !== undefined) {
          const m = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(values.quiet);
          if (values.quiet !== 'none' && m === null) throw new UsageError('--quiet takes HH:MM-HH:MM or none');
          quietHours = m === null ? null : { start: m[1] as string, end: m[2] as string };
        }
        const awayUntil =
          values['away-until'] === undefined
            ? current.awayUntil
            : values['away-until'] === 'none'
              ? null
              : values['away-until'];
        const set = setCheckInSchedule(s, householdId, { policy, timeZone: values.timezone, quietHours, awayUntil });
        if (!set.ok) throw new UsageError(`check-in: ${set.reason}`);
        const { schedule, dueAt: due } = set;
        out.write(
          values.json
            ? `${JSON.stringify({ ...schedule, checkInDueAt: new Date(due).toISOString() })}\n`
            : `check-in of household ${householdId} set; next due ${new Date(due).toISOString()}\n`,
        );
        return 0;
      }
      case 'people': {
        const rows = s.people.list();
        if (values.json) out.write(`${JSON.stringify(rows)}\n`);
        else {
          out.write('id\ttier\trole\tname\tphone\tcompound\tbuilding\tcommunity\n');
          for (const p of rows)
            out.write(
              `${p.id}\t${p.tier}\t${p.role}\t${p.name}\t${p.phone ?? '-'}\t${p.compoundId ?? '*'}\t${p.buildingId ?? '*'}\t${p.communityId ?? '*'}\n`,
            );
        }
        return 0;
      }
      default: {
        const compoundId = (name: string | undefined) => findScope(s, name, undefined).compoundId as number;
        const code =
          runDutyCommand(cmd, values, s, compoundId, now, out) ??
          runPlacesCommand(cmd, values, s, now, out) ??
          runHouseholdsCommand(cmd, values, s, now, out);
        if (code !== null) return code;
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}; see --help`);
      }
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runAdmin(process.argv.slice(2), process.env, process.stdout).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const known =
        err instanceof UsageError ||
        err instanceof ConfigError ||
        err instanceof RangeError ||
        (err instanceof TypeError && 'code' in err);
      process.stderr.write(`admin: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(known ? 2 : 1);
    },
  );
}
