import { changeCompound, changePlace, checkScope, createPlace, findArea, type PlaceProblem } from '../app/places.js';
import type { Area } from '../app/ports.js';
import { type AreaLevel, DEFAULT_AREAS, SCOPE_LEVELS, type ScopeEntry, type ScopeLevel } from '../domain/places.js';
import type { SqliteStores } from '../store/index.js';
import { both, missingOption, UsageError } from './usage-error.js';

const LEVEL_ZH: Record<string, string> = {
  place: '地方',
  district: '区',
  street: '街道',
  community: '社区',
  compound: '小区',
};

/** The places commands' part of `--help` (server/admin/main.ts). */
export const PLACES_HELP = `  list-places
        The district, its streets (街道) and communities (社区), and each compound's community.
  add-place --level street|community --name NAME [--parent ID|NAME]
        A street (under the district) or a community (under the street --parent; default: the
        only street if there is one). Names are unique among siblings. Prints its id.
  rename-place --place ID|NAME --name NAME
        Renames a place (the district too: --place 1 --name 于洪区).
  move-place --place ID|NAME --parent ID|NAME
  move-place --compound NAME --parent COMMUNITY
        Moves a community to another street, or a compound to another community. Scopes follow
        the place (a street's official then sees the moved compounds; open dashboards get a
        fresh snapshot at the live feed's next beat, within 30 s).
  set-scope --user USERNAME --scope LEVEL:ID|NAME[:ro][,…]
        What a user sees: places at any level (district, street, community, compound), each
        editable or read-only (:ro — a leader who watches). --scope none empties it.
        e.g. --scope street:东街道:ro,compound:阳光小区
  A compound is put in a community where it is added: add-household --community ID|NAME (a new
  compound goes there; an existing one must already be there). add-person --community ID|NAME
  adds a whole community's person (no --compound).
`;

export const PLACES_OPTIONS = {
  level: { type: 'string' },
  parent: { type: 'string' },
  place: { type: 'string' },
  community: { type: 'string' },
  scope: { type: 'string' },
} as const;

type Values = Partial<Record<keyof typeof PLACES_OPTIONS | 'name' | 'compound' | 'user', string>> & {
  json?: boolean;
};
type Out = { write(text: string): void };

const wordsOf = (p: PlaceProblem) => `${p.field}: ${p.message}`;

/** The one area a reference names (id or name), or exit 2 saying none or which ones. */
export function oneArea(s: SqliteStores, ref: string, option: string, level?: AreaLevel): Area {
  const found = findArea(s, ref, level);
  if (found.length === 1) return found[0] as Area;
  if (found.length === 0)
    throw new UsageError(
      `--${option}：没有${LEVEL_ZH[level ?? 'place']} ${JSON.stringify(ref)}`,
      `--${option}: no ${level ?? 'place'} ${JSON.stringify(ref)}`,
    );
  throw new UsageError(
    `--${option}：有 ${found.length} 个地方叫 ${JSON.stringify(ref)}（编号 ${found.map((a) => a.id).join('、')}），请给编号`,
    `--${option}: ${found.length} places are named ${JSON.stringify(ref)} (ids ${found.map((a) => a.id).join(', ')}); give the id`,
  );
}

function compoundId(s: SqliteStores, name: string): number {
  const c = s.places.listCompounds().find((x) => x.name === name.trim());
  if (c === undefined)
    throw new UsageError(`没有名为 ${JSON.stringify(name)} 的小区`, `no compound named ${JSON.stringify(name)}`);
  return c.id;
}

