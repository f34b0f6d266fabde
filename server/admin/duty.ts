import {
  addCommunityDutyOverride,
  addDutyOverride,
  communityDutyNow,
  dutyNow,
  type DutyProblem,
  type OverrideInput,
  setCommunityDutyShifts,
  setDutyShifts,
  type ShiftInput,
  type TierDuty,
} from '../app/duty.js';
import type { Tier } from '../domain/alert.js';
import { parseDutyInstant, type Weekday } from '../domain/duty.js';
import { localDateTime } from '../domain/zoned-time.js';
import { DEFAULT_TIME_ZONE } from '../../protocol/ribbon.js';
import type { SqliteStores } from '../store/index.js';
import { communityOption } from './places.js';
import { both, missingOption, UsageError } from './usage-error.js';

/** The duty roster commands' part of `--help` (server/admin/main.ts). */
export const DUTY_HELP = `  set-shift --compound NAME|--community ID|NAME --tier 1|2|3 --days 1-5 --start HH:MM --end HH:MM
            --people ID[,ID…] [--timezone TZ]
        A weekly shift of the compound's duty roster (值班表), or of the community's (社区值班表:
        the roster of every compound of it at a tier it has no roster of its own for; a
        compound's own roster wins). Days: ISO weekdays, 1 = Monday …
        7 = Sunday, as 1-5 or 1,3,5 (the day the shift starts); an end at or before the start is
        the next day (20:00–08:00). The same tier, days and times again replace the shift's people;
        --people none removes it. People: ids from \`people\`, of that tier, whose scope is the
        compound or the whole community (for a community's roster: the whole district's, the
        community's, or a whole compound's of it). --timezone: the roster's zone (default Asia/Shanghai).
  duty --compound NAME|--community ID|NAME [--at TIME]
        The roster: who is on duty now (or at TIME) and who is next, per tier (for a compound, a
        tier without its own roster follows its community's); the weekly shifts; the swaps and
        leave not over yet.
  add-override --compound NAME|--community ID|NAME --tier 1|2|3 --person ID [--replacement ID]
               --from TIME --to TIME [--note TEXT]
        A swap (--replacement takes the person's shifts between the two times) or leave (no
        --replacement: nobody in place). TIME: 2026-11-25T20:00 in the roster's zone, or ISO 8601
        with a zone (2026-11-25T20:00:00+08:00).
`;

export const DUTY_OPTIONS = {
  days: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  people: { type: 'string' },
  person: { type: 'string' },
  replacement: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  note: { type: 'string' },
  at: { type: 'string' },
} as const;

type Values = Partial<Record<keyof typeof DUTY_OPTIONS | 'compound' | 'community' | 'tier' | 'timezone', string>> & {
  json?: boolean;
};
type Out = { write(text: string): void };

const wordsOf = (problems: readonly DutyProblem[]) => problems.map((p) => `${p.path}: ${p.message}`).join('; ');

function idOf(name: string, value: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value))
    throw new UsageError(`--${name} 应为人员编号（正整数）`, `--${name} takes a person's id (a positive whole number)`);
  return Number(value);
}

function tierOf(value: string | undefined): Tier {
  if (value !== '1' && value !== '2' && value !== '3')
    throw new UsageError('--tier 应为 1、2 或 3', '--tier must be 1, 2 or 3');
  return Number(value) as Tier;
}

/** "1-5", "1,3,5", "6-7,1" → ISO weekdays. */
function daysOf(value: string): Weekday[] {
  const days = new Set<number>();
  for (const part of value.split(',')) {
    const m = /^([1-7])(?:-([1-7]))?$/.exec(part.trim());
    if (m === null)
      throw new UsageError(
        '--days 应为星期 1–7（1 = 星期一），如 1-5 或 1,3,5',
        '--days takes weekdays 1–7 (1 = Monday) as 1-5 or 1,3,5',
      );
    const from = Number(m[1]);
    const to = Number(m[2] ?? m[1]);
    if (to < from) throw new UsageError('--days：范围应从小到大，如 1-5', '--days: a range goes up, as 1-5');
    for (let d = from; d <= to; d++) days.add(d);
  }
  return [...days].sort() as Weekday[];
}

/**
 * Runs a duty roster command; null when `cmd` is none of them. The rules are the API's
 * (app/duty.ts); a problem exits 2 with the field's words.
 */
