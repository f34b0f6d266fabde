import { DEFAULT_TIME_ZONE } from '../../../protocol/ribbon.js';
import { mainlandMobile } from '../../domain/phone.js';
import type { Tier } from '../../domain/alert.js';
import type { Household, PersonRole, Stores } from '../ports.js';
import { setCheckInSchedule } from '../set-check-in-schedule.js';
import { formatCheckIn, formatQuietHours, storedPolicy, storedQuietHours } from './cells.js';
import type { HouseholdDraft } from './read-households.js';

// A roster row at the address of an open household (domain/address.ts) that differs from it is
// an update of that household (issue 15: correcting a name in a roster renames, it does not make
// a second household). What changes is planned in the check, shown in a dry run in words
// ("姓名变更：张三 → 张四"), and written by write.ts like the creates, undone like them on failure.

/** What a row may change of a household: its name, its settings, its contacts. */
export type ChangedField = 'name' | 'timezone' | 'checkin' | 'quiet_hours' | 'contacts';

/** One household's planned update, as a dry run shows it (Chinese `text`, English `textEn`). */
export type PlannedChange = { line: number; householdId: number; fields: ChangedField[]; text: string; textEn: string };

/** What write.ts writes: the change and the row's values (plain data: it crosses from the worker thread). */
export type PlannedUpdate = PlannedChange & { name: string; was: string; draft: HouseholdDraft };

/** A change as a report lists it: a household's (householdId) or a person's (personId). */
export type ReportedChange = {
  line: number;
  householdId?: number;
  personId?: number;
  fields: string[];
  text: string;
  textEn: string;
};

/**
 * A person listed again (same name, phone, role and place) at another tier: an update of that
 * person's tier (`was`: the tier checked, so a change meanwhile is a conflict).
 */
export type PlannedPersonUpdate = {
  line: number;
  personId: number;
  fields: ['tier'];
  text: string;
  textEn: string;
  was: Tier;
  person: { name: string; phone: string | null; role: PersonRole; tier: Tier };
};

export function personTierChange(
  line: number,
  id: number,
  person: PlannedPersonUpdate['person'],
  was: Tier,
): PlannedPersonUpdate {
  return {
    line,
    personId: id,
    fields: ['tier'],
    text: `层级变更：${was} → ${person.tier}`,
    textEn: `tier: ${was} → ${person.tier}`,
    was,
    person,
  };
}

/** Inside a write chunk: the tier set, or false when the person is no longer as checked. */
export function applyPersonUpdate(stores: Stores, u: PlannedPersonUpdate): boolean {
  const p = stores.people.get(u.personId);
  if (p === null || p.tier !== u.was || p.name !== u.person.name || p.role !== u.person.role) return false;
  stores.people.update(u.personId, { name: p.name, phone: p.phone, role: p.role, tier: u.person.tier });
  return true;
}

/** Undoes one tier update. */
export function restorePerson(stores: Stores, u: PlannedPersonUpdate): void {
  const p = stores.people.get(u.personId);
  if (p !== null) stores.people.update(u.personId, { name: p.name, phone: p.phone, role: p.role, tier: u.was });
}

/** A stored number as a row would give it now: its 11 digits, or as it is when it does not pass the rule. */
export const asStored = (phone: string): string => mainlandMobile(phone) ?? phone;

type ContactText = { name: string; phone: string; relation: string };
const contactKey = (cs: readonly ContactText[]) =>
  cs
    .map((c) => [c.name, c.phone, c.relation].join('\u0000'))
    .sort()
    .join('\u0001');
const contactWords = (cs: readonly ContactText[], none: string) =>
  cs.length === 0
    ? none
    : cs.map((c) => `${c.name} ${c.phone}${c.relation === '' ? '' : `（${c.relation}）`}`).join('、');

const WORDS: Record<ChangedField, readonly [zh: string, en: string]> = {
  name: ['姓名变更', 'name'],
  timezone: ['时区变更', 'time zone'],
  checkin: ['报平安方式变更', 'check-in rule'],
  quiet_hours: ['免打扰时段变更', 'quiet hours'],
  contacts: ['联系人变更', 'contacts'],
};

