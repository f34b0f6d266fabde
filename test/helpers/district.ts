import type { Stores } from '../../server/app/ports.js';
import { addHousehold } from '../../server/app/provision.js';
import { DEFAULT_AREAS } from '../../server/domain/places.js';

// A small district for roll-up tests: two streets, three communities, four compounds, made with
// the stores as the places API will (areas.create, setCompoundCommunity).

export type SmallDistrict = {
  east: number;
  west: number;
  e1: number;
  e2: number;
  w1: number;
  /** Compound ids: a and b in e1, c in e2, d in w1. */
  a: number;
  b: number;
  c: number;
  d: number;
};

export function smallDistrict(stores: Stores, now: number): SmallDistrict {
  const east = stores.areas.create('street', '东街道', DEFAULT_AREAS.district, now);
  const west = stores.areas.create('street', '西街道', DEFAULT_AREAS.district, now);
  const e1 = stores.areas.create('community', '东一社区', east, now);
  const e2 = stores.areas.create('community', '东二社区', east, now);
  const w1 = stores.areas.create('community', '西一社区', west, now);
  const compound = (name: string, community: number) => {
    const c = stores.places.findOrCreateCompound(name, now);
    stores.areas.setCompoundCommunity(c.id, community);
    return c.id;
  };
  return {
    east,
    west,
    e1,
    e2,
    w1,
    a: compound('甲小区', e1),
    b: compound('乙小区', e1),
    c: compound('丙小区', e2),
    d: compound('丁小区', w1),
  };
}

/** A household in a compound (by name), registered at `now`. */
export function householdIn(stores: Stores, compound: string, room: string, now: number): number {
  return addHousehold(stores, { compound, building: '1号楼', room, name: `住户${room}` }, now);
}
