import fs from 'node:fs';
import { anonymiseHousehold, householdData, personData } from '../app/personal-data.js';
import type { SqliteStores } from '../store/index.js';
import { createPersonalDataStore } from '../store/personal-data.js';
import { UsageError } from './usage-error.js';

/** The data's lifecycle commands' part of `--help` (server/admin/main.ts). */
export const LIFECYCLE_HELP = `  anonymise-household --household ID
        A closed household's personal data removed (PIPL): its name becomes 已注销住户, its
        contacts are deleted, the notes of its reports, visits and alerts cleared; its address,
        ribbons and alert times stay (docs/privacy.md). Only a closed household; again: no change.
  export-person --household ID | --person ID --out FILE
        Everything stored about an elder (their household) or a person, as a JSON file (0600).
`;

export const LIFECYCLE_OPTIONS = {
  person: { type: 'string' },
} as const;

type Values = { household?: string; person?: string; out?: string; json?: boolean };
type Out = { write(text: string): void };

function idOf(option: 'household' | 'person', value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`--${option} 须为正整数编号 / takes an id (a positive whole number)`);
  return n;
}

/** Runs a lifecycle command; null when `cmd` is none of them. */
export function runLifecycleCommand(
  cmd: string,
  values: Values,
  s: SqliteStores,
  now: number,
  out: Out,
): number | null {
  if (cmd !== 'anonymise-household' && cmd !== 'export-person') return null;
  const store = createPersonalDataStore(s.db);
  if (cmd === 'anonymise-household') {
    if (values.household === undefined) throw new UsageError('anonymise-household needs --household');
    const id = idOf('household', values.household);
    const result = anonymiseHousehold(store, id, now);
    if (!result.ok) {
      throw new UsageError(
        result.kind === 'notFound'
          ? `住户 ${id} 不存在 / household ${id} does not exist`
          : `住户 ${id} 尚未注销：只有已注销的住户可以匿名化 / household ${id} is not closed: only a closed household can be anonymised`,
      );
    }
    out.write(
      values.json
        ? `${JSON.stringify({ householdId: id, anonymised: true, changed: result.changed })}\n`
        : `household ${id} anonymised${result.changed ? '' : ' (already)'}\n`,
    );
    return 0;
  }
  if (values.out === undefined || values.out.trim() === '') throw new UsageError('export-person needs --out FILE');
  if ((values.household === undefined) === (values.person === undefined))
    throw new UsageError('export-person needs --household ID or --person ID (one of them)');
  const data =
    values.household !== undefined
      ? householdData(store, idOf('household', values.household), now)
      : personData(store, idOf('person', values.person as string), now);
  if (data === null) throw new UsageError('没有此记录 / no such record');
  // Personal data: readable by its owner only, also when the file was there before.
  fs.writeFileSync(values.out, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(values.out, 0o600);
  out.write(`wrote ${values.out}\n`);
  return 0;
}
