import type { Stores } from '../app/ports.js';
import type { Db } from './db.js';
import { createAlertsStore } from './alerts.js';
import { createDevicesStore } from './devices.js';
import { createDeviceSettingsStore } from './device-settings.js';
import { createEventsStore } from './events.js';
import { createPlacesStore } from './places.js';
import { createAreasStore } from './areas.js';
import { createRollUpsStore } from './roll-ups.js';
import { createRejectedStore } from './rejected.js';
import { createOutboxStore } from './outbox.js';
import { createPeopleStore } from './people.js';
import { createChannelsStore } from './channels.js';
import { createUsersStore } from './users.js';
import { createReportsStore } from './reports.js';
import { createVisitsStore } from './visits.js';
import { createCallResultsStore } from './call-results.js';
import { createAckCodesStore } from './ack-codes.js';
import { createDutyStore } from './duty.js';
import { createHouseholdsStore } from './households.js';

/**
 * The stores over SQLite, with the raw handle beside them for the composition root (closing,
 * health checks, WAL sync) and tests; use cases get them as app/ports.ts's `Stores`, which has
 * no handle.
 */
export type SqliteStores = Stores & { readonly db: Db };

/** Every table group over one database handle, and the transaction they share. */
export function createStores(db: Db): SqliteStores {
  // One savepoint wrapper for every call (better-sqlite3 builds several functions per transaction()).
  const nested = db.transaction((fn: () => unknown) => fn());
  return {
    db,
    places: createPlacesStore(db),
    areas: createAreasStore(db),
    rollUps: createRollUpsStore(db),
    households: createHouseholdsStore(db),
    devices: createDevicesStore(db),
    deviceSettings: createDeviceSettingsStore(db),
    events: createEventsStore(db),
    rejected: createRejectedStore(db),
    alerts: createAlertsStore(db),
    outbox: createOutboxStore(db),
    people: createPeopleStore(db),
    channels: createChannelsStore(db),
    users: createUsersStore(db),
    reports: createReportsStore(db),
    visits: createVisitsStore(db),
    callResults: createCallResultsStore(db),
    ackCodes: createAckCodesStore(db),
    duty: createDutyStore(db),
    /** Runs fn in one transaction (BEGIN IMMEDIATE: the writer lock is taken up front). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
    /** Inside a transaction better-sqlite3 runs a nested one as a SAVEPOINT. */
    savepoint<T>(fn: () => T): T {
      return nested(fn) as T;
    },
  };
}
