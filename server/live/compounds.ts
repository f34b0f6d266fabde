import type { Stores } from '../app/ports.js';

/**
 * Which compound a household is in, for the per-user filter: read once, then remembered.
 * Households do not move between compounds; a missing one is not remembered (it may be being
 * registered), so it is read again next time.
 */
export function createCompoundIndex(stores: Stores) {
  const compoundOf = new Map<number, number>();
  return {
    /** The household's compound, or null if there is no such household. */
    of(householdId: number): number | null {
      const known = compoundOf.get(householdId);
      if (known !== undefined) return known;
      const h = stores.places.getHousehold(householdId);
      if (h === null) return null;
      compoundOf.set(householdId, h.compoundId);
      return h.compoundId;
    },
    /** Remembers what a caller has just read anyway. */
    note(householdId: number, compoundId: number): void {
      compoundOf.set(householdId, compoundId);
    },
  };
}

export type CompoundIndex = ReturnType<typeof createCompoundIndex>;
