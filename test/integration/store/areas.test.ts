import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';
import { tempDir } from '../../helpers/system.js';

// Places above the compound (issue 14) in a real SQLite file: the defaults migration 11 makes,
// the compounds under an area, and a user's scope at any level resolved to compounds.

function stores() {
  const db = openDatabase(tempDir());
  onTestFinished(() => {
    db.close();
  });
  return createStores(db);
}

function district(s: ReturnType<typeof stores>) {
  const east = s.areas.create('street', '东街道', DEFAULT_AREAS.district, 1);
  const west = s.areas.create('street', '西街道', DEFAULT_AREAS.district, 1);
  const e1 = s.areas.create('community', '东一社区', east, 1);
  const w1 = s.areas.create('community', '西一社区', west, 1);
  const compound = (name: string, community: number) => {
    const c = s.places.findOrCreateCompound(name, 1);
    s.areas.setCompoundCommunity(c.id, community);
    return c.id;
  };
  return { east, west, e1, w1, a: compound('甲小区', e1), b: compound('乙小区', e1), c: compound('丙小区', w1) };
}

describe('areas', () => {
  it('when the database is new, then there is one district, street and community, and a new compound is in that community', () => {
    const s = stores();
    expect(s.areas.list().map((a) => [a.level, a.parentId])).toEqual([
      ['community', DEFAULT_AREAS.street],
      ['district', null],
      ['street', DEFAULT_AREAS.district],
    ]);
    const c = s.places.findOrCreateCompound('某小区', 1);
    expect(s.areas.compoundCommunities().get(c.id)).toBe(DEFAULT_AREAS.community);
  });

  it('when compounds are put in communities of two streets, then each place holds its own compounds', () => {
    const s = stores();
    const d = district(s);
    expect(s.areas.compoundsUnder(d.e1)).toEqual([d.a, d.b]);
    expect(s.areas.compoundsUnder(d.east)).toEqual([d.a, d.b]);
    expect(s.areas.compoundsUnder(d.west)).toEqual([d.c]);
    expect(s.areas.compoundsUnder(DEFAULT_AREAS.district)).toEqual([d.a, d.b, d.c]);
    s.areas.move(d.w1, d.east);
    expect(s.areas.compoundsUnder(d.east)).toEqual([d.a, d.b, d.c]);
    expect(s.areas.compoundsUnder(d.west)).toEqual([]);
  });

  it('when names repeat under one parent, or a second district is made, then the schema refuses', () => {
    const s = stores();
    s.areas.create('street', '东街道', DEFAULT_AREAS.district, 1);
    expect(() => s.areas.create('street', '东街道', DEFAULT_AREAS.district, 1)).toThrow(/UNIQUE/);
    expect(() =>
      s.db
        .prepare("INSERT INTO areas (level, name, parent_id, created_at) VALUES ('district', '另一区', NULL, 1)")
        .run(),
    ).toThrow(/UNIQUE/);
  });

  it("when a user's scope is a street, read-only, and one compound elsewhere, editable, then the user sees both streets' worth and edits only that compound", () => {
    const s = stores();
    const d = district(s);
    const id = s.users.create({ username: 'leader', displayName: '王主任', role: 'staff', passwordHash: 'x' }, 1);
    s.users.setScope(id, [
      { level: 'street', id: d.east, readOnly: true },
      { level: 'compound', id: d.c, readOnly: false },
    ]);
    const user = s.users.get(id);
    expect(user?.compoundIds).toEqual([d.a, d.b, d.c]);
    expect(user?.readOnlyCompoundIds).toEqual([d.a, d.b]);
    expect(user?.scope).toEqual([
      { level: 'compound', id: d.c, readOnly: false },
      { level: 'street', id: d.east, readOnly: true },
    ]);
    // An editable entry covering a compound wins over a read-only one.
    s.users.setScope(id, [
      { level: 'street', id: d.east, readOnly: true },
      { level: 'compound', id: d.a, readOnly: false },
    ]);
    expect(s.users.get(id)?.readOnlyCompoundIds).toEqual([d.b]);
    // The old way still works and clears the areas.
    s.users.setCompounds(id, [d.c]);
    expect(s.users.get(id)).toMatchObject({
      compoundIds: [d.c],
      readOnlyCompoundIds: [],
      scope: [{ level: 'compound', id: d.c, readOnly: false }],
    });
  });
});
