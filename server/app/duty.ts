import { DEFAULT_TIME_ZONE } from '../../protocol/ribbon.js';
import type { Tier } from '../domain/alert.js';
import {
  checkShift,
  type DutyRoster,
  mayBeOnCommunityRoster,
  mayBeOnRoster,
  nextChange,
  onDutyAt,
  parseDutyInstant,
  type Weekday,
} from '../domain/duty.js';
import { isValidTimeZone } from '../domain/zoned-time.js';
import type {
  NewDutyOverride,
  NewDutyShift,
  Person,
  Stores,
  StoredCommunityDutyOverride,
  StoredCommunityDutyRoster,
  StoredDutyOverride,
  StoredDutyRoster,
  StoredDutyShift,
} from './ports.js';

/**
 * Duty rosters, one use case for every door (the API, the admin CLI, the dashboard through the
 * API): who may be put on a roster, times that read, and the "on duty now and next" answer.
 * A roster is a compound's or a community's (issue 14): for a compound and tier, the compound's
 * own roster wins; without one, its community's serves. Problems name the field as the API's
 * body does (`shifts.0.personIds`); the CLI words them.
 */

export const TIERS: readonly Tier[] = [1, 2, 3];
/** Longer than any leave a roster should carry; a typo of a year is refused. */
export const MAX_OVERRIDE_MS = 366 * 86_400_000;

export type DutyProblem = { path: string; message: string };
export type ShiftInput = { tier: Tier; days: Weekday[]; start: string; end: string; personIds: number[] };

type AnyRoster = {
  timeZone: string | null;
  shifts: StoredDutyShift[];
  overrides: ReadonlyArray<{ tier: Tier; personId: number; replacementId: number | null; from: number; to: number }>;
};

/** One roster's owner, as the use cases below need it: a compound or a community. */
type RosterPlace<R extends AnyRoster, O> = {
  /** "本小区" / "本社区", and the English. */
  here: { zh: string; en: string };
  roster(now: number): R;
  /** Whether a person may be on this roster at a tier (as when read: the store's rule). */
  mayBeOn(person: Person, tier: Tier): boolean;
  replaceShifts(timeZone: string, shifts: readonly NewDutyShift[], now: number): void;
  addOverride(o: Omit<NewDutyOverride, 'compoundId'>, now: number): number;
  getOverride(id: number): O | null;
};

/** A whole community's person is on the rosters of that community's compounds only (issue 14). */
function compoundPlace(stores: Stores, compoundId: number): RosterPlace<StoredDutyRoster, StoredDutyOverride> {
  let communities: Map<number, number> | null = null;
  const communityOf = (id: number) => {
    communities ??= stores.areas.compoundCommunities();
    return communities.get(id);
  };
  return {
    here: { zh: '本小区', en: 'this compound' },
    roster: (now) => stores.duty.roster(compoundId, now),
    mayBeOn: (person, tier) =>
      mayBeOnRoster(person, compoundId, tier) &&
      (person.communityId === null || communityOf(compoundId) === person.communityId),
    replaceShifts: (timeZone, shifts, now) => stores.duty.replaceShifts(compoundId, timeZone, shifts, now),
    addOverride: (o, now) => stores.duty.addOverride({ ...o, compoundId }, now),
    getOverride: (id) => stores.duty.getOverride(id),
  };
}

function communityPlace(
  stores: Stores,
  communityId: number,
): RosterPlace<StoredCommunityDutyRoster, StoredCommunityDutyOverride> {
  let communities: Map<number, number> | null = null;
  return {
    here: { zh: '本社区', en: 'this community' },
    roster: (now) => stores.duty.communityRoster(communityId, now),
    mayBeOn: (person, tier) => {
      if (person.compoundId !== null) communities ??= stores.areas.compoundCommunities();
      const of = person.compoundId === null ? undefined : communities?.get(person.compoundId);
      return mayBeOnCommunityRoster(person, communityId, of, tier);
    },
    replaceShifts: (timeZone, shifts, now) => stores.duty.replaceCommunityShifts(communityId, timeZone, shifts, now),
    addOverride: (o, now) => stores.duty.addCommunityOverride({ ...o, communityId }, now),
    getOverride: (id) => stores.duty.getCommunityOverride(id),
  };
}

function personProblem<R extends AnyRoster, O>(
  place: RosterPlace<R, O>,
  person: Person | null,
  id: number,
  tier: Tier,
): string | null {
  if (person === null) return `没有 ${id} 号人员（或已退出）/ no active person ${id}`;
  if (!place.mayBeOn(person, tier))
    return `${person.name}（${id}）不是${place.here.zh}第 ${tier} 级的人员 / person ${id} is not a tier ${tier} person covering ${place.here.en}`;
  return null;
}

