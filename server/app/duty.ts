import { DEFAULT_TIME_ZONE } from '../../protocol/ribbon.js';
import type { Tier } from '../domain/alert.js';
import {
  checkShift,
  type DutyRoster,
  mayBeOnRoster,
  nextChange,
  onDutyAt,
  parseDutyInstant,
  type Weekday,
} from '../domain/duty.js';
import { isValidTimeZone } from '../domain/zoned-time.js';
import type { Person, Stores, StoredDutyOverride, StoredDutyRoster } from './ports.js';

/**
 * Duty rosters, one use case for every door (the API, the admin CLI, the dashboard through the
 * API): who may be put on a roster, times that read, and the "on duty now and next" answer.
 * Problems name the field as the API's body does (`shifts.0.personIds`); the CLI words them.
 */

export const TIERS: readonly Tier[] = [1, 2, 3];
/** Longer than any leave a roster should carry; a typo of a year is refused. */
export const MAX_OVERRIDE_MS = 366 * 86_400_000;

export type DutyProblem = { path: string; message: string };
export type ShiftInput = { tier: Tier; days: Weekday[]; start: string; end: string; personIds: number[] };

/** A whole community's person is on the rosters of that community's compounds only (issue 14). */
function inCommunityOf(stores: Stores, person: Person, compoundId: number): boolean {
  return person.communityId === null || stores.areas.compoundCommunities().get(compoundId) === person.communityId;
}

function personProblem(
  stores: Stores,
  person: Person | null,
  id: number,
  compoundId: number,
  tier: Tier,
): string | null {
  if (person === null) return `没有 ${id} 号人员（或已退出）/ no active person ${id}`;
  if (!mayBeOnRoster(person, compoundId, tier) || !inCommunityOf(stores, person, compoundId))
    return `${person.name}（${id}）不是本小区第 ${tier} 级的人员 / person ${id} is not a tier ${tier} person covering this whole compound`;
  return null;
}

/**
 * Replaces the compound's weekly shifts (every tier; a tier left without shifts has no roster)
 * and, if given, its zone. Nothing is written unless every shift is good.
 */
export function setDutyShifts(
  stores: Stores,
  compoundId: number,
  input: { timeZone?: string | undefined; shifts: readonly ShiftInput[] },
  now: number,
): { ok: true; roster: StoredDutyRoster } | { ok: false; problems: DutyProblem[] } {
  const problems: DutyProblem[] = [];
  const current = stores.duty.roster(compoundId, now);
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
      const problem = personProblem(stores, stores.people.get(id), id, compoundId, s.tier);
      if (problem !== null) problems.push({ path: `${path}.personIds`, message: problem });
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  stores.transaction(() => stores.duty.replaceShifts(compoundId, timeZone, input.shifts, now));
  return { ok: true, roster: stores.duty.roster(compoundId, now) };
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

/** Adds a swap (replacementId) or leave (null) for someone on the tier's roster. */
export function addDutyOverride(
  stores: Stores,
  compoundId: number,
  input: OverrideInput,
  now: number,
): { ok: true; override: StoredDutyOverride } | { ok: false; problems: DutyProblem[] } {
  const roster = stores.duty.roster(compoundId, now);
  const shifts = roster.shifts.filter((s) => s.tier === input.tier);
  if (roster.timeZone === null || shifts.length === 0)
    return {
      ok: false,
      problems: [
        { path: 'tier', message: `本小区第 ${input.tier} 级还没有值班表 / tier ${input.tier} has no roster here` },
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
        : personProblem(stores, stores.people.get(input.replacementId), input.replacementId, compoundId, input.tier);
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
  const id = stores.duty.addOverride(
    {
      compoundId,
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
  const override = stores.duty.getOverride(id);
  if (override === null) throw new Error(`duty override ${id} vanished`);
  return { ok: true, override };
}

export type TierDuty = {
  tier: Tier;
  /** false: no roster for this tier (everyone of the tier covering a household answers). */
  roster: boolean;
  onDuty: number[];
  next: { at: number; personIds: number[] } | null;
};

/**
 * Who is on duty now and who is next, per tier, with the people who may still answer (the same
 * rule as DutyStore.onDuty; a test holds the two to the same answer).
 */
export function dutyNow(stores: Stores, roster: StoredDutyRoster, now: number): TierDuty[] {
  const timeZone = roster.timeZone ?? DEFAULT_TIME_ZONE;
  const people = new Map<number, Person | null>();
  const active = (id: number, tier: Tier): boolean => {
    if (!people.has(id)) people.set(id, stores.people.get(id));
    const p = people.get(id) ?? null;
    return p !== null && mayBeOnRoster(p, roster.compoundId, tier);
  };
  return TIERS.map((tier) => {
    const shifts = roster.shifts.filter((s) => s.tier === tier);
    if (shifts.length === 0) return { tier, roster: false, onDuty: [], next: null };
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
    return {
      tier,
      roster: true,
      onDuty: onDutyAt(domain, now, timeZone),
      next: next === null ? null : { at: next.at, personIds: next.people },
    };
  });
}
