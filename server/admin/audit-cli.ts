import os from 'node:os';
import { capText } from '../api/audit.js';
import { ConfigError } from '../config.js';
import type { SqliteStores } from '../store/index.js';
import { UsageError } from './usage-error.js';

/**
 * Admin CLI actions in the audit log, as the operating-system user who ran them (docs/api.md,
 * "Audit log"): every command that changes something — or discloses personal data
 * (export-person) — writes one row: username `os:<user>`, method `CLI`, route the command, record
 * what it touched, status 0 done / 2 refused / 1 failed, no address. Read-only listings are not
 * audited. (mosquitto-acl and mosquitto-passwd write files outside the database and run before
 * it is opened, and restore replaces the database itself: not audited here; restore logs.)
 */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  'list',
  'list-channels',
  'people',
  'duty',
  'list-places',
]);

type Out = { write(text: string): void };
type Values = Readonly<Record<string, unknown>>;

/** Options that name what a command touches, and the record's word for each. */
const NAMING_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['household', 'household'],
  ['person', 'person'],
  ['id', 'device'],
  ['compound', 'compound'],
  ['community', 'community'],
  ['place', 'place'],
  ['user', 'user'],
];
/**
 * A created record as the tool prints it ("已添加住户 12 / household 12 added", "设备 device rp-…"),
 * or its JSON ({"id":12}). Only these words: never the secret's line.
 */
const CREATED = /(?:^|[ /])(household|device|person|contact|channel|place|override|shift) ([\w-]+)(?: added)?$/m;

export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): the uid says who.
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

function recordOf(command: string, values: Values, printed: string): string | null {
  const parts: string[] = [];
  for (const [option, word] of NAMING_OPTIONS) {
    const value = values[option];
    if (typeof value === 'string' && value.trim() !== '') parts.push(`${word}:${value.trim()}`);
  }
  // provision-devices: how many, the first and the last (never a secret: the files hold those).
  const batch = /(\d+) devices added \(([\w-]+) … ([\w-]+)\)/.exec(printed);
  const created = CREATED.exec(printed);
  if (batch !== null) parts.push(`devices:${batch[1]} (${batch[2]} … ${batch[3]})`);
  else if (created !== null) parts.push(`${created[1]}:${created[2]}`);
  else {
    const json = /^\{"id":(\d+)/.exec(printed);
    const noun = /^add-([a-z]+)$/.exec(command)?.[1];
    if (json !== null && noun !== undefined) parts.push(`${noun}:${json[1]}`);
  }
  return parts.length === 0 ? null : capText([...new Set(parts)].join(' '));
}

/** Runs `run` (with an output that is also read for the record) and writes its audit row. */
export async function auditedCommand(
  command: string,
  values: Values,
  stores: SqliteStores,
  out: Out,
  run: (out: Out) => Promise<number>,
  now: () => number = Date.now,
): Promise<number> {
  if (READ_ONLY_COMMANDS.has(command)) return run(out);
  let printed = '';
  const tee: Out = {
    write(text) {
      printed += text;
      out.write(text);
    },
  };
  let status = 1;
  try {
    status = await run(tee);
    return status;
  } catch (err) {
    status = err instanceof UsageError || err instanceof ConfigError || err instanceof RangeError ? 2 : 1;
    throw err;
  } finally {
    try {
      stores.users.audit({
        at: now(),
        userId: null,
        username: `os:${osUser()}`,
        method: 'CLI',
        route: command,
        record: recordOf(command, values, printed),
        status,
        address: null,
      });
    } catch (err) {
      process.stderr.write(
        `admin: could not write the audit log: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
  }
}
