import type { CommandResult } from '../app/alerting.js';
import type { ChangeFeed } from '../app/changes.js';
import type { PersonReport, PersonReportResult } from '../app/record-messages.js';
import type { SafetyCore } from '../core.js';
import type { AlertCommand } from '../domain/alert.js';
import type { DeviceSettingsScope } from '../domain/device-settings.js';

export type CoreHealth = ReturnType<SafetyCore['health']>;

/**
 * All the people side may ask of the safety core (docs/design.md, "Two lanes"): commands in,
 * committed changes out. The same whether the core runs on this thread (tests, the demo) or on
 * its own (`npm start`, server/lanes/core-thread.ts), so the HTTP API and the live hub cannot tell.
 * Every call answers later (a promise): across threads it is a message and its reply.
 */
export type CoreLink = {
  /** Committed changes of the core (and, on the people side's feed, its own), for the live hub. */
  readonly changes: ChangeFeed;
  /**
   * Publishes on `changes` now what the core has sent and this thread has not yet heard: the people
   * side calls it between its own callbacks (each connection, request and upgrade), so that a flood
   * of them does not hold a receipt until the event loop comes round. Cheap when nothing waits.
   */
  catchUp(): void;
  /** A person's action on an alert, committed and announced by the core. */
  commandAlert(alertId: number, command: AlertCommand): Promise<CommandResult>;
  /** A person's report through the same rules as a press, committed and announced by the core. */
  recordPersonReport(report: PersonReport): Promise<PersonReportResult>;
  /**
   * A device-settings row of this scope was set or removed (committed by the people side): the
   * core gives each device it reaches its settings again and tells those whose interval changed
   * (ribbon/{id}/config). Answers how many devices were told.
   */
  applyDeviceSettings(scope: DeviceSettingsScope): Promise<{ told: number }>;
  /** Closes a device's live connection at once (retired, or a new secret). */
  disconnectDevice(deviceId: string): void;
  health(): Promise<CoreHealth>;
  /** The core's metrics in Prometheus text format. */
  metrics(): Promise<string>;
};

/** The link to a core on this thread: its calls, answered on the next turn. */
export function inProcessLink(core: SafetyCore): CoreLink {
  return {
    changes: core.changes,
    // On one thread the core's changes are published as they are committed: nothing waits.
    catchUp: () => {},
    commandAlert: async (alertId, command) => core.commandAlert(alertId, command),
    recordPersonReport: async (report) => core.recordPersonReport(report),
    applyDeviceSettings: async (scope) => core.applyDeviceSettings(scope),
    disconnectDevice: (deviceId) => core.disconnectDevice(deviceId),
    health: async () => core.health(),
    metrics: async () => core.registry.render(),
  };
}