/** "street:东街道:ro,compound:阳光小区" → scope entries (checked against the database after). */
function scopeOf(s: SqliteStores, text: string): ScopeEntry[] {
  if (text.trim() === 'none') return [];
  return text.split(',').map((part) => {
    const bits = part.trim().split(':');
    const level = bits[0] as ScopeLevel;
    const readOnly = bits.length === 3 && bits[2] === 'ro';
    if (!SCOPE_LEVELS.includes(level) || bits.length < 2 || bits.length > 3 || (bits.length === 3 && !readOnly))
      throw new UsageError(
        `--scope：${JSON.stringify(part)} 应为 层级:编号|名称[:ro]`,
        `--scope: ${JSON.stringify(part)} is not LEVEL:ID|NAME[:ro] (LEVEL: ${SCOPE_LEVELS.join(', ')})`,
      );
    const ref = bits[1] as string;
    if (level === 'compound') return { level, id: /^\d+$/.test(ref) ? Number(ref) : compoundId(s, ref), readOnly };
    return { level, id: oneArea(s, ref, 'scope', level).id, readOnly };
  });
}

/** The community a compound is put in (--community), for add-household and add-person. */
export function communityOption(s: SqliteStores, ref: string | undefined): number | null {
  return ref === undefined ? null : oneArea(s, ref, 'community', 'community').id;
}

/** Runs a places command; null when `cmd` is none of them. The rules are app/places.ts's, as the API's. */
export function runPlacesCommand(cmd: string, values: Values, s: SqliteStores, now: number, out: Out): number | null {
  const need = (name: keyof Values): string => {
    const value = values[name];
    if (typeof value !== 'string' || value.trim() === '') throw missingOption(cmd, name);
    return value;
  };
  const print = (json: unknown, text: string) => out.write(values.json ? `${JSON.stringify(json)}\n` : text);
  switch (cmd) {
    case 'list-places': {
      const areas = s.areas.list();
      const communities = s.areas.compoundCommunities();
      const compounds = s.places.listCompounds().map((c) => ({ ...c, communityId: communities.get(c.id) ?? null }));
      if (values.json) out.write(`${JSON.stringify({ areas, compounds })}\n`);
      else {
        const nameOf = new Map(areas.map((a) => [a.id, a.name]));
        const parent = (id: number | null) => (id === null ? '-' : `${id} ${nameOf.get(id) ?? ''}`.trim());
        out.write('编号 id\t层级 level\t名称 name\t上级 parent\n');
        for (const a of areas) out.write(`${a.id}\t${a.level}\t${a.name}\t${parent(a.parentId)}\n`);
        for (const c of compounds) out.write(`${c.id}\tcompound\t${c.name}\t${parent(c.communityId)}\n`);
      }
      return 0;
    }
    case 'add-place': {
      const level = need('level');
      if (level !== 'street' && level !== 'community')
        throw new UsageError('--level 应为 street（街道）或 community（社区）', '--level must be street or community');
      let parentId: number | null = null;
      if (values.parent !== undefined) parentId = oneArea(s, values.parent, 'parent').id;
      else if (level === 'community') {
        const streets = s.areas.list().filter((a) => a.level === 'street');
        if (streets.length !== 1)
          throw new UsageError(
            'add-place --level community 需要 --parent（所属街道）',
            'add-place --level community needs --parent (the street)',
          );
        parentId = (streets[0] as Area).id;
      }
      const made = createPlace(s, { level, name: need('name'), parentId }, now);
      if (!made.ok) throw new UsageError(`无法添加：${wordsOf(made.problem)}`, `add-place: ${wordsOf(made.problem)}`);
      print(made.value, both(`已添加${LEVEL_ZH[level]} ${made.value.id}`, `${level} ${made.value.id} added`));
      return 0;
    }
    case 'rename-place': {
      const area = oneArea(s, need('place'), 'place');
      const changed = changePlace(s, area.id, { name: need('name') });
      if (!changed.ok)
        throw new UsageError(`无法改名：${wordsOf(changed.problem)}`, `rename-place: ${wordsOf(changed.problem)}`);
      print(
        changed.value.area,
        both(`${area.id} 已改名为 ${changed.value.area.name}`, `place ${area.id} is now ${changed.value.area.name}`),
      );
      return 0;
    }
    case 'move-place': {
      if (values.compound !== undefined) {
        const id = compoundId(s, values.compound);
        const community = oneArea(s, need('parent'), 'parent', 'community');
        const changed = changeCompound(s, id, { communityId: community.id });
        if (!changed.ok)
          throw new UsageError(`无法移动：${wordsOf(changed.problem)}`, `move-place: ${wordsOf(changed.problem)}`);
        print(
          { id, communityId: community.id },
          both(
            `小区 ${values.compound} 已归入 ${community.name}`,
            `compound ${values.compound} is in ${community.name}`,
          ),
        );
        return 0;
      }
      const area = oneArea(s, need('place'), 'place');
      const parent = oneArea(s, need('parent'), 'parent');
      const changed = changePlace(s, area.id, { parentId: parent.id });
      if (!changed.ok)
        throw new UsageError(`无法移动：${wordsOf(changed.problem)}`, `move-place: ${wordsOf(changed.problem)}`);
      print(changed.value.area, both(`${area.name} 已归入 ${parent.name}`, `${area.name} is under ${parent.name}`));
      return 0;
    }
    case 'set-scope': {
      const found = s.users.forLogin(need('user'));
      if (found === null)
        throw new UsageError(`没有账号 ${JSON.stringify(values.user)}`, `no user ${JSON.stringify(values.user)}`);
      const checked = checkScope(s, scopeOf(s, need('scope')));
      if (!checked.ok)
        throw new UsageError(`范围不正确：${wordsOf(checked.problem)}`, `set-scope: ${wordsOf(checked.problem)}`);
      s.transaction(() => s.users.setScope(found.user.id, checked.value));
      const user = s.users.get(found.user.id);
      print(
        { scope: user?.scope, compoundIds: user?.compoundIds },
        both(
          `${values.user} 的范围：${user?.compoundIds.length ?? 0} 个小区`,
          `scope of ${values.user}: ${user?.compoundIds.length ?? 0} compounds`,
        ),
      );
      return 0;
    }
    default:
      return null;
  }
}

