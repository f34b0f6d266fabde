import { ALERT_KINDS, type AlertKind } from '../domain/ribbon.js';
import { addDays, isValidTimeZone, localDate, parseLocalDate, startOfLocalDay } from '../domain/zoned-time.js';
import { RESPONSE_TARGETS, responseFigures, share, type Share } from './daily-report.js';
import { pathOf, placeTree, sumTree, type PlaceNode, type PlaceRef, type PlaceTree } from './place-tree.js';
import type { Stores, User } from './ports.js';
import type { CompoundCounts, HouseholdFigures } from './ports-roll-ups.js';

/**
 * Roll-ups (issue 14, point 3): every figure per place at each level — district, street,
 * community, compound — for one local day, and the households of a compound on drill-down.
 *
 * Three grouped reads per request, each one row per compound (store/roll-ups.ts compoundCounts,
 * openAlerts; the daily report's openedBetween), then the tree is summed in TypeScript: a
 * compound's figures are its own, every other place's are exactly the sum of its children's.
 * Shares keep their numerator and denominator (`count` of `of`) so they add up too; the
 * percentage is worked out again from the sums by the daily report's share(). The response
 * figures of a compound are the daily report's responseFigures(): one rule for both.
 *
 * What is "of the day" and what is "now": emergencies, their answers and missed check-ins are
 * those opened in the day; heard from is a report received in the day or a device whose last
 * word fell in it (exact for today; for a past day a device heard again since counts only by its
 * reports); open alerts, offline devices and working devices are as of now.
 */

/** Emergencies opened in the day and how they were answered: counts and shares, all additive. */
export type EmergencyFigures = {
  opened: number;
  acknowledged: number;
  arrived: number;
  ackWithin60s: Share;
  ackWithin180s: Share;
  arrivedWithin45min: Share;
};

export type Figures = {
  /** Households registered before the day ended. */
  households: number;
  /** Households with a working device (one not retired and not offline), of all households. */
  coverage: Share;
  /** Households heard from in the day (a press, a person's report or a heartbeat), of all households. */
  heard: Share;
  /** Devices not retired, and of those offline (now). */
  devices: number;
  devicesOffline: number;
  /** Alerts not resolved, by kind (now). */
  openAlerts: Record<AlertKind, number>;
  /** Alerts opened in the day, by kind; missedCheckins is alertsOpened.missed_checkin. */
  alertsOpened: Record<AlertKind, number>;
  missedCheckins: number;
  emergency: EmergencyFigures;
};

export type PlaceJson = { level: PlaceNode['level']; id: number; name: string };

export type PlaceFiguresJson = PlaceJson & { compounds: number; figures: Figures };

export type HouseholdFiguresJson = Omit<HouseholdFigures, 'stateAt' | 'lastHeardAt'> & {
  stateAt: string | null;
  lastHeardAt: string | null;
  /** What its devices say: every one online, some offline, or no device at all. */
  device: 'online' | 'offline' | 'none';
};

export type PlaceFiguresResult = {
  day: string;
  timezone: string;
  computedAt: string;
  /** The place asked for (or the user's top place), its figures, and the way up to the district. */
  place: PlaceFiguresJson;
  path: PlaceJson[];
  /** Its sub-places with their figures (empty for a compound). */
  children: PlaceFiguresJson[];
  /** A compound's households; null above the compound. */
  households: HouseholdFiguresJson[] | null;
};

const zeroKinds = (): Record<AlertKind, number> =>
  Object.fromEntries(ALERT_KINDS.map((k) => [k, 0])) as Record<AlertKind, number>;

const T = RESPONSE_TARGETS;

export function emptyFigures(): Figures {
  return {
    households: 0,
    coverage: share(0, 0, null),
    heard: share(0, 0, null),
    devices: 0,
    devicesOffline: 0,
    openAlerts: zeroKinds(),
    alertsOpened: zeroKinds(),
    missedCheckins: 0,
    emergency: {
      opened: 0,
      acknowledged: 0,
      arrived: 0,
      ackWithin60s: share(0, 0, T.ackWithin60s.targetPct),
      ackWithin180s: share(0, 0, T.ackWithin180s.targetPct),
      arrivedWithin45min: share(0, 0, T.arrivedWithin45min.targetPct),
    },
  };
}

/** Shares add by count and denominator (an average of percentages would not). */
export const addShare = (a: Share, b: Share): Share => share(a.count + b.count, a.of + b.of, a.targetPct);

/** The emergencies' figures of two places, added: counts, and shares by count and denominator. */
export function addEmergencies<T extends EmergencyFigures>(a: T, b: T): EmergencyFigures {
  return {
    opened: a.opened + b.opened,
    acknowledged: a.acknowledged + b.acknowledged,
    arrived: a.arrived + b.arrived,
    ackWithin60s: addShare(a.ackWithin60s, b.ackWithin60s),
    ackWithin180s: addShare(a.ackWithin180s, b.ackWithin180s),
    arrivedWithin45min: addShare(a.arrivedWithin45min, b.arrivedWithin45min),
  };
}

const addKinds = (a: Record<AlertKind, number>, b: Record<AlertKind, number>) =>
  Object.fromEntries(ALERT_KINDS.map((k) => [k, a[k] + b[k]])) as Record<AlertKind, number>;

