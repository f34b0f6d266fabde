/**
 * Places: district › street › community › compound › building › household (issue 14). One
 * instance serves one district; the levels above the compound are "areas". A user's scope is a
 * set of places at any level from the district to the compound.
 */

export const AREA_LEVELS = ['district', 'street', 'community'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

export const SCOPE_LEVELS = ['district', 'street', 'community', 'compound'] as const;
export type ScopeLevel = (typeof SCOPE_LEVELS)[number];

/** The level an area's parent has (null: the district has none). */
export function parentLevel(level: AreaLevel): AreaLevel | null {
  return level === 'community' ? 'street' : level === 'street' ? 'district' : null;
}

/** The levels as people say them, Chinese first. */
export const LEVEL_WORDS: Record<ScopeLevel | 'building' | 'household', { zh: string; en: string }> = {
  district: { zh: '区', en: 'district' },
  street: { zh: '街道', en: 'street' },
  community: { zh: '社区', en: 'community' },
  compound: { zh: '小区', en: 'compound' },
  building: { zh: '楼栋', en: 'building' },
  household: { zh: '户', en: 'household' },
};

/** The areas migration 11 makes: a small deployment keeps them and sees nothing new. */
export const DEFAULT_AREAS = { district: 1, street: 2, community: 3 } as const;

/** One entry of a user's scope: a place and whether the user may only watch there. */
export type ScopeEntry = { level: ScopeLevel; id: number; readOnly: boolean };
