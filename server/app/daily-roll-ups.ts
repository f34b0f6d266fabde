import {
  ALERT_KINDS,
  REPORT_SOURCES,
  RIBBON_STATES,
  type AlertKind,
  type ReportSource,
  type RibbonState,
} from '../domain/ribbon.js';
import { RESPONSE_TARGETS, share, type DailyReport, type Share } from './daily-report.js';
import { placeTree, sumTree, type PlaceNode } from './place-tree.js';
import { addEmergencies, type EmergencyFigures } from './roll-ups.js';
import type { StoredReport, Stores, User } from './ports.js';

/**
 * The daily report per street and for the district (and per community): computed on read as
 * the sums of the compounds' stored daily reports of that day (app/daily-report.ts), not stored
 * again. A day run again replaces its compounds' rows, and the roll-ups follow without a second
 * copy to keep in step; a compound moved to another street counts under the street it is in now.
 * Only additive figures roll up: counts, and shares by their count and denominator (the
 * percentage worked out again from the sums); medians and p90s do not add and stay per compound.
 */

export type DailyRollUpFigures = Pick<
  DailyReport,
  'households' | 'checkedIn' | 'presses' | 'red' | 'yellow' | 'blue' | 'alertsOpened' | 'missedCheckins' | 'openAlerts'
> & {
  /** Compounds whose report of the day is stored (of the place's compounds in the user's scope). */
  reports: number;
  /** The counts and shares of the compounds' emergencies (their medians and p90s do not add). */
  emergency: EmergencyFigures;
  service: Pick<DailyReport['service'], 'opened' | 'claimed'>;
};

export type DailyRollUp = {
  level: 'district' | 'street' | 'community';
  id: number;
  name: string;
  parentId: number | null;
  compounds: number;
  figures: DailyRollUpFigures;
};

const T = RESPONSE_TARGETS;
const kinds = (f: (k: AlertKind) => number) =>
  Object.fromEntries(ALERT_KINDS.map((k) => [k, f(k)])) as Record<AlertKind, number>;
const presses = (f: (s: ReportSource, c: RibbonState) => number) =>
  Object.fromEntries(
    REPORT_SOURCES.map((s) => [s, Object.fromEntries(RIBBON_STATES.map((c) => [c, f(s, c)]))]),
  ) as Record<ReportSource, Record<RibbonState, number>>;

function zero(): DailyRollUpFigures {
  return {
    reports: 0,
    households: 0,
    checkedIn: 0,
    presses: presses(() => 0),
    red: 0,
    yellow: 0,
    blue: 0,
    alertsOpened: kinds(() => 0),
    missedCheckins: 0,
    openAlerts: 0,
    emergency: {
      opened: 0,
      acknowledged: 0,
      arrived: 0,
      ackWithin60s: share(0, 0, T.ackWithin60s.targetPct),
      ackWithin180s: share(0, 0, T.ackWithin180s.targetPct),
      arrivedWithin45min: share(0, 0, T.arrivedWithin45min.targetPct),
    },
    service: { opened: 0, claimed: 0 },
  };
}

function add(a: DailyRollUpFigures, b: DailyRollUpFigures): DailyRollUpFigures {
  return {
    reports: a.reports + b.reports,
    households: a.households + b.households,
    checkedIn: a.checkedIn + b.checkedIn,
    presses: presses((s, c) => a.presses[s][c] + b.presses[s][c]),
    red: a.red + b.red,
    yellow: a.yellow + b.yellow,
    blue: a.blue + b.blue,
    alertsOpened: kinds((k) => a.alertsOpened[k] + b.alertsOpened[k]),
    missedCheckins: a.missedCheckins + b.missedCheckins,
    openAlerts: a.openAlerts + b.openAlerts,
    emergency: addEmergencies(a.emergency, b.emergency),
    service: { opened: a.service.opened + b.service.opened, claimed: a.service.claimed + b.service.claimed },
  };
}

/** One compound's stored report as the additive figures (a report without a field counts 0 there). */
function fromReport(r: StoredReport): DailyRollUpFigures {
  const d = r.data as Partial<DailyReport>;
  const e = d.emergency;
  const s = (x: Share | undefined, target: number | null) => share(x?.count ?? 0, x?.of ?? 0, target);
  return {
    reports: 1,
    households: d.households ?? 0,
    checkedIn: d.checkedIn ?? 0,
    presses: presses((src, c) => d.presses?.[src]?.[c] ?? 0),
    red: d.red ?? 0,
    yellow: d.yellow ?? 0,
    blue: d.blue ?? 0,
    alertsOpened: kinds((k) => d.alertsOpened?.[k] ?? 0),
    missedCheckins: d.missedCheckins ?? 0,
    openAlerts: d.openAlerts ?? 0,
    emergency: {
      opened: e?.opened ?? 0,
      acknowledged: e?.acknowledged ?? 0,
      arrived: e?.arrived ?? 0,
      ackWithin60s: s(e?.ackWithin60s, T.ackWithin60s.targetPct),
      ackWithin180s: s(e?.ackWithin180s, T.ackWithin180s.targetPct),
      arrivedWithin45min: s(e?.arrivedWithin45min, T.arrivedWithin45min.targetPct),
    },
    service: { opened: d.service?.opened ?? 0, claimed: d.service?.claimed ?? 0 },
  };
}

/**
 * The day's roll-ups of every area the user sees (district first, then streets and communities
 * depth first), each the sum of its compounds' stored reports within the user's scope.
 */
export function dailyRollUps(stores: Stores, user: User, reports: readonly StoredReport[]): DailyRollUp[] {
  const tree = placeTree(stores, user);
  const byCompound = new Map(reports.map((r) => [r.compoundId, fromReport(r)]));
  const sums = sumTree(tree.root, (id) => byCompound.get(id) ?? zero(), add, zero);
  return tree
    .walk(tree.root)
    .filter((n): n is PlaceNode & { level: DailyRollUp['level'] } => n.level !== 'compound')
    .map((n) => ({
      level: n.level,
      id: n.id,
      name: n.name,
      parentId: n.parent?.id ?? null,
      compounds: n.compoundIds.length,
      figures: sums.get(n) ?? zero(),
    }));
}
