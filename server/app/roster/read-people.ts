import type { Tier } from '../../domain/alert.js';
import type { PersonRole } from '../ports.js';
import { checkName, DEFAULT_TIER, parsePhone, parseRole, parseTier, ROLE_WORDS } from './cells.js';
import type { PeopleColumn, TableRow } from './columns.js';
import { type RowError, rowError, type Said, said } from './format.js';

export type PersonDraft = {
  line: number;
  name: string;
  /** The 11 digits of a mainland mobile (cells.ts parsePhone). */
  phone: string;
  role: PersonRole;
  tier: Tier;
  compound: string | null;
  building: string | null;
  /** The 街道 / 社区 columns: without a compound, the whole community's person. */
  street: string | null;
  community: string | null;
};

const personKey = (p: {
  name: string;
  phone: string | null;
  role: PersonRole;
  compound: string | null;
  building: string | null;
  community: string | null;
}) => [p.name, p.phone ?? '', p.role, p.compound ?? '', p.building ?? '', p.community ?? ''].join('\u0000');

export function readPeople(rows: readonly TableRow<PeopleColumn>[]): { people: PersonDraft[]; errors: RowError[] } {
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  const people: PersonDraft[] = [];
  for (const row of rows) {
    const { line, values: v } = row;
    const problems = [...row.errors];
    const err = (field: PeopleColumn, words: Said) => problems.push(rowError(line, field, words));
    checkName(v.name, 'name', line, problems);
    const phone = parsePhone(v.phone, ['接警的人', 'a person who answers alarms']);
    if (!phone.ok) err('phone', phone);
    const role = v.role === '' ? null : parseRole(v.role);
    if (role === null) {
      err(
        'role',
        v.role === ''
          ? said('为空（必填）', 'is empty (required)')
          : said(
              `"${v.role}" 不是角色：${Object.values(ROLE_WORDS).join('、')}`,
              `"${v.role}" is not a role: ${Object.values(ROLE_WORDS).join(', ')} (or ${Object.keys(ROLE_WORDS).join(', ')})`,
            ),
      );
    }
    let tier: Tier | null = null;
    if (v.tier !== '') {
      tier = parseTier(v.tier);
      if (tier === null) err('tier', said(`"${v.tier}" 不是层级：1、2 或 3`, `"${v.tier}" is not a tier: 1, 2 or 3`));
    } else if (role !== null) {
      tier = DEFAULT_TIER[role];
      if (tier === null)
        err(
          'tier',
          said(
            `为空：${ROLE_WORDS[role]}须填写层级 1、2 或 3`,
            `is empty; ${ROLE_WORDS[role]} (${role}) needs a tier: 1, 2 or 3`,
          ),
        );
    }
    checkName(v.compound, 'compound', line, problems, false);
    checkName(v.building, 'building', line, problems, false);
    if (v.building !== '' && v.compound === '')
      err('building', said('填写了楼栋，却没有小区', 'is given without a compound'));
    checkName(v.street, 'street', line, problems, false);
    checkName(v.community, 'community', line, problems, false);
    if (v.street !== '' && v.community === '')
      err('community', said('填写了街道，也请填写社区', 'a street needs its community'));
    if (problems.length > 0 || !phone.ok || role === null || tier === null) {
      errors.push(...problems);
      continue;
    }
    const draft: PersonDraft = {
      line,
      name: v.name,
      phone: phone.value,
      role,
      tier,
      compound: v.compound || null,
      building: v.building || null,
      street: v.street || null,
      community: v.community || null,
    };
    const earlier = seen.get(personKey(draft));
    if (earlier !== undefined) {
      errors.push(rowError(line, undefined, said(`与第 ${earlier} 行重复`, `repeats line ${earlier}`)));
      continue;
    }
    seen.set(personKey(draft), line);
    people.push(draft);
  }
  return { people, errors };
}
