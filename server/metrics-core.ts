import { ALERT_KINDS, RIBBON_STATES, type RibbonState } from '../protocol/ribbon.js';
import type { DeliveryMedium } from './app/deliver-outbox.js';
import type { Clock } from './app/clock.js';
import type { Counter, Registry } from './metrics.js';
import type { GaugeReads } from './store/gauges.js';
import type { SqliteStores } from './store/index.js';

/** The escalation tiers a red goes through (docs/design.md §3): each always has a series, 0 or not. */
const TIERS = ['1', '2', '3'] as const;
const UNRESOLVED = ['open', 'acknowledged'] as const;

/**
 * The safety core's gauges, read when /metrics is scraped (names and meanings for operators:
 * docs/ops/README.md; the dashboard and alert rules there use them, and
 * test/integration/ops/metric-names.test.ts checks that every name they use is exposed).
 * Every label has a fixed, small set of values.
 */
export function registerCoreGauges(
  registry: Registry,
  deps: {
    stores: Pick<SqliteStores, 'devices' | 'outbox'>;
    gauges: GaugeReads;
    clock: Clock;
    connectedDevices: () => number;
    /** Device messages received and not yet answered (the ingest pipeline's `waiting`). */
    ingestWaiting: () => number;
  },
): void {
  const { stores, gauges, clock } = deps;
  registry.gauge('ribbon_connected_devices', 'Devices connected to the embedded broker.', deps.connectedDevices);
  registry.gauge(
    'ribbon_ingest_waiting',
    'Device messages received and not yet answered: queued for their group commit or waiting for its WAL sync (their PUBACK waits with them).',
    deps.ingestWaiting,
  );
  registry.gauge('ribbon_devices_online', 'Devices whose last known state is online.', () =>
    stores.devices.countOnline(),
  );
  registry.gauge(
    'ribbon_devices_offline',
    'Devices in service (not retired) whose last known state is offline, or that never connected.',
    () => gauges.offlineDevices(),
  );
  registry.labeledGauge(
    'ribbon_notifications',
    'Outbox rows by target and status (failed = given up, or nowhere to send).',
    () => stores.outbox.counts().map((c) => ({ labels: { target: c.target, status: c.status }, value: c.n })),
  );
  registry.gauge(
    'ribbon_emergencies_unreached',
    'Open emergencies whose SMS and calls all failed, or that had no phone to try (nobody on duty, no number, no SMS or voice channel).',
    () => stores.outbox.reachGauges().unreachedOpen,
  );
  registry.gauge(
    'ribbon_oldest_unacknowledged_emergency_seconds',
    'Seconds since the press of the oldest open (unacknowledged) emergency; 0 when there is none.',
    () => {
      const oldest = stores.outbox.reachGauges().oldestOpenEmergencyAt;
      return oldest === null ? 0 : Math.max(0, (clock.now() - oldest) / 1000);
    },
  );
  // One read per scrape feeds both families below (the first renders before the second).
  let unresolved: ReturnType<GaugeReads['unresolvedAlerts']> = [];
  registry.labeledGauge(
    'ribbon_alerts_unresolved',
    'Alerts not yet resolved, by kind (emergency = red, service = yellow, missed_checkin, device) and status (open = nobody has acknowledged).',
    () => {
      unresolved = gauges.unresolvedAlerts();
      return ALERT_KINDS.flatMap((kind) =>
        UNRESOLVED.map((status) => ({
          labels: { kind, status },
          value: sum(unresolved.filter((r) => r.kind === kind && r.status === status)),
        })),
      );
    },
  );
  registry.labeledGauge(
    'ribbon_emergencies_open',
    'Open (unacknowledged) emergencies by the escalation tier they have reached: tier 2 after 60 s, tier 3 after 180 s.',
    () =>
      TIERS.map((tier) => ({
        labels: { tier },
        value: sum(
          unresolved.filter(
            (r) => r.kind === 'emergency' && r.status === 'open' && String(Math.min(3, Math.max(1, r.level))) === tier,
          ),
        ),
      })),
  );
}

function sum(rows: ReadonlyArray<{ n: number }>): number {
  return rows.reduce((total, r) => total + r.n, 0);
}

/** Counters the core bumps outside the ingest pipeline. */
export function createCoreCounters(registry: Registry, events: Counter) {
  const attempts = registry.counter(
    'ribbon_notification_attempts_total',
    'Outbox sends finished, by medium (sms, call, robot, device, none) and result (sent, retry = failed for now, failed = given up, dropped = no longer wanted).',
  );
  // Series made at 0 now: a rate over the first report after a start is then not lost.
  const personReports = new Map(RIBBON_STATES.map((state) => [state, events.child({ state, source: 'person' })]));
  return {
    /** A person's report committed (a volunteer's entry): counted beside the presses, source="person". */
    personReport(state: RibbonState): void {
      personReports.get(state)?.inc();
    },
    deliveryAttempt(medium: DeliveryMedium, result: 'sent' | 'retry' | 'failed' | 'dropped'): void {
      attempts.inc({ medium, result });
    },
  };
}
