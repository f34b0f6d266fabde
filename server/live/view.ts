import { type LiveView, VIEW_LEVELS } from '../../protocol/live.js';
import { seesCompound } from '../api/auth.js';
import type { Stores, User } from '../app/ports.js';

/**
 * A dashboard's view (protocol/live.ts, LiveView) as the hub uses it: whether it is above the
 * compound (an area view: counts, not households) and which of the user's compounds it holds.
 */
export type ViewScope = {
  view: LiveView | null;
  /** Above the compound: the feed carries the compounds' counts instead of their households. */
  area: boolean;
  /** The compounds watched; null = all the user may see (no view). */
  compounds: ReadonlySet<number> | null;
  /** Equal keys, equal frames (for one user's scope): the snapshot cache and the delta batcher share by it. */
  key: string;
};

export const WHOLE_SCOPE: ViewScope = { view: null, area: false, compounds: null, key: '-' };

/**
 * The view for this user, or null when it names no place the user may see (an unknown place, a
 * level that is not the place's, or a place holding none of the user's compounds; an admin may
 * watch an area still empty).
 */
export function resolveView(user: User, view: LiveView | null, stores: Stores): ViewScope | null {
  if (view === null) return WHOLE_SCOPE;
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
  return { view, area: view.level !== 'compound', compounds: new Set(compounds), key: `${view.level}:${view.id}` };
}

/** A view as a client names it: `{level, id}` with a known level and a positive whole id; else undefined. */
export function readView(value: unknown): LiveView | null | undefined {
  if (value === null) return null;
  if (typeof value !== 'object') return undefined;
  const { level, id } = value as { level?: unknown; id?: unknown };
  if (typeof level !== 'string' || !(VIEW_LEVELS as readonly string[]).includes(level)) return undefined;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return undefined;
  return { level: level as LiveView['level'], id };
}

/** `?view=street:2` of the upgrade's URL: a view, null when absent, undefined when malformed. */
export function viewFromUrl(url: string | undefined): LiveView | null | undefined {
  const text = new URL(url ?? '/', 'http://localhost').searchParams.get('view');
  if (text === null || text === '') return null;
  const m = /^([a-z]{1,12}):([1-9][0-9]{0,14})$/.exec(text);
  return m === null ? undefined : readView({ level: m[1], id: Number(m[2]) });
}