type ShiftsInput = { timeZone?: string | undefined; shifts: readonly ShiftInput[] };

function setShifts<R extends AnyRoster, O>(
  stores: Stores,
  place: RosterPlace<R, O>,
  input: ShiftsInput,
  now: number,
): { ok: true; roster: R } | { ok: false; problems: DutyProblem[] } {
  const problems: DutyProblem[] = [];
  const current = place.roster(now);
  const timeZone = input.timeZone ?? current.timeZone ?? DEFAULT_TIME_ZONE;
  if (!isValidTimeZone(timeZone))
    problems.push({
      path: 'timeZone',
      message: '不是有效的时区，如 Asia/Shanghai / not an IANA time zone such as Asia/Shanghai',
    });
  input.shifts.forEach((s, i) => {
    const path = `shifts.${i}`;
    problems.push(...checkShift({ days: s.days, start: s.start, end: s.end, people: s.personIds }, path));
    for (const id of s.personIds) {
      const problem = personProblem(place, stores.people.get(id), id, s.tier);
      if (problem !== null) problems.push({ path: `${path}.personIds`, message: problem });
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  stores.transaction(() => place.replaceShifts(timeZone, input.shifts, now));
  return { ok: true, roster: place.roster(now) };
}

/**
 * Replaces the compound's weekly shifts (every tier; a tier left without shifts has no roster of
 * its own) and, if given, its zone. Nothing is written unless every shift is good.
 */
export function setDutyShifts(stores: Stores, compoundId: number, input: ShiftsInput, now: number) {
  return setShifts(stores, compoundPlace(stores, compoundId), input, now);
}

/** The same for a community's roster: it serves every compound of it at a tier they have no roster for. */
export function setCommunityDutyShifts(stores: Stores, communityId: number, input: ShiftsInput, now: number) {
  return setShifts(stores, communityPlace(stores, communityId), input, now);
}

export type OverrideInput = {
  tier: Tier;
  personId: number;
  replacementId: number | null;
  /** ISO 8601 with a zone, or local "YYYY-MM-DDTHH:MM" in the roster's zone. */
  from: string;
  to: string;
  note?: string | undefined;
  by: string | null;
};

function addOverride<R extends AnyRoster, O>(
  stores: Stores,
  place: RosterPlace<R, O>,
  input: OverrideInput,
  now: number,
): { ok: true; override: O } | { ok: false; problems: DutyProblem[] } {
  const roster = place.roster(now);
  const shifts = roster.shifts.filter((s) => s.tier === input.tier);
  if (roster.timeZone === null || shifts.length === 0)
    return {
      ok: false,
      problems: [
        {
          path: 'tier',
          message: `${place.here.zh}第 ${input.tier} 级还没有值班表 / tier ${input.tier} has no roster here`,
        },
      ],
    };
  const problems: DutyProblem[] = [];
  if (!shifts.some((s) => s.personIds.includes(input.personId)))
    problems.push({
      path: 'personId',
      message: `${input.personId} 号不在第 ${input.tier} 级值班表上 / person ${input.personId} is not on the tier ${input.tier} roster`,
    });
  if (input.replacementId !== null) {
    const problem =
      input.replacementId === input.personId
        ? '替班人不能是本人 / the replacement is the same person'
        : personProblem(place, stores.people.get(input.replacementId), input.replacementId, input.tier);
    if (problem !== null) problems.push({ path: 'replacementId', message: problem });
  }
  const from = parseDutyInstant(input.from, roster.timeZone);
  const to = parseDutyInstant(input.to, roster.timeZone);
  const timeMessage =
    '须为时间，如 2026-11-25T20:00（值班表的时区）或带时区的 ISO 8601 / must be a time such as 2026-11-25T20:00 (the roster’s zone) or ISO 8601 with a zone';
  if (from === null) problems.push({ path: 'from', message: timeMessage });
  if (to === null) problems.push({ path: 'to', message: timeMessage });
  if (from !== null && to !== null) {
    if (to <= from) problems.push({ path: 'to', message: '须晚于开始时间 / must be after from' });
    else if (to <= now) problems.push({ path: 'to', message: '已经过去 / is already past' });
    else if (to - from > MAX_OVERRIDE_MS)
      problems.push({ path: 'to', message: '最长 366 天 / at most 366 days after from' });
  }
  if (problems.length > 0 || from === null || to === null) return { ok: false, problems };
  const id = place.addOverride(
    {
      tier: input.tier,
      personId: input.personId,
      replacementId: input.replacementId,
      from,
      to,
      note: input.note?.trim() ?? '',
      createdBy: input.by,
    },
    now,
  );
  const override = place.getOverride(id);
  if (override === null) throw new Error(`duty override ${id} vanished`);
  return { ok: true, override };
}

/** Adds a swap (replacementId) or leave (null) for someone on the tier's roster of a compound. */
export function addDutyOverride(stores: Stores, compoundId: number, input: OverrideInput, now: number) {
  return addOverride(stores, compoundPlace(stores, compoundId), input, now);
}

/** The same on a community's roster. */
export function addCommunityDutyOverride(stores: Stores, communityId: number, input: OverrideInput, now: number) {
  return addOverride(stores, communityPlace(stores, communityId), input, now);
}

export type TierDuty = {
  tier: Tier;
  /** false: no roster for this tier (everyone of the tier covering a household answers). */
  roster: boolean;
  /** Whose roster answers for the tier: the compound's own, its community's (issue 14), or none. */
  source: 'compound' | 'community' | null;
  onDuty: number[];
  next: { at: number; personIds: number[] } | null;
};

function tiersOf<R extends AnyRoster, O>(
  stores: Stores,
  place: RosterPlace<R, O>,
  roster: R,
  source: 'compound' | 'community',
  now: number,
): Map<Tier, TierDuty> {
  const timeZone = roster.timeZone ?? DEFAULT_TIME_ZONE;
  const people = new Map<number, Person | null>();
  const active = (id: number, tier: Tier): boolean => {
    if (!people.has(id)) people.set(id, stores.people.get(id));
    const p = people.get(id) ?? null;
    return p !== null && place.mayBeOn(p, tier);
  };
  const out = new Map<Tier, TierDuty>();
  for (const tier of TIERS) {
    const shifts = roster.shifts.filter((s) => s.tier === tier);
    if (shifts.length === 0) continue;
    const domain: DutyRoster = {
      shifts: shifts.map((s) => ({ ...s, people: s.personIds.filter((id) => active(id, tier)) })),
      overrides: roster.overrides
        .filter((o) => o.tier === tier)
        .map((o) => ({
          personId: o.personId,
          replacementId: o.replacementId !== null && active(o.replacementId, tier) ? o.replacementId : null,
          from: o.from,
          to: o.to,
        })),
    };
    const next = nextChange(domain, now, timeZone);
    out.set(tier, {
      tier,
      roster: true,
      source,
      onDuty: onDutyAt(domain, now, timeZone),
      next: next === null ? null : { at: next.at, personIds: next.people },
    });
  }
  return out;
}

const none = (tier: Tier): TierDuty => ({ tier, roster: false, source: null, onDuty: [], next: null });

/**
 * Who is on duty now and who is next, per tier, with the people who may still answer (the same
 * rule as DutyStore.onDuty; a test holds the two to the same answer). A tier without shifts of
 * the compound's own is its community's when that has some: then only those on duty who cover
 * the compound are named (a compound's person on the community's roster answers for their own).
 */
export function dutyNow(stores: Stores, roster: StoredDutyRoster, now: number): TierDuty[] {
  const own = tiersOf(stores, compoundPlace(stores, roster.compoundId), roster, 'compound', now);
  if (own.size === TIERS.length) return TIERS.map((t) => own.get(t) ?? none(t));
  const communityId = stores.areas.compoundCommunities().get(roster.compoundId);
  const shared =
    communityId === undefined
      ? new Map<Tier, TierDuty>()
      : tiersOf(
          stores,
          communityPlace(stores, communityId),
          stores.duty.communityRoster(communityId, now),
          'community',
          now,
        );
  const here = compoundPlace(stores, roster.compoundId);
  const covers = (tier: Tier) => (id: number) => {
    const p = stores.people.get(id);
    return p !== null && here.mayBeOn(p, tier);
  };
  return TIERS.map((tier) => {
    const mine = own.get(tier);
    if (mine !== undefined) return mine;
    const theirs = shared.get(tier);
    if (theirs === undefined) return none(tier);
    return {
      ...theirs,
      onDuty: theirs.onDuty.filter(covers(tier)),
      next: theirs.next === null ? null : { ...theirs.next, personIds: theirs.next.personIds.filter(covers(tier)) },
    };
  });
}

/** Who is on duty now and next on a community's own roster, per tier. */
export function communityDutyNow(stores: Stores, roster: StoredCommunityDutyRoster, now: number): TierDuty[] {
  const tiers = tiersOf(stores, communityPlace(stores, roster.communityId), roster, 'community', now);
  return TIERS.map((t) => tiers.get(t) ?? none(t));
}

/** Whether a person may be named on the community's roster at some tier (the page's list of people). */
export function eligibleForCommunity(stores: Stores, communityId: number): (person: Person) => boolean {
  const place = communityPlace(stores, communityId);
  return (person) => TIERS.some((tier) => place.mayBeOn(person, tier));
}
