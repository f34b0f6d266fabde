import type { AlertKind, AlertStatus } from '../../protocol/ribbon.js';
import type { Db } from './db.js';

/**
 * The reads behind the operators' gauges on /metrics (docs/ops/): each is one query per scrape,
 * over an index or a small table, never a per-row walk on the press's path.
 */
export function createGaugeReads(db: Db) {
  // alerts_status (status, kind, opened_at) narrows it to the unresolved alerts.
  const unresolved = db.prepare<[], { kind: AlertKind; status: AlertStatus; level: number; n: number }>(
    `SELECT kind, status, level, count(*) AS n FROM alerts
     WHERE status IN ('open', 'acknowledged') GROUP BY kind, status, level`,
  );
  const offline = db.prepare<[], { n: number }>(
    'SELECT count(*) AS n FROM devices WHERE retired_at IS NULL AND online = 0',
  );
  return {
    /** Unresolved alerts by kind, status and the escalation tier reached (level). */
    unresolvedAlerts(): Array<{ kind: AlertKind; status: AlertStatus; level: number; n: number }> {
      return unresolved.all();
    },
    /** Devices in service whose last known state is offline (or that never connected). */
    offlineDevices(): number {
      return offline.get()?.n ?? 0;
    },
  };
}

export type GaugeReads = ReturnType<typeof createGaugeReads>;
