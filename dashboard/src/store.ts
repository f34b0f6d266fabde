import type { AreaJson, CompoundCountsJson, LiveView } from '../../protocol/live.js';
import type { Alert, Device, Household, Receipt } from './api.js';

/**
 * What the live feed has told us: households, the alerts not yet resolved, devices. Changes are
 * applied at once (so the alarm can sound in a hidden tab), but listeners hear of them at most
 * once per animation frame, with the set of households touched: a storm of updates costs one
 * render per frame, never one per message.
 */
export type StoreChange = { reset: boolean; households: ReadonlySet<number>; alerts: boolean; places: boolean };
type Listener = (change: StoreChange) => void;

/** Counters for the operator and the tests (also on `window.ribbonStats`). */
export const stats = { messages: 0, changes: 0, flushes: 0 };

export class Store {
  readonly households = new Map<number, Household>();
  readonly alerts = new Map<number, Alert>();
  readonly devices = new Map<string, Device>();
  /** The place the feed shows (protocol/live.ts, LiveView); null = everything, household by household. */
  view: LiveView | null = null;
  /** An area view's compounds, with their counts now, and the areas they are in. */
  readonly compounds = new Map<number, CompoundCountsJson>();
  readonly areas = new Map<number, AreaJson>();
  private placesDirty = false;
  private readonly alertsOf = new Map<number, Set<number>>();
  private readonly devicesOf = new Map<number, Set<string>>();
  private readonly listeners = new Set<Listener>();
  private dirty = new Set<number>();
  private alertsDirty = false;
  private resetPending = false;
  private scheduled = false;
  truncated = false;
  /** What is shown came from this phone's saved copy (offline.ts), not from the server yet. */
  fromCache = false;
  /** Snapshots received from the live feed. */
  liveSnapshots = 0;
  /** When the feed last told us anything (ms), for "the screen may be stale". */
  lastUpdate = 0;

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The whole picture: from the live feed's snapshot, or (`cache`, with its age) from the phone's saved copy. */
  reset(
    households: Household[],
    alerts: Alert[],
    devices: Device[],
    truncated: boolean,
    source: 'live' | 'cache' = 'live',
    at = Date.now(),
    places: { view: LiveView | null; compounds: CompoundCountsJson[]; areas: AreaJson[] } = {
      view: null,
      compounds: [],
      areas: [],
    },
  ): void {
    this.view = places.view;
    this.compounds.clear();
    this.areas.clear();
    for (const c of places.compounds) this.compounds.set(c.compoundId, c);
    for (const a of places.areas) this.areas.set(a.id, a);
    this.placesDirty = true;
    this.fromCache = source === 'cache';
    if (source === 'live') this.liveSnapshots += 1;
    this.households.clear();
    this.alerts.clear();
    this.devices.clear();
    this.alertsOf.clear();
    this.devicesOf.clear();
    for (const h of households) this.households.set(h.id, h);
    // Indexed without touch(): a snapshot is one reset for the listeners, not a change per row.
    for (const a of alerts) this.indexAlert(a);
    for (const d of devices) this.indexDevice(d);
    this.truncated = truncated;
    this.lastUpdate = at;
    this.resetPending = true;
    this.alertsDirty = true;
    this.schedule();
  }

  putHousehold(h: Household): void {
    if (h.closed) {
      // Closed (issue 15): it leaves the screen with its devices; its alerts were resolved.
      if (!this.households.delete(h.id)) return;
      for (const id of this.devicesOf.get(h.id) ?? []) this.devices.delete(id);
      this.devicesOf.delete(h.id);
      for (const id of this.alertsOf.get(h.id) ?? []) this.alerts.delete(id);
      if (this.alertsOf.delete(h.id)) this.alertsDirty = true;
      this.touch(h.id);
      return;
    }
    const before = this.households.get(h.id);
    // The live feed's household view does not carry every field the HTTP one does: keep those.
    this.households.set(h.id, before ? { ...before, ...h } : h);
    this.touch(h.id);
  }

  /** A household closed (issue 15): it leaves every screen of the live picture; its history stays on the server. */
  dropHousehold(id: number): void {
    if (!this.households.delete(id)) return;
    this.touch(id);
  }

  /** Stores an alert; true if it replaced the card made of a receipt (the same press: already sounded). */
  putAlert(a: Alert): boolean {
    // A real emergency on record replaces what the page made of its receipt.
    const replaced = a.kind === 'emergency' && a.id > 0 && this.dropReceipts(a.householdId);
    this.indexAlert(a);
    this.alertsDirty = true;
    this.touch(a.householdId);
    return replaced;
  }