/** a + b, figure by figure; shares by their counts and denominators. */
export function addFigures(a: Figures, b: Figures): Figures {
  return {
    households: a.households + b.households,
    coverage: addShare(a.coverage, b.coverage),
    heard: addShare(a.heard, b.heard),
    devices: a.devices + b.devices,
    devicesOffline: a.devicesOffline + b.devicesOffline,
    openAlerts: addKinds(a.openAlerts, b.openAlerts),
    alertsOpened: addKinds(a.alertsOpened, b.alertsOpened),
    missedCheckins: a.missedCheckins + b.missedCheckins,
    emergency: addEmergencies(a.emergency, b.emergency),
  };
}

/** The day's range in the zone; a RangeError for a day or zone that is not one. */
export function dayRange(day: string, timeZone: string): { from: number; to: number } {
  if (parseLocalDate(day) === null) throw new RangeError(`not a calendar date: ${JSON.stringify(day)}`);
  if (!isValidTimeZone(timeZone)) throw new RangeError(`not a time zone: ${JSON.stringify(timeZone)}`);
  return { from: startOfLocalDay(day, timeZone), to: startOfLocalDay(addDays(day, 1), timeZone) };
}

/** Every compound's figures for the day (the three grouped reads), keyed by compound id. */
function compoundFigures(stores: Stores, compoundIds: readonly number[], range: { from: number; to: number }) {
  const wanted = new Set(compoundIds);
  const counts = new Map<number, CompoundCounts>();
  for (const c of stores.rollUps.compoundCounts(compoundIds, range.from, range.to)) counts.set(c.compoundId, c);
  const open = new Map<number, Record<AlertKind, number>>();
  for (const r of stores.rollUps.openAlerts()) {
    if (!wanted.has(r.compoundId)) continue;
    const kinds = open.get(r.compoundId) ?? zeroKinds();
    kinds[r.kind] += r.n;
    open.set(r.compoundId, kinds);
  }
  const opened = new Map<number, ReturnType<Stores['reports']['openedBetween']>>();
  for (const a of stores.reports.openedBetween(range.from, range.to)) {
    if (!wanted.has(a.compoundId)) continue;
    const list = opened.get(a.compoundId) ?? [];
    list.push(a);
    opened.set(a.compoundId, list);
  }
  const out = new Map<number, Figures>();
  for (const id of compoundIds) {
    const c = counts.get(id);
    const households = c?.households ?? 0;
    const r = responseFigures(opened.get(id) ?? []);
    out.set(id, {
      households,
      coverage: share(c?.withWorkingDevice ?? 0, households, null),
      heard: share(c?.heard ?? 0, households, null),
      devices: c?.devices ?? 0,
      devicesOffline: c?.devicesOffline ?? 0,
      openAlerts: open.get(id) ?? zeroKinds(),
      alertsOpened: r.alertsOpened,
      missedCheckins: r.alertsOpened.missed_checkin,
      emergency: {
        opened: r.emergency.opened,
        acknowledged: r.emergency.acknowledged,
        arrived: r.emergency.arrived,
        ackWithin60s: r.emergency.ackWithin60s,
        ackWithin180s: r.emergency.ackWithin180s,
        arrivedWithin45min: r.emergency.arrivedWithin45min,
      },
    });
  }
  return out;
}

const placeJson = (n: PlaceNode): PlaceJson => ({ level: n.level, id: n.id, name: n.name });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type PlaceFiguresQuery = { place: PlaceRef | null; day: string | null; timeZone: string; now: number };

/**
 * The roll-ups for a user: the place asked for (or their top place) with its children's
 * figures, and a compound's households. Null when the place does not exist or is not theirs.
 * Also every place under it (`all`), for the CSV export.
 */
export function placeFigures(
  stores: Stores,
  user: User,
  q: PlaceFiguresQuery,
): (PlaceFiguresResult & { all: Array<PlaceFiguresJson & { parent: PlaceJson | null }> }) | null {
  const tree: PlaceTree = placeTree(stores, user);
  const node = q.place === null ? tree.top : tree.find(q.place);
  // A user with no compound at all has no place either (not even the district's name).
  if (node === null || (user.role !== 'admin' && node.compoundIds.length === 0)) return null;
  const day = q.day ?? localDate(q.now, q.timeZone);
  const range = dayRange(day, q.timeZone);
  const perCompound = compoundFigures(stores, node.compoundIds, range);
  const sums = sumTree(node, (id) => perCompound.get(id) ?? emptyFigures(), addFigures, emptyFigures);
  const json = (n: PlaceNode): PlaceFiguresJson => ({
    ...placeJson(n),
    compounds: n.compoundIds.length,
    figures: sums.get(n) ?? emptyFigures(),
  });
  const households =
    node.level === 'compound'
      ? stores.rollUps.households(node.id).map(
          (h): HouseholdFiguresJson => ({
            ...h,
            stateAt: iso(h.stateAt),
            lastHeardAt: iso(h.lastHeardAt),
            device: h.devices === 0 ? 'none' : h.devicesOnline === h.devices ? 'online' : 'offline',
          }),
        )
      : null;
  return {
    day,
    timezone: q.timeZone,
    computedAt: new Date(q.now).toISOString(),
    place: json(node),
    path: pathOf(node).map(placeJson),
    children: node.children.map(json),
    households,
    all: tree.walk(node).map((n) => ({ ...json(n), parent: n.parent === null ? null : placeJson(n.parent) })),
  };
}