/**
 * Before add-household with --community: an existing compound must already be in that community
 * (refused before anything is written). Returns what to do once the household is added: put a
 * compound made just now in the community.
 */
export function compoundCommunity(s: SqliteStores, compoundName: string, ref: string | undefined): () => void {
  const communityId = communityOption(s, ref);
  if (communityId === null) return () => undefined;
  const existing = s.places.listCompounds().find((c) => c.name === compoundName.trim());
  if (existing !== undefined) {
    const current = s.areas.compoundCommunities().get(existing.id) ?? DEFAULT_AREAS.community;
    if (current !== communityId)
      throw new UsageError(
        `小区 ${existing.name} 属于社区 ${current}，不是 ${communityId}（用 move-place --compound 移动）`,
        `compound ${existing.name} is in community ${current}, not ${communityId} (move it with move-place --compound)`,
      );
    return () => undefined;
  }
  return () => s.areas.setCompoundCommunity(compoundId(s, compoundName), communityId);
}

/** A compound (and building) by name, which must exist: a typo must not create a new one. */
export function findScope(
  s: SqliteStores,
  compound: string | undefined,
  building: string | undefined,
): { compoundId: number | null; buildingId: number | null } {
  if (compound === undefined) {
    if (building !== undefined) throw new UsageError('--building 需要同时给 --compound', '--building needs --compound');
    return { compoundId: null, buildingId: null };
  }
  const c = s.places.listCompounds().find((x) => x.name === compound.trim());
  if (c === undefined)
    throw new UsageError(
      `没有名为 ${JSON.stringify(compound)} 的小区`,
      `no compound named ${JSON.stringify(compound)}`,
    );
  if (building === undefined) return { compoundId: c.id, buildingId: null };
  const b = s.places.findBuilding(c.id, building.trim());
  if (b === null)
    throw new UsageError(
      `${compound} 没有楼栋 ${JSON.stringify(building)}`,
      `no building ${JSON.stringify(building)} in ${compound}`,
    );
  return { compoundId: c.id, buildingId: b.id };
}
