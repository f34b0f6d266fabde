import { type LiveView, VIEW_LEVELS } from '../../protocol/live.js';
import { seesCompound } from '../api/auth.js';
import type { Stores, User } from '../app/ports.js';
import { DEFAULT_AREAS } from '../domain/places.js';

/**
 * A dashboard's view (protocol/live.ts, LiveView) as the hub uses it: whether it is above the
 * compound (an area view: counts, not households) and which of the user's compounds it holds.
 */
export type ViewScope = {
  /** What the client asked for: a place, everything (null), or 'auto' (see resolveView). */
  asked: AskedView;
  view: LiveView | null;
  /** Above the compound: the feed carries the compounds' counts instead of their households. */
  area: boolean;
  /** The compounds watched; null = all the user may see (no view). */
  compounds: ReadonlySet<number> | null;
  /** Equal keys, equal frames (for one user's scope): the snapshot cache and the delta batcher share by it. */
  key: string;
};

/** A view as asked: a place, null (everything), or 'auto' (protocol/live.ts, ViewFrame). */
export type AskedView = LiveView | null | 'auto';

export const WHOLE_SCOPE: ViewScope = { asked: null, view: null, area: false, compounds: null, key: '-' };

/**
 * The view for this user, or null when it names no place the user may see (an unknown place, a
 * level that is not the place's, or a place holding none of the user's compounds; an admin may
 * watch an area still empty).
 */
export function resolveView(user: User, asked: AskedView, stores: Stores): ViewScope | null {
  if (asked === null) return WHOLE_SCOPE;
  // 'auto': the district's place tiles where the user's compounds lie in more than one community,
  // else everything household by household (a deployment that kept the default places).
  if (asked === 'auto') {
    const communities = new Set<number>();
    for (const [compound, community] of stores.areas.compoundCommunities())
      if (seesCompound(user, compound)) communities.add(community);
    if (communities.size <= 1) return { ...WHOLE_SCOPE, asked };
    const district = resolveView(user, { level: 'district', id: DEFAULT_AREAS.district }, stores);
    return district === null ? null : { ...district, asked };
  }
  const view = asked;
  let compounds: number[];
  if (view.level === 'compound') {
    if (stores.places.getCompound(view.id) === null || !seesCompound(user, view.id)) return null;
    compounds = [view.id];
  } else {
    const area = stores.areas.get(view.id);
    if (area === null || area.level !== view.level) return null;
    compounds = stores.areas.compoundsUnder(view.id).filter((id) => seesCompound(user, id));
    if (compounds.length === 0 && user.role !== 'admin') return null;
  }
  return {
    asked: view,
    view,
    area: view.level !== 'compound',
    compounds: new Set(compounds),
    key: `${view.level}:${view.id}`,
  };
}

/** A view as a client names it: `{level, id}` with a known level and a positive whole id, null or 'auto'; else undefined. */
export function readView(value: unknown): AskedView | undefined {
  if (value === null || value === 'auto') return value;
  if (typeof value !== 'object') return undefined;
  const { level, id } = value as { level?: unknown; id?: unknown };
  if (typeof level !== 'string' || !(VIEW_LEVELS as readonly string[]).includes(level)) return undefined;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return undefined;
  return { level: level as LiveView['level'], id };
}

/** `?view=street:2` of the upgrade's URL: a view, null when absent, undefined when malformed. */
export function viewFromUrl(url: string | undefined): AskedView | undefined {
  const text = new URL(url ?? '/', 'http://localhost').searchParams.get('view');
  if (text === null || text === '') return null;
  if (text === 'auto') return 'auto';
  const m = /^([a-z]{1,12}):([1-9][0-9]{0,14})$/.exec(text);
  return m === null ? undefined : readView({ level: m[1], id: Number(m[2]) });
}
