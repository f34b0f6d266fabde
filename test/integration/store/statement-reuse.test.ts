import { describe, expect, it, onTestFinished } from 'vitest';
import { addHousehold, provisionDevice } from '../../../server/app/provision.js';
import { type Db, openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// The press path's statements are compiled once, not at every run ("Statements run for every
// press" in server/store/db.ts). SQLite 3.54 marks a parameter the planner weighed as worth a new
// plan when it is bound again, and better-sqlite3 clears the bindings after every run, so such a
// statement is compiled anew at each run: 10–35 µs a press where 2–3 do.
//
// How a new compilation is seen: better-sqlite3 builds a statement's row maker when the statement
// is compiled (its rowFactory calls the global Function constructor to make an object literal of
// the result's columns) and keeps it until SQLite reprepares the statement. So the global Function
// is counted while a statement returns a row RUNS times. The first test is the control: a bare
// `?` in a join is counted at every run here, which shows that the count sees a recompilation.

const RUNS = 50;

/** How many times Function was called (a row maker built) while `run` ran. */
function rowMakersBuilt(run: () => void): number {
  const real = globalThis.Function;
  let built = 0;
  globalThis.Function = new Proxy(real, {
    apply(target, self, args) {
      built += 1;
      return Reflect.apply(target, self, args);
    },
    construct(target, args, newTarget) {
      built += 1;
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    run();
  } finally {
    globalThis.Function = real;
  }
  return built;
}

function setUp() {
  const db: Db = openDatabase(tempDir());
  onTestFinished(() => {
    db.close();
  });
  const stores = createStores(db);
  const now = Date.parse('2026-12-03T04:00:00Z');
  const households = [1, 2, 3].map((i) =>
    addHousehold(stores, { compound: '幸福小区', building: `${i}号楼`, room: '101', name: `住户${i}` }, now),
  );
  const device = provisionDevice(stores, households[0] as number, now);
  stores.events.insert({
    householdId: households[0] as number,
    source: 'device',
    deviceId: device.id,
    state: 'blue',
    seq: 7,
    boot: 1,
    deviceAt: null,
    battery: null,
    reportedBy: null,
    note: null,
    receivedAt: now,
  });
  return { db, stores, households, device };
}

describe('statements on the press path', () => {
  it('when a join compares a bare ? parameter, then this SQLite compiles it again at every run (the control)', () => {
    const { db, households } = setUp();
    const bare = db.prepare<[number], { id: number; compound_id: number }>(
      'SELECT h.id, b.compound_id FROM households h JOIN buildings b ON b.id = h.building_id WHERE h.id = ?',
    );
    const built = rowMakersBuilt(() => {
      for (let i = 0; i < RUNS; i++) expect(bare.get(households[i % 3] as number)?.id).toBe(households[i % 3]);
    });
    // If this fails, SQLite or better-sqlite3 no longer recompiles such a statement: the `+?` of
    // the press path may go, and this test with it.
    expect(built).toBeGreaterThanOrEqual(RUNS);
  });

  it("when a press's household schedule and its earlier copy are read many times, then each statement is compiled once", () => {
    const { stores, households, device } = setUp();
    // Each statement has run once already (in setUp, or here): its row maker exists.
    stores.places.schedule(households[0] as number);
    stores.events.earlierPress(device.id, 1, 7);
    stores.devices.findForAuth(device.id);
    const built = rowMakersBuilt(() => {
      for (let i = 0; i < RUNS; i++) {
        const household = households[i % 3] as number;
        expect(stores.places.schedule(household)?.householdId).toBe(household);
        // A redelivery of the press stored above, and a device's press without a boot counter.
        expect(stores.events.earlierPress(device.id, 1, 7)?.state).toBe('blue');
        expect(stores.events.earlierPress(device.id, null, 7)).toBeNull();
        expect(stores.devices.findForAuth(device.id)?.householdId).toBe(households[0]);
      }
    });
    expect(built).toBe(0);
  });
});
