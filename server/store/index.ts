import type { Db } from './db.js';
import { createAlertsStore } from './alerts.js';
import { createDevicesStore } from './devices.js';
import { createEventsStore } from './events.js';
import { createPlacesStore } from './places.js';
import { createRejectedStore } from './rejected.js';
import { createOutboxStore } from './outbox.js';
import { createPeopleStore } from './people.js';
import { createChannelsStore } from './channels.js';
import { createUsersStore } from './users.js';
import { createReportsStore } from './reports.js';
import { createVisitsStore } from './visits.js';

/** Every table group over one database handle, and the transaction they share. */
export function createStores(db: Db) {
  return {
    db,
    places: createPlacesStore(db),
    devices: createDevicesStore(db),
    events: createEventsStore(db),
    rejected: createRejectedStore(db),
    alerts: createAlertsStore(db),
    outbox: createOutboxStore(db),
    people: createPeopleStore(db),
    channels: createChannelsStore(db),
    users: createUsersStore(db),
    reports: createReportsStore(db),
    visits: createVisitsStore(db),
    /** Runs fn in one transaction (BEGIN IMMEDIATE: the writer lock is taken up front). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
  };
}

export type Stores = ReturnType<typeof createStores>;
