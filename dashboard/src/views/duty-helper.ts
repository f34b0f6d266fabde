import { lang, t, type WordKey } from '../i18n.js';

/** The duty page's (views/duty.ts) shapes and its pure helpers: who may read which community's roster, times and days as words. */
export type DutyPerson = { id: number; name: string; phone: string | null; role: string; tier: number };
export type Shift = { id: number; tier: number; days: number[]; start: string; end: string; personIds: number[] };
export type Override = {
  id: number;
  tier: number;
  personId: number;
  replacementId: number | null;
  from: number;
  to: number;
  note: string;
};
export type DutyJson = {
  /** A compound's roster: compoundId and compound; a community's: communityId, community and compounds. */
  compoundId?: number;
  compound?: string;
  communityId?: number | null;
  community?: string;
  /** The compounds a community's roster serves, and the tiers each keeps a roster of its own for. */
  compounds?: Array<{ id: number; name: string; ownTiers: number[] }>;
  timeZone: string;
  now: number;
  tiers: Array<{
    tier: number;
    roster: boolean;
    /** Whose roster answers: the compound's own, its community's, or none. */
    source?: 'compound' | 'community' | null;
    onDuty: DutyPerson[];
    next: { at: number; people: DutyPerson[] } | null;
  }>;
  shifts: Shift[];
  overrides: Override[];
  people: DutyPerson[];
};
export type FieldError = { path: string; message: string };
export type ScopeEntry = { level: string; id: number; readOnly: boolean };
export type Area = { id: number; level: string; name: string; parentId: number | null };
/** A roster's owner as the selector names it: "compound:3" or "community:7". */
export type Place = { kind: 'compound' | 'community'; id: number };

/** The communities whose whole roster the user may read: every one for an admin, else those in the scope (or under a street or the district in it). */
export function communitiesShown(
  role: string,
  scope: readonly ScopeEntry[],
  areas: readonly Area[],
): Array<{ id: number; name: string; editable: boolean }> {
  const communities = areas.filter((a) => a.level === 'community');
  if (role === 'admin') return communities.map((c) => ({ id: c.id, name: c.name, editable: true }));
  const entry = (c: Area) =>
    scope.filter(
      (e) =>
        e.level === 'district' ||
        (e.level === 'street' && e.id === c.parentId) ||
        (e.level === 'community' && e.id === c.id),
    );
  return communities.flatMap((c) => {
    const covering = entry(c);
    return covering.length === 0
      ? []
      : [{ id: c.id, name: c.name, editable: role === 'staff' && covering.some((e) => !e.readOnly) }];
  });
}

/** The wall clock "YYYY-MM-DDTHH:MM" of `ms` in `timeZone` (what a datetime-local field holds). */
export function wallInput(ms: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  for (const p of format.formatToParts(ms)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** A moment for people: weekday, date and time in the roster's zone. */
export function whenText(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat(lang(), {
    timeZone,
    weekday: 'short',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}

/** ISO weekdays as words: 1-5 → "周一至周五", 6,7 → "周六、周日". */
export function daysText(days: readonly number[]): string {
  const name = (d: number) => t(`duty.day${d}` as WordKey);
  const sorted = [...days].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first !== undefined && last !== undefined && sorted.length >= 3 && last - first === sorted.length - 1)
    return t('duty.dayRange', { from: name(first), to: name(last) });
  return sorted.map(name).join(t('duty.listSep'));
}