/** How a stored household differs from a row: the fields, and each as "was → now" (empty: the same). */
export function changesFrom(
  stores: Stores,
  h: Household,
  d: HouseholdDraft,
): { fields: ChangedField[]; text: string; textEn: string } {
  const s = stores.places.schedule(h.id);
  const pairs: Array<[ChangedField, string, string]> = [];
  if (h.name !== d.name) pairs.push(['name', h.name, d.name]);
  if (h.timezone !== (d.timezone ?? DEFAULT_TIME_ZONE))
    pairs.push(['timezone', h.timezone, d.timezone ?? DEFAULT_TIME_ZONE]);
  const checkin = [formatCheckIn(storedPolicy(s?.policy ?? null)), formatCheckIn(d.checkin)] as const;
  if (checkin[0] !== checkin[1]) pairs.push(['checkin', checkin[0], checkin[1]]);
  const quiet = [formatQuietHours(storedQuietHours(s?.quietHours ?? null)), formatQuietHours(d.quietHours)] as const;
  if (quiet[0] !== quiet[1]) pairs.push(['quiet_hours', quiet[0], quiet[1]]);
  // A number stored before the phone rule, as written then (138-0013-8000), is the same number as the row's 11 digits.
  const stored = stores.people.contacts(h.id).map((c) => ({ ...c, phone: asStored(c.phone) }));
  const contacts = contactKey(stored) !== contactKey(d.contacts);
  const fields = pairs.map(([f]) => f);
  if (contacts) fields.push('contacts');
  // An empty setting is the default: said so rather than left blank.
  const zh = pairs.map(([f, was, now]) => `${WORDS[f][0]}：${was || '默认'} → ${now || '默认'}`);
  const en = pairs.map(([f, was, now]) => `${WORDS[f][1]}: ${was || 'default'} → ${now || 'default'}`);
  if (contacts) {
    zh.push(`${WORDS.contacts[0]}：${contactWords(stored, '无')} → ${contactWords(d.contacts, '无')}`);
    en.push(`${WORDS.contacts[1]}: ${contactWords(stored, 'none')} → ${contactWords(d.contacts, 'none')}`);
  }
  return { fields, text: zh.join('；'), textEn: en.join('; ') };
}

/** A household as it was before an update: what undoing it writes back. */
export type Before = {
  id: number;
  name: string;
  room: string;
  schedule: { policy: unknown; quietHours: unknown; awayUntil: string | null; timezone: string; dueAt: number | null };
  contacts: ContactText[];
};

/**
 * Inside a write chunk's transaction: the update, or null when the household is no longer as
 * checked (closed, renamed or gone meanwhile: someone else changed it). Returns what it was.
 */
export function applyUpdate(stores: Stores, u: PlannedUpdate, now: number): Before | null {
  const h = stores.places.getHousehold(u.householdId);
  const s = stores.places.schedule(u.householdId);
  if (h === null || s === null || h.name !== u.was || h.closed !== null) return null;
  const before: Before = {
    id: h.id,
    name: h.name,
    room: h.room,
    schedule: {
      policy: s.policy,
      quietHours: s.quietHours,
      awayUntil: s.awayUntil,
      timezone: s.timezone,
      dueAt: s.checkInDueAt,
    },
    contacts: stores.people.contacts(h.id).map(({ name, phone, relation }) => ({ name, phone, relation })),
  };
  const d = u.draft;
  if (u.fields.includes('name')) stores.places.renameHousehold(h.id, d.name, h.room);
  if (u.fields.some((f) => f === 'timezone' || f === 'checkin' || f === 'quiet_hours')) {
    const set = setCheckInSchedule(stores, h.id, {
      policy: d.checkin,
      timeZone: d.timezone ?? DEFAULT_TIME_ZONE,
      quietHours: d.quietHours,
    });
    // readHouseholds ran the domain's check on this very schedule.
    if (!set.ok) throw new Error(`line ${u.line}: a checked schedule was refused: ${set.reason}`);
  }
  if (u.fields.includes('contacts'))
    stores.people.setContacts(
      h.id,
      d.contacts.map(({ name, phone, relation }) => ({ name, phone, relation })),
      now,
    );
  return before;
}

/** Undoes one update (write.ts, in its undo's chunks). */
export function restore(stores: Stores, b: Before, now: number): void {
  stores.places.renameHousehold(b.id, b.name, b.room);
  const { dueAt, ...settings } = b.schedule;
  stores.places.setSchedule(b.id, settings, dueAt);
  stores.people.setContacts(b.id, b.contacts, now);
}
