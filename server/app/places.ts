import { type AreaLevel, DEFAULT_AREAS, LEVEL_WORDS, parentLevel, type ScopeEntry } from '../domain/places.js';
import type { Area, Person, Stores, User } from './ports.js';

// Places above the compound (docs/design.md §1: district › street › community › compound), one
// set of rules for the API, the admin CLI and the roster import: levels (a community's parent is
// a street, a street's the district), names trimmed and unique among siblings, a compound in a
// community. The callers turn a problem into their own error (an HTTP status, an exit code, a row).

/** Why a change of places was refused: `path` names the field (body.name, --parent). */
export type PlaceProblem = { kind: 'validation' | 'notFound' | 'conflict'; field: string; message: string };
export type PlaceResult<T> = { ok: true; value: T } | { ok: false; problem: PlaceProblem };

const MAX_NAME = 100;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const fail = (kind: PlaceProblem['kind'], field: string, message: string): { ok: false; problem: PlaceProblem } => ({
  ok: false,
  problem: { kind, field, message },
});

/** "社区 community" — the level as people say it, Chinese first. */
const word = (level: AreaLevel | 'compound' | 'building') => `${LEVEL_WORDS[level].zh} (${LEVEL_WORDS[level].en})`;

/** A name as stored: trimmed, 1–100 characters, no line breaks; or why not. */
export function placeName(raw: string): PlaceResult<string> {
  const name = raw.trim();
  if (name === '' || name.length > MAX_NAME || CONTROL.test(name))
    return fail(
      'validation',
      'name',
      `名称须为 1–${MAX_NAME} 个字符且不含换行 (a name of 1–${MAX_NAME} characters, no line breaks)`,
    );
  return { ok: true, value: name };
}

function siblingTaken(stores: Stores, parentId: number, name: string, except: number | null): Area | null {
  return stores.areas.list().find((a) => a.parentId === parentId && a.name === name && a.id !== except) ?? null;
}

function conflictUnder(stores: Stores, parentId: number, level: AreaLevel, name: string) {
  const parent = stores.areas.get(parentId);
  return fail(
    'conflict',
    'name',
    `${parent?.name ?? ''}已有名为"${name}"的${LEVEL_WORDS[level].zh} (a ${LEVEL_WORDS[level].en} named "${name}" is already under ${parent?.name ?? parentId})`,
  );
}

/** The parent a new or moved area of this level hangs on, checked; a street's default is the district. */
function checkParent(stores: Stores, level: AreaLevel, parentId: number | null): PlaceResult<Area> {
  const wanted = parentLevel(level);
  if (wanted === null)
    return fail(
      'validation',
      'level',
      '只有一个区，不能新建或移动 (there is one district: it is not created or moved)',
    );
  const id = parentId ?? (wanted === 'district' ? DEFAULT_AREAS.district : null);
  if (id === null)
    return fail('validation', 'parentId', `${word(level)} 需要上级${word(wanted)} (needs a parent ${wanted})`);
  const parent = stores.areas.get(id);
  if (parent === null) return fail('notFound', 'parentId', `没有编号为 ${id} 的地点 (no place ${id})`);
  if (parent.level !== wanted)
    return fail(
      'validation',
      'parentId',
      `${word(level)}的上级必须是${word(wanted)}，"${parent.name}"是${word(parent.level)} (a ${level}'s parent must be a ${wanted})`,
    );
  return { ok: true, value: parent };
}

/** A new street (under the district) or community (under a street). */
export function createPlace(
  stores: Stores,
  input: { level: AreaLevel; name: string; parentId: number | null },
  now: number,
): PlaceResult<Area> {
  const name = placeName(input.name);
  if (!name.ok) return name;
  const parent = checkParent(stores, input.level, input.parentId);
  if (!parent.ok) return parent;
  if (siblingTaken(stores, parent.value.id, name.value, null) !== null)
    return conflictUnder(stores, parent.value.id, input.level, name.value);
  const id = stores.areas.create(input.level, name.value, parent.value.id, now);
  return { ok: true, value: stores.areas.get(id) as Area };
}

/** A new name and/or another parent of the right level (a street stays under the district). */
export function changePlace(
  stores: Stores,
  id: number,
  change: { name?: string | undefined; parentId?: number | undefined },
): PlaceResult<{ area: Area; moved: boolean }> {
  const area = stores.areas.get(id);
  if (area === null) return fail('notFound', 'id', `没有编号为 ${id} 的地点 (no place ${id})`);
  let name = area.name;
  if (change.name !== undefined) {
    const checked = placeName(change.name);
    if (!checked.ok) return checked;
    name = checked.value;
  }
  let parentId = area.parentId;
  if (change.parentId !== undefined && change.parentId !== area.parentId) {
    const parent = checkParent(stores, area.level, change.parentId);
    if (!parent.ok) return parent;
    parentId = parent.value.id;
  }
  if (parentId !== null && siblingTaken(stores, parentId, name, id) !== null)
    return conflictUnder(stores, parentId, area.level, name);
  const moved = parentId !== area.parentId;
  stores.transaction(() => {
    if (name !== area.name) stores.areas.rename(id, name);
    if (moved && parentId !== null) stores.areas.move(id, parentId);
  });
  return { ok: true, value: { area: stores.areas.get(id) as Area, moved } };
}

