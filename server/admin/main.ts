import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadCredentials, writeCredentials, type CredentialsFile } from '../../device-sim/credentials.js';
import { addHousehold, provisionDevice } from '../app/provision.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../store/db.js';
import { createStores, type Stores } from '../store/index.js';
import { mosquittoAcl, mosquittoPasswordLine } from './mosquitto.js';

export const ADMIN_HELP = `彩带之约 · Ribbon Pact admin

Usage: npm run admin -- <command> [options]
Works on the database in DATA_DIR (default ./data); safe while the server runs.

Commands:
  add-household --compound NAME --building NAME --name NAME [--room ROOM] [--timezone TZ]
        Adds a household (compound and building are found by name or created). Prints its id.
  add-device --household ID [--id DEVICE_ID] [--credentials FILE] [--mosquitto-passwd FILE]
        Provisions a device for a household and prints its id and secret. The secret is shown
        only now: it is stored as a hash. --credentials appends the device to a device-sim
        credentials file; --mosquitto-passwd appends a line to a Mosquitto password file.
  list  Lists households and their devices (tab-separated).
  mosquitto-acl --out FILE [--server-user NAME]
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

export class UsageError extends Error {
  override name = 'UsageError';
}

type Out = { write(text: string): void };

export async function runAdmin(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, out: Out): Promise<number> {
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

  // Commands that write files only: no database.
  if (command === 'mosquitto-acl') {
    fs.writeFileSync(need('out'), mosquittoAcl(values['server-user'] ?? 'ribbon-server'));
    out.write(`wrote ${need('out')}\n`);
    return 0;
  }
  if (command === 'mosquitto-passwd') {
    const password = values.password ?? (await readFirstLine(process.stdin));
    if (password.trim() === '') throw new UsageError('mosquitto-passwd needs a password (--password=… or on standard input)');
    fs.appendFileSync(need('out'), `${mosquittoPasswordLine(need('user'), password)}\n`, { mode: 0o600 });
    out.write(`added ${need('user')} to ${need('out')}\n`);
    return 0;
  }

  const config = loadConfig(env);
  const stores = createStores(openDatabase(config.dataDir));
  try {
    return await run(command, stores);
  } finally {
    stores.db.close();
  }

  async function run(cmd: string, s: Stores): Promise<number> {
    const now = Date.now();
    switch (cmd) {
      case 'add-household': {
        const id = addHousehold(
          s,
          {
            compound: need('compound'),
            building: need('building'),
            name: need('name'),
            room: values.room ?? '',
            ...(values.timezone !== undefined ? { timezone: values.timezone } : {}),
          },
          now,
        );
        out.write(values.json ? `${JSON.stringify({ id })}\n` : `household ${id}\n`);
        return 0;
      }
      case 'add-device': {
        const householdId = Number(need('household'));
        if (!Number.isSafeInteger(householdId) || householdId <= 0) throw new UsageError('--household takes a household id (a positive whole number)');
        const device = provisionDevice(s, householdId, now, values.id);
        if (values.credentials !== undefined) {
          const file: CredentialsFile = fs.existsSync(values.credentials) ? await loadCredentials(values.credentials) : { devices: [] };
          file.devices.push({ ...device, householdId });
          await writeCredentials(values.credentials, file);
        }
        if (values['mosquitto-passwd'] !== undefined) {
          fs.appendFileSync(values['mosquitto-passwd'], `${mosquittoPasswordLine(device.id, device.secret)}\n`, { mode: 0o600 });
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
            out.write(`${h.id}\t${h.compound}\t${h.building}\t${h.room}\t${h.name}\t${h.state ?? '-'}\t${h.devices.join(',')}\n`);
          }
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}; see --help`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runAdmin(process.argv.slice(2), process.env, process.stdout).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const known = err instanceof UsageError || err instanceof ConfigError || err instanceof RangeError || (err instanceof TypeError && 'code' in err);
      process.stderr.write(`admin: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(known ? 2 : 1);
    },
  );
}