  /**
   * A red press on its way to the server's disk, shown as an emergency of its own (negative id)
   * while the household has no emergency on record; `recorded` (or any emergency alert of the
   * household arriving) takes it away. One card per household: a second receipt (a resend after
   * "unrecorded", a redelivery in the same moment) updates it. Returns the card if it is new
   * (to be sounded), else null.
   */
  putReceipt(r: Receipt): Alert | null {
    const had = this.dropReceipts(r.householdId);
    if (r.status === 'recorded') return null;
    if (this.alertsFor(r.householdId).some((a) => a.kind === 'emergency' && a.id > 0 && a.status !== 'resolved'))
      return null;
    const hh = this.households.get(r.householdId);
    const alert: Alert = {
      id: -r.id,
      kind: 'emergency',
      status: 'open',
      level: 0,
      householdId: r.householdId,
      compoundId: r.compoundId,
      openedAt: r.receivedAt,
      acknowledgedAt: null,
      acknowledgedBy: null,
      arrivedAt: null,
      arrivedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      resolutionNote: null,
      reportCount: 1,
      reason: null,
      dueAt: null,
      reach: null,
      household: hh ? { name: hh.name, compound: hh.compound, building: hh.building, room: hh.room } : null,
      receipt: r.status,
    };
    this.putAlert(alert);
    return had ? null : alert;
  }

  /** Removes the household's receipt cards; true if there was one. */
  private dropReceipts(householdId: number): boolean {
    let dropped = false;
    for (const a of this.alertsFor(householdId)) {
      if (a.id >= 0) continue;
      this.indexAlert({ ...a, status: 'resolved' });
      this.alertsDirty = true;
      this.touch(householdId);
      dropped = true;
    }
    return dropped;
  }

  /** A compound's new counts (an area view's delta). */
  putCounts(c: CompoundCountsJson): void {
    this.compounds.set(c.compoundId, c);
    this.placesDirty = true;
    stats.changes += 1;
    this.lastUpdate = Date.now();
    this.schedule();
  }

  putDevice(d: Partial<Device> & { id: string; householdId: number }): void {
    this.indexDevice(d);
    this.touch(d.householdId);
  }

  private indexAlert(a: Alert): void {
    if (a.status === 'resolved') {
      this.alerts.delete(a.id);
      this.alertsOf.get(a.householdId)?.delete(a.id);
    } else {
      this.alerts.set(a.id, a);
      let set = this.alertsOf.get(a.householdId);
      if (!set) this.alertsOf.set(a.householdId, (set = new Set()));
      set.add(a.id);
    }
  }

  private indexDevice(d: Partial<Device> & { id: string; householdId: number }): void {
    const before = this.devices.get(d.id);
    // Moved to another household: no longer the old one's.
    if (before && before.householdId !== d.householdId) {
      this.devicesOf.get(before.householdId)?.delete(d.id);
      this.touch(before.householdId);
    }
    const next: Device = { online: false, battery: null, lastSeenAt: null, ...before, ...d };
    this.devices.set(d.id, next);
    let set = this.devicesOf.get(d.householdId);
    if (!set) this.devicesOf.set(d.householdId, (set = new Set()));
    set.add(d.id);
  }

  alertsFor(householdId: number): Alert[] {
    return lookup(this.alertsOf.get(householdId), this.alerts);
  }

  devicesFor(householdId: number): Device[] {
    return lookup(this.devicesOf.get(householdId), this.devices);
  }

  private touch(householdId: number): void {
    stats.changes += 1;
    this.lastUpdate = Date.now();
    this.dirty.add(householdId);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // A hidden tab gets no animation frames at all; the alarm badge, the flashing title and the
    // repeat of the sound hang on these flushes, so a hidden tab flushes on a timer instead.
    if (typeof document !== 'undefined' && document.hidden) setTimeout(() => this.flush(), 250);
    else requestAnimationFrame(() => this.flush());
  }

  /** Tells the listeners (once per frame). Public so a hidden tab can be caught up on return. */
  flush(): void {
    this.scheduled = false;
    if (!this.resetPending && this.dirty.size === 0 && !this.alertsDirty && !this.placesDirty) return;
    const change: StoreChange = {
      reset: this.resetPending,
      households: this.dirty,
      alerts: this.alertsDirty,
      places: this.placesDirty,
    };
    this.dirty = new Set();
    this.alertsDirty = false;
    this.placesDirty = false;
    this.resetPending = false;
    stats.flushes += 1;
    // One view that throws must not keep the change from the others (the alarm among them).
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        console.error('a view failed to apply a change', err);
      }
    }
  }
}

/** The values of `map` at `ids` that are there. */
function lookup<K, V>(ids: ReadonlySet<K> | undefined, map: ReadonlyMap<K, V>): V[] {
  const out: V[] = [];
  if (ids)
    for (const id of ids) {
      const v = map.get(id);
      if (v !== undefined) out.push(v);
    }
  return out;
}
