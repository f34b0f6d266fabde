import { DEFAULT_AREAS } from '../../domain/places.js';
import type { Area, Stores } from '../ports.js';
import { type RowError, rowError, type Said, said } from './format.js';

// The optional 街道 / 社区 columns of a roster (issue 14). A household row naming them puts its
// compound in that community: found by name (under the street named, or the only one so named),
// or created, under that street, by an admin's import. An existing compound in another community
// is a row error: an import adds, it does not move (PATCH /api/compounds/:id moves).

/** A community by names, as a row gives it once resolved: the street's name is always known. */
export type PlacePlan = { street: string; community: string };

/** What the places of a file come to, read once per check. */
export function createPlaceIndex(stores: Stores) {
  const areas = stores.areas.list();
  const byId = new Map(areas.map((a) => [a.id, a]));
  const communities = stores.areas.compoundCommunities();
  const streets = areas.filter((a) => a.level === 'street');
  /** The community a compound is in, as "本街道 本社区". */
  const whereIs = (compoundId: number): { id: number; words: string } => {
    const community = byId.get(communities.get(compoundId) ?? DEFAULT_AREAS.community);
    const street = community?.parentId === null || community === undefined ? undefined : byId.get(community.parentId);
    return { id: community?.id ?? DEFAULT_AREAS.community, words: `${street?.name ?? ''}${community?.name ?? ''}` };
  };
  const find = (street: string, community: string): Area | null => {
    const s = streets.find((a) => a.name === street);
    return s === undefined ? null : (areas.find((a) => a.parentId === s.id && a.name === community) ?? null);
  };

  return {
    /**
     * The row's street and community resolved to names (the street filled in when the community
     * alone names one place, or when there is one street), or why not — in Chinese, for the row.
     */
    resolve(street: string | null, community: string): { ok: true; plan: PlacePlan } | ({ ok: false } & Said) {
      if (street !== null) return { ok: true, plan: { street, community } };
      const named = areas.filter((a) => a.level === 'community' && a.name === community);
      if (named.length === 1) {
        const parent = byId.get((named[0] as Area).parentId ?? 0);
        return { ok: true, plan: { street: parent?.name ?? '', community } };
      }
      if (named.length > 1)
        return {
          ok: false,
          ...said(
            `有 ${named.length} 个名为"${community}"的社区，请在"街道"列写明是哪个街道的`,
            `${named.length} communities are named "${community}": name its street in the 街道 column`,
          ),
        };
      if (streets.length === 1) return { ok: true, plan: { street: (streets[0] as Area).name, community } };
      return {
        ok: false,
        ...said(
          `没有名为"${community}"的社区；新建社区请在"街道"列写明它属于哪个街道`,
          `no community is named "${community}"; for a new one, name its street in the 街道 column`,
        ),
      };
    },
    /** The area id of a planned community, or null when an import would create it. */
    idOf(plan: PlacePlan): number | null {
      return find(plan.street, plan.community)?.id ?? null;
    },
    /** A row error when an existing compound is in another community than the row names (null: the same). */
    conflict(compoundId: number, compound: string, plan: PlacePlan, line: number): RowError | null {
      const at = whereIs(compoundId);
      if (find(plan.street, plan.community)?.id === at.id) return null;
      return rowError(
        line,
        'community',
        said(
          `小区"${compound}"属于${at.words}，与本行的${plan.street}${plan.community}不符；导入不会移动小区，请先在"地点"中移动它，或按现有归属填写`,
          `compound "${compound}" is in ${at.words}, not ${plan.street}${plan.community} as this row says; an import does not move compounds (move it under 地点 first, or write where it is)`,
        ),
      );
    },
    whereIs,
  };
}

/**
 * In a write chunk's transaction: the community of a plan, made (and its street) if missing.
 * `made` collects the areas created, for the import's undo (communities before their street).
 */
export function ensureCommunity(stores: Stores, plan: PlacePlan, now: number, made: number[]): number {
  const areas = stores.areas.list();
  let street = areas.find((a) => a.level === 'street' && a.name === plan.street);
  if (street === undefined) {
    const id = stores.areas.create('street', plan.street, DEFAULT_AREAS.district, now);
    made.push(id);
    street = { id, level: 'street', name: plan.street, parentId: DEFAULT_AREAS.district };
  }
  const found = areas.find((a) => a.parentId === street.id && a.name === plan.community);
  if (found !== undefined) return found.id;
  const id = stores.areas.create('community', plan.community, street.id, now);
  made.push(id);
  return id;
}

/**
 * Whether a deployment names its places (anything but the defaults of migration 11): only then
 * does an export write the 街道 / 社区 columns, so a small deployment's files stay as they were.
 */
export function placesNamed(stores: Stores): boolean {
  return stores.areas
    .list()
    .some(
      (a) =>
        (a.level === 'street' && !(a.id === DEFAULT_AREAS.street && a.name === '本街道')) ||
        (a.level === 'community' && !(a.id === DEFAULT_AREAS.community && a.name === '本社区')),
    );
}