export function runDutyCommand(
  cmd: string,
  values: Values,
  s: SqliteStores,
  compoundIdOf: (name: string | undefined) => number,
  now: number,
  out: Out,
): number | null {
  const need = (name: keyof Values): string => {
    const value = values[name];
    if (typeof value !== 'string' || value.trim() === '') throw missingOption(cmd, name);
    return value;
  };
  type Roster = {
    timeZone: string | null;
    shifts: Array<ShiftInput & { id: number }>;
    overrides: Array<{
      id: number;
      tier: Tier;
      personId: number;
      replacementId: number | null;
      from: number;
      to: number;
      note: string;
    }>;
  };
  /** The roster the command is about: the compound's (--compound) or the community's (--community). */
  const owner = (): {
    label: string;
    roster(at: number): Roster;
    tiers(at: number): TierDuty[];
    set(shifts: ShiftInput[]): { ok: true; roster: unknown } | { ok: false; problems: DutyProblem[] };
    add(input: OverrideInput): { ok: true; override: { id: number } } | { ok: false; problems: DutyProblem[] };
  } => {
    if (values.community !== undefined) {
      if (values.compound !== undefined)
        throw new UsageError(
          `${cmd} 用 --compound 或 --community，不能两个都给`,
          `${cmd} takes --compound or --community, not both`,
        );
      const communityId = communityOption(s, values.community) as number;
      return {
        label: `community ${values.community}`,
        roster: (at) => s.duty.communityRoster(communityId, at),
        tiers: (at) => communityDutyNow(s, s.duty.communityRoster(communityId, at), at),
        set: (shifts) => setCommunityDutyShifts(s, communityId, { timeZone: values.timezone, shifts }, now),
        add: (input) => addCommunityDutyOverride(s, communityId, input, now),
      };
    }
    const compoundId = compoundIdOf(need('compound'));
    return {
      label: `${values.compound}`,
      roster: (at) => s.duty.roster(compoundId, at),
      tiers: (at) => dutyNow(s, s.duty.roster(compoundId, at), at),
      set: (shifts) => setDutyShifts(s, compoundId, { timeZone: values.timezone, shifts }, now),
      add: (input) => addDutyOverride(s, compoundId, input, now),
    };
  };
  switch (cmd) {
    case 'set-shift': {
      const place = owner();
      const tier = tierOf(need('tier'));
      const days = daysOf(need('days'));
      const start = need('start');
      const end = need('end');
      const people = need('people');
      const personIds = people === 'none' ? [] : people.split(',').map((p) => idOf('people', p.trim()));
      const current = place.roster(now);
      const same = (x: { tier: Tier; days: readonly number[]; start: string; end: string }) =>
        x.tier === tier && x.start === start && x.end === end && x.days.join() === days.join();
      const shifts: ShiftInput[] = current.shifts
        .filter((x) => !same(x))
        .map((x) => ({ tier: x.tier, days: x.days, start: x.start, end: x.end, personIds: x.personIds }));
      if (personIds.length > 0) shifts.push({ tier, days, start, end, personIds });
      const set = place.set(shifts);
      if (!set.ok)
        throw new UsageError(`值班表不正确：${wordsOf(set.problems)}`, `duty roster: ${wordsOf(set.problems)}`);
      out.write(
        values.json
          ? `${JSON.stringify(set.roster)}\n`
          : both(
              `${place.label} 的值班表已设置（${shifts.length} 个班次）`,
              `roster of ${place.label} set (${shifts.length} shifts)`,
            ),
      );
      return 0;
    }
    case 'add-override': {
      const place = owner();
      const added = place.add({
        tier: tierOf(need('tier')),
        personId: idOf('person', need('person')),
        replacementId: values.replacement === undefined ? null : idOf('replacement', values.replacement),
        from: need('from'),
        to: need('to'),
        note: values.note,
        by: 'admin-cli',
      });
      if (!added.ok)
        throw new UsageError(`调班不正确：${wordsOf(added.problems)}`, `override: ${wordsOf(added.problems)}`);
      out.write(
        values.json
          ? `${JSON.stringify(added.override)}\n`
          : both(`已添加调班 ${added.override.id}`, `override ${added.override.id} added`),
      );
      return 0;
    }
    case 'duty': {
      const place = owner();
      const roster = place.roster(now);
      const zone = roster.timeZone ?? DEFAULT_TIME_ZONE;
      let at = now;
      if (values.at !== undefined) {
        const parsed = parseDutyInstant(values.at, zone);
        if (parsed === null)
          throw new UsageError(
            '--at 应为 2026-11-25T20:00（值班表的时区）或带时区的 ISO 8601',
            '--at takes 2026-11-25T20:00 (the roster’s zone) or ISO 8601 with a zone',
          );
        at = parsed;
      }
      const tiers = place.tiers(at);
      if (values.json) {
        out.write(`${JSON.stringify({ ...roster, at, tiers })}\n`);
        return 0;
      }
      const names = (ids: readonly number[]) =>
        ids.length === 0 ? '(nobody 无人)' : ids.map((id) => `${s.people.get(id)?.name ?? '?'} (${id})`).join(', ');
      out.write(
        both(
          `${place.label} 的值班表，时区 ${zone}，时间 ${localDateTime(at, zone)}`,
          `roster of ${place.label}, zone ${zone}, at ${localDateTime(at, zone)}`,
        ),
      );
      for (const t of tiers) {
        if (!t.roster) {
          out.write(`tier ${t.tier}\tno roster: everyone of the tier answers 无值班表：该梯队所有人都应答\n`);
          continue;
        }
        const next =
          t.next === null ? 'no change 不变' : `${localDateTime(t.next.at, zone)} ${names(t.next.personIds)}`;
        const whose =
          values.community === undefined && t.source === 'community' ? " (the community's roster) 社区的值班表" : '';
        out.write(`tier ${t.tier}\ton duty: ${names(t.onDuty)}\tnext: ${next}${whose}\n`);
      }
      out.write('shift 班次\ttier 梯队\tdays 星期\tstart 开始\tend 结束\tpeople 人员\n');
      for (const x of roster.shifts)
        out.write(`${x.id}\t${x.tier}\t${x.days.join(',')}\t${x.start}\t${x.end}\t${x.personIds.join(',')}\n`);
      out.write('override 调班\ttier 梯队\tperson 人员\treplacement 替班\tfrom 从\tto 到\tnote 说明\n');
      for (const o of roster.overrides)
        out.write(
          `${o.id}\t${o.tier}\t${o.personId}\t${o.replacementId ?? 'leave'}\t${localDateTime(o.from, zone)}\t${localDateTime(o.to, zone)}\t${o.note}\n`,
        );
      return 0;
    }
    default:
      return null;
  }
}
