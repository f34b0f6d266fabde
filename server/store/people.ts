import type { Db } from './db.js';
import type { Tier } from '../domain/alert.js';
import type { PersonRole } from '../domain/community.js';
import type { Contact, PeopleStore, Person, Recipient } from '../app/ports.js';
import { CONTACT_ROLE } from '../app/records.js';

type PersonRow = {
  id: number;
  name: string;
  phone: string | null;
  role: PersonRole;
  tier: number;
  compound_id: number | null;
  building_id: number | null;
  community_id: number | null;
};

function toPerson(r: PersonRow): Person {
  return {
    id: r.id,
    name: r.name,
    phone: r.phone,
    role: r.role,
    tier: r.tier as Tier,
    compoundId: r.compound_id,
    buildingId: r.building_id,
    communityId: r.community_id,
  };
}

/**
 * People of the community and the tier they answer at. A person's scope is a building, a
 * compound, or (both null) the whole community; a household is covered by every active person
 * whose scope contains it. Tier 3 also reaches the household's own emergency contacts.
 */
export function createPeopleStore(db: Db): PeopleStore {
  const insert = db.prepare<
    [string, string | null, PersonRole, number, number | null, number | null, number | null, number]
  >(
    'INSERT INTO people (name, phone, role, tier, compound_id, building_id, community_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const list = db.prepare<[], PersonRow>('SELECT * FROM people WHERE retired_at IS NULL ORDER BY tier, id');
  // The four scopes that can cover a household, each an exact match on people_scope: an OR
  // over them would narrow the index by tier alone and read every volunteer of the community
  // (1.1 ms a red press with 20,000 of them, measured in bench/sweep.ts; 12 µs this way).
  // Above the compound (both NULL) a person is the whole district's (community_id NULL) or its
  // community's: the household's compound's community (issue 14).
  const scopeCase = (compound: string, building: string, community = '') =>
    `SELECT p.* FROM people p, scope s WHERE p.tier = @tier AND p.compound_id IS ${compound} AND p.building_id IS ${building}${community} AND p.retired_at IS NULL`;
  const covering = db.prepare<[{ household: number; tier: number }], PersonRow>(
    `WITH scope AS (SELECT h.building_id AS bid, b.compound_id AS cid, c.community_id AS cmid
       FROM households h JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id WHERE h.id = @household)
     ${scopeCase('NULL', 'NULL', ' AND (p.community_id IS NULL OR p.community_id = s.cmid)')} UNION ALL ${scopeCase('NULL', 's.bid')}
     UNION ALL ${scopeCase('s.cid', 'NULL')} UNION ALL ${scopeCase('s.cid', 's.bid')}
     ORDER BY id`,
  );
  const update = db.prepare<[string, string | null, PersonRole, number, number]>(
    'UPDATE people SET name = ?, phone = ?, role = ?, tier = ? WHERE id = ?',
  );
  const retire = db.prepare<[number, number]>('UPDATE people SET retired_at = ? WHERE id = ? AND retired_at IS NULL');
  const remove = db.prepare<[number]>('DELETE FROM people WHERE id = ?');
  const byId = db.prepare<[number], PersonRow>('SELECT * FROM people WHERE id = ? AND retired_at IS NULL');
  const insertContact = db.prepare<[number, string, string, string, number]>(
    'INSERT INTO contacts (household_id, name, phone, relation, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const clearContacts = db.prepare<[number]>('DELETE FROM contacts WHERE household_id = ?');
  const contacts = db.prepare<
    [number],
    { id: number; household_id: number; name: string; phone: string; relation: string }
  >('SELECT * FROM contacts WHERE household_id = ? ORDER BY id');
  const contactById = db.prepare<
    [number],
    { id: number; household_id: number; name: string; phone: string; relation: string }
  >('SELECT * FROM contacts WHERE id = ?');

  return {
    add(p: Omit<Person, 'id' | 'communityId'> & { communityId?: number | null }, now: number): number {
      return Number(
        insert.run(p.name, p.phone, p.role, p.tier, p.compoundId, p.buildingId, p.communityId ?? null, now)
          .lastInsertRowid,
      );
    },
    list(): Person[] {
      return list.all().map(toPerson);
    },
    get(id: number): Person | null {
      const row = byId.get(id);
      return row ? toPerson(row) : null;
    },
    update(id: number, p: { name: string; phone: string | null; role: PersonRole; tier: Tier }): void {
      update.run(p.name, p.phone, p.role, p.tier, id);
    },
    retire(id: number, now: number): boolean {
      return retire.run(now, id).changes === 1;
    },
    delete(id: number): void {
      remove.run(id);
    },
    addContact(c: Omit<Contact, 'id'>, now: number): number {
      return Number(insertContact.run(c.householdId, c.name, c.phone, c.relation, now).lastInsertRowid);
    },
    /** Replaces a household's contacts with these. */
    setContacts(householdId: number, list: ReadonlyArray<Omit<Contact, 'id' | 'householdId'>>, now: number): void {
      clearContacts.run(householdId);
      for (const c of list) insertContact.run(householdId, c.name, c.phone, c.relation, now);
    },
    contacts(householdId: number): Contact[] {
      return contacts
        .all(householdId)
        .map((r) => ({ id: r.id, householdId: r.household_id, name: r.name, phone: r.phone, relation: r.relation }));
    },
    contact(id: number): Contact | null {
      const r = contactById.get(id);
      return r ? { id: r.id, householdId: r.household_id, name: r.name, phone: r.phone, relation: r.relation } : null;
    },
    /** Whom the given tiers of a household reach, tier by tier, without repeats. */
    recipients(householdId: number, tiers: readonly Tier[]): Recipient[] {
      const seen = new Set<string>();
      const out: Recipient[] = [];
      const add = (r: Recipient): void => {
        const key = `${r.name}\u0000${r.phone ?? ''}`;
        if (seen.has(key)) return;
        seen.add(key);
        out.push(r);
      };
      for (const tier of tiers) {
        for (const p of covering.all({ household: householdId, tier }))
          add({ name: p.name, phone: p.phone, role: p.role, personId: p.id });
        if (tier === 3)
          for (const c of contacts.all(householdId))
            add({
              name: c.name,
              phone: c.phone,
              role: `${CONTACT_ROLE}${c.relation ? `:${c.relation}` : ''}`,
              contactId: c.id,
            });
      }
      return out;
    },
  };
}
