import type { CompoundCountsJson } from '../../protocol/live.js';
import type { AreaLevel } from '../domain/places.js';

// The places' port (issue 14): the areas above the compound and a compound's live counts, apart
// from ports.ts only to keep that file under the size rule; Stores.areas is this.

/** A place above the compound: the district, a street or a community (domain/places.ts). */
export type Area = { id: number; level: AreaLevel; name: string; parentId: number | null };

/** The places above the compound (store/areas.ts), and which community each compound is in. */
export interface AreasStore {
  /** Every area, by level then name. */
  list(): Area[];
  get(id: number): Area | null;
  /** A new street (under the district) or community (under a street); returns its id. */
  create(level: AreaLevel, name: string, parentId: number, now: number): number;
  rename(id: number, name: string): void;
  /** Removes an area nothing hangs on (a roster import's undo). */
  delete(id: number): void;
  /** Puts the area under another parent of the same level as before. */
  move(id: number, parentId: number): void;
  /** compound id → its community's id, for every compound. */
  compoundCommunities(): Map<number, number>;
  setCompoundCommunity(compoundId: number, communityId: number): void;
  /** The compounds under an area at any level, by id. */
  compoundsUnder(areaId: number): number[];
  /** The counts now of these compounds (null: all), for the live feed's place tiles. */
  compoundCounts(compoundIds: readonly number[] | null): LiveCompoundCounts[];
}

/** A compound's counts now: protocol/live.ts's CompoundCountsJson (no times in it). */
export type LiveCompoundCounts = CompoundCountsJson;