/** A community by id (or null: refused with why). */
export function communityOf(stores: Stores, id: number, field: string): PlaceResult<Area> {
  const area = stores.areas.get(id);
  if (area === null) return fail('notFound', field, `没有编号为 ${id} 的社区 (no community ${id})`);
  if (area.level !== 'community')
    return fail(
      'validation',
      field,
      `"${area.name}"是${word(area.level)}，不是社区 (place ${id} is a ${area.level}, not a community)`,
    );
  return { ok: true, value: area };
}

/** A compound's new name (unique among compounds: households find their compound by name) and/or community. */
export function changeCompound(
  stores: Stores,
  id: number,
  change: { name?: string | undefined; communityId?: number | undefined },
): PlaceResult<{ moved: boolean }> {
  const compound = stores.places.getCompound(id);
  if (compound === null) return fail('notFound', 'id', `compound ${id} not found`);
  let name = compound.name;
  if (change.name !== undefined) {
    const checked = placeName(change.name);
    if (!checked.ok) return checked;
    name = checked.value;
    if (stores.places.listCompounds().some((c) => c.name === name && c.id !== id))
      return fail('conflict', 'name', `已有名为"${name}"的小区 (a compound named "${name}" exists)`);
  }
  const before = stores.areas.compoundCommunities().get(id);
  if (change.communityId !== undefined) {
    const community = communityOf(stores, change.communityId, 'communityId');
    if (!community.ok) return community;
  }
  const moved = change.communityId !== undefined && change.communityId !== before;
  stores.transaction(() => {
    if (name !== compound.name) stores.places.renameCompound(id, name);
    if (moved && change.communityId !== undefined) stores.areas.setCompoundCommunity(id, change.communityId);
  });
  return { ok: true, value: { moved } };
}

/** A building's new name, unique within its compound. */
export function renameBuilding(stores: Stores, id: number, raw: string): PlaceResult<{ compoundId: number }> {
  const building = stores.places.listBuildings().find((b) => b.id === id);
  if (building === undefined) return fail('notFound', 'id', `building ${id} not found`);
  const name = placeName(raw);
  if (!name.ok) return name;
  const other = stores.places.findBuilding(building.compoundId, name.value);
  if (other !== null && other.id !== id)
    return fail(
      'conflict',
      'name',
      `这个小区已有名为"${name.value}"的楼栋 (a building named "${name.value}" exists there)`,
    );
  stores.places.renameBuilding(id, name.value);
  return { ok: true, value: { compoundId: building.compoundId } };
}

/**
 * A scope as asked for, checked: each place exists at the level named (a compound is a compound
 * id, the others area ids), none twice.
 */
export function checkScope(stores: Stores, entries: readonly ScopeEntry[]): PlaceResult<ScopeEntry[]> {
  const seen = new Set<string>();
  for (const [i, e] of entries.entries()) {
    const key = `${e.level}:${e.id}`;
    if (seen.has(key)) return fail('validation', `scope.${i}`, `${key} is listed twice`);
    seen.add(key);
    const found =
      e.level === 'compound' ? stores.places.getCompound(e.id) !== null : stores.areas.get(e.id)?.level === e.level;
    if (!found) return fail('validation', `scope.${i}`, `no ${e.level} ${e.id}`);
  }
  return { ok: true, value: [...entries] };
}

export type PlaceTree = {
  areas: Area[];
  compounds: Array<{ id: number; name: string; communityId: number; editable: boolean }>;
};

/**
 * The places a user may see: its compounds, the areas above them and the areas of its scope (a
 * street with no compound yet); an admin sees every place.
 */
export function placeTree(stores: Stores, user: User): PlaceTree {
  const communities = stores.areas.compoundCommunities();
  const areas = stores.areas.list();
  const admin = user.role === 'admin';
  const compounds = stores.places
    .listCompounds()
    .filter((c) => admin || user.compoundIds.includes(c.id))
    .map((c) => ({
      id: c.id,
      name: c.name,
      communityId: communities.get(c.id) ?? DEFAULT_AREAS.community,
      editable: admin || !user.readOnlyCompoundIds.includes(c.id),
    }));
  if (admin) return { areas, compounds };
  const byId = new Map(areas.map((a) => [a.id, a]));
  const shown = new Set<number>();
  const withAncestors = (id: number | null) => {
    for (
      let a = id === null ? undefined : byId.get(id);
      a !== undefined;
      a = a.parentId === null ? undefined : byId.get(a.parentId)
    )
      shown.add(a.id);
  };
  for (const c of compounds) withAncestors(c.communityId);
  for (const e of user.scope) if (e.level !== 'compound') withAncestors(e.id);
  return { areas: areas.filter((a) => shown.has(a.id)), compounds };
}

/** An area by id or by name (the CLI's --parent 2 or --parent 本街道), optionally of one level. */
export function findArea(stores: Stores, ref: string, level?: AreaLevel): Area[] {
  const trimmed = ref.trim();
  const all = stores.areas.list().filter((a) => level === undefined || a.level === level);
  if (/^[1-9]\d{0,14}$/.test(trimmed)) {
    const byId = all.find((a) => a.id === Number(trimmed));
    if (byId !== undefined) return [byId];
  }
  return all.filter((a) => a.name === trimmed);
}

/**
 * Whether the user sees a person who answers alarms: a compound's or building's in its compounds;
 * a community's where it sees a compound of that community; the whole district's, everyone.
 */
export function personSeen(stores: Stores, user: User, p: Person): boolean {
  if (user.role === 'admin') return true;
  if (p.compoundId !== null) return user.compoundIds.includes(p.compoundId);
  if (p.communityId === null) return true;
  const communities = stores.areas.compoundCommunities();
  return user.compoundIds.some((c) => communities.get(c) === p.communityId);
}
