import type { AreaJson, ReceiptJson, SnapshotFrame } from '../../protocol/live.js';
import { seesCompound } from '../api/auth.js';
import { alertView, deviceView, householdView } from '../api/views.js';
import type { Stores } from '../app/ports.js';
import type { User } from '../app/ports.js';
import type { ViewScope } from './view.js';
import type { CompoundIndex } from './compounds.js';
import { receiptView, type ReceiptTracker } from './receipts.js';

/** A snapshot frame without its `type` and `seq` (the connection adds those). */
export type SnapshotBody = Omit<SnapshotFrame, 'type' | 'seq'>;

export type SnapshotSources = {
  stores: Stores;
  compounds: CompoundIndex;
  receipts: ReceiptTracker;
  /** At most this many households (and alerts). */
  limit: number;
};

/**
 * What `user` may see now (their compounds; an admin all): households, the open and acknowledged
 * alerts newest first, the devices of the households shown, and the receipts not yet on disk.
 * `truncated` when there are more households or alerts than `limit`.
 */
export function buildSnapshot(user: User, scope: ViewScope, from: SnapshotSources, now: number): SnapshotBody {
  const { stores, compounds, receipts, limit } = from;
  const compoundIds = user.role === 'admin' ? null : user.compoundIds;
  // The households of the view (none above the compound: its compounds' counts instead).
  const watched = scope.compounds === null ? compoundIds : [...scope.compounds];
  const households = scope.area ? [] : stores.places.pageHouseholds(0, limit + 1, watched);
  const counts = scope.area ? stores.areas.compoundCounts(watched) : [];
  // The unresolved alerts of the whole scope (an emergency elsewhere stays on screen); above the
  // compound only emergencies and service requests (the pinned strip), the rest are in the counts.
  const kinds = scope.area ? AREA_VIEW_ALERT_KINDS : [undefined];
  const alerts = kinds
    .flatMap((kind) =>
      (['open', 'acknowledged'] as const).flatMap((status) =>
        stores.alerts.page({ status, compoundIds, ...(kind === undefined ? {} : { kind }) }, null, limit + 1),
      ),
    )
    .sort((a, b) => b.openedAt - a.openedAt || b.id - a.id);
  const truncated = households.length > limit || alerts.length > limit;
  const shown = households.slice(0, limit);
  const byId = new Map(shown.map((h) => [h.id, h]));
  for (const h of shown) compounds.note(h.id, h.compoundId);
  // The devices of the households shown: none above the compound; a scope's own through its
  // compounds (listing a district's 20,000 to keep a compound's 30 took ~100 ms a snapshot).
  const inUse = shown.length === 0 ? [] : watched === null ? stores.devices.list() : stores.devices.inUseIn(watched);
  const devices = inUse.filter((d) => d.retiredAt === null && byId.has(d.householdId)).map(deviceView);
  const unsettled: ReceiptJson[] = [];
  for (const r of receipts.unsettled()) {
    const compoundId = compounds.of(r.householdId);
    if (compoundId !== null && seesCompound(user, compoundId)) unsettled.push(receiptView(r, compoundId));
  }
  return {
    at: new Date(now).toISOString(),
    view: scope.view,
    truncated,
    households: shown.map(householdView),
    compounds: counts,
    areas:
      scope.view === null
        ? []
        : areasOf(scope.area ? counts.map((c) => c.communityId) : communitiesOf(scope, stores), scope, stores),
    alerts: alerts
      .slice(0, limit)
      .map((a) => alertView(a, byId.get(a.householdId) ?? stores.places.getHousehold(a.householdId))),
    devices,
    receipts: unsettled,
  };
}

/** An area view's alerts: those of the pinned strip (the counts hold the rest). */
const AREA_VIEW_ALERT_KINDS = ['emergency', 'service'] as const;

/** The areas the view's compounds are in, up to the district, and the view's own. */
function areasOf(communities: readonly number[], scope: ViewScope, stores: Stores): AreaJson[] {
  const all = new Map(stores.areas.list().map((a) => [a.id, a]));
  const wanted = new Set<number>(scope.area && scope.view !== null ? [scope.view.id] : []);
  for (const community of communities) {
    // community › street › district: three steps at most.
    for (let id: number | null = community; id !== null; id = all.get(id)?.parentId ?? null) wanted.add(id);
  }
  return [...all.values()].filter((a) => wanted.has(a.id));
}

/** The communities of a compound view's compounds (the path of its breadcrumb). */
function communitiesOf(scope: ViewScope, stores: Stores): number[] {
  const of = stores.areas.compoundCommunities();
  return [...(scope.compounds ?? [])].flatMap((id) => of.get(id) ?? []);
}

/** How long a built snapshot may be given to other sockets of its scope when nothing changed. */
export const SHARED_SNAPSHOT_MAX_AGE_MS = 1000;

/**
 * Snapshots shared between sockets of the same scope (issue 12): 8,000 households make a 1.5 MB
 * frame that takes tens of ms to build, and eight sockets of one session connecting (or an office
 * of walls reconnecting after a network blip) asked for eight. One built for a scope (an admin's
 * everything, or a set of compounds) is given again while no change has been published since
 * (`changed()` is called for each) and it is under `maxAgeMs` old; the age covers records written
 * without a change of their own (a roster import), which a resync shows at most that late.
 */
export function createSnapshotCache(
  build: (user: User, view: ViewScope) => string,
  opts: { now: () => number; maxAgeMs?: number },
) {
  const maxAgeMs = opts.maxAgeMs ?? SHARED_SNAPSHOT_MAX_AGE_MS;
  // Emptied on every change: what is here was built since the last one.
  const built = new Map<string, { at: number; rest: Buffer }>();
  const scopeOf = (user: User) => (user.role === 'admin' ? '*' : [...user.compoundIds].sort((a, b) => a - b).join(','));
  return {
    /**
     * The snapshot for `user` as JSON without its opening brace (`"at":…}`), to follow a frame's
     * own `{"type":"snapshot","seq":N,`: the same bytes for every socket of the scope.
     */
    body(user: User, view: ViewScope): Buffer {
      const scope = `${scopeOf(user)}|${view.key}`;
      const now = opts.now();
      const hit = built.get(scope);
      if (hit !== undefined && now - hit.at >= 0 && now - hit.at < maxAgeMs) return hit.rest;
      const rest = Buffer.from(build(user, view).slice(1));
      built.set(scope, { at: now, rest });
      return rest;
    },
    /** A change was published: no snapshot built before it may be given again. */
    changed(): void {
      built.clear();
    },
  };
}
