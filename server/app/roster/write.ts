import { assertNever } from '../../domain/ribbon.js';
import type { Stores } from '../ports.js';
import { createHousehold, type PlannedHousehold, type PlannedPerson, type RosterPlan } from './import.js';
import { ensureCommunity } from './places.js';
import { AddressTaken } from '../households.js';
import {
  applyPersonUpdate,
  applyUpdate,
  type Before,
  type PlannedPersonUpdate,
  type PlannedUpdate,
  restore,
  restorePerson,
} from './updates.js';

// Import, step two: what checkRoster planned, written in short transactions. SQLite has one
// writer: a transaction holds the write lock from BEGIN IMMEDIATE to COMMIT, and the safety
// core's commits (a press, its PUBACK) wait for it. One transaction of 20,000 households held it
// ~0.7 s (issue 12); a chunk holds it for about CHUNK_BUDGET_MS, and the event loop turns
// between chunks. The promise stays "all rows or none": a chunk that fails (a disk error, a row
// that someone else registered since the check) undoes, also in chunks, what the import wrote.

/** Work per transaction, measured: checked after each row (a row takes tens of µs), COMMIT comes after. */
export const CHUNK_BUDGET_MS = 5;
/** And at most this many rows, whatever the clock says. */
export const CHUNK_MAX_ROWS = 500;

export type WriteOptions = { now: number; chunkBudgetMs?: number };
/** Created; or a row met a record that was not there when it was checked (nothing is left written). */
export type WriteOutcome =
  | { ok: true; created: number; updated: number }
  | { ok: false; line: number; reason: string; reasonEn: string };

/**
 * What this import wrote, in the order to undo it: updates put back, then rows before the places
 * they hang on (areas: communities before their streets).
 */
type Written = {
  updated: Before[];
  tiers: PlannedPersonUpdate[];
  households: number[];
  people: number[];
  buildings: number[];
  compounds: number[];
  areas: number[];
};
const nothingWritten = (): Written => ({
  updated: [],
  tiers: [],
  households: [],
  people: [],
  buildings: [],
  compounds: [],
  areas: [],
});

class RowConflict extends Error {
  constructor(
    readonly line: number,
    reason: string,
    readonly reasonEn: string,
  ) {
    super(reason);
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `step(i)` for i in [0, count) in transactions of at most `budgetMs` of work each, with a
 * turn of the event loop between them. `chunk()` is called inside each transaction and its
 * `committed` only once that transaction has committed (a rolled-back chunk's ids are not ours:
 * SQLite may give them to the next row anyone inserts).
 */
async function inChunks(
  stores: Stores,
  count: number,
  budgetMs: number,
  chunk: () => { step(i: number): void; committed(): void },
): Promise<void> {
  let next = 0;
  while (next < count) {
    const from = next;
    const current = stores.transaction(() => {
      const started = performance.now();
      const c = chunk();
      let i = from;
      do {
        c.step(i);
        i += 1;
      } while (i < count && i - from < CHUNK_MAX_ROWS && performance.now() - started < budgetMs);
      next = i;
      return c;
    });
    current.committed();
    if (next < count) await nextTurn();
  }
}

/** Writes the plan; on a conflict or a failure, undoes what it wrote first (then answers, or throws). */
export async function writeRoster(stores: Stores, plan: RosterPlan, options: WriteOptions): Promise<WriteOutcome> {
  const budgetMs = options.chunkBudgetMs ?? CHUNK_BUDGET_MS;
  const written = nothingWritten();
  try {
    switch (plan.kind) {
      case 'households':
        await writeUpdates(stores, plan.updates, options.now, budgetMs, written);
        await writeHouseholds(stores, plan.items, options.now, budgetMs, written);
        break;
      case 'people':
        await writeTiers(stores, plan.updates, budgetMs, written);
        await writePeople(stores, plan.items, options.now, budgetMs, written);
        break;
      default:
        return assertNever(plan);
    }
  } catch (err) {
    await undo(stores, written, options.now, budgetMs);
    if (err instanceof RowConflict) return { ok: false, line: err.line, reason: err.message, reasonEn: err.reasonEn };
    throw err;
  }
  return { ok: true, created: plan.items.length, updated: plan.updates.length };
}

async function writeTiers(
  stores: Stores,
  updates: readonly PlannedPersonUpdate[],
  budgetMs: number,
  written: Written,
): Promise<void> {
  await inChunks(stores, updates.length, budgetMs, () => {
    const mine: PlannedPersonUpdate[] = [];
    return {
      step(i) {
        const u = updates[i] as PlannedPersonUpdate;
        if (!applyPersonUpdate(stores, u))
          throw new RowConflict(
            u.line,
            `第 ${u.line} 行：人员 #${u.personId} ${u.person.name} 在导入期间被他人修改或移除；未导入任何内容（请重新检查文件）`,
            `line ${u.line}: person ${u.personId} ${u.person.name} was changed or removed by someone else while this file was being imported; nothing was imported (check the file again)`,
          );
        mine.push(u);
      },
      committed() {
        written.tiers.push(...mine);
      },
    };
  });
}

async function writeUpdates(
  stores: Stores,
  updates: readonly PlannedUpdate[],
  now: number,
  budgetMs: number,
  written: Written,
): Promise<void> {
  await inChunks(stores, updates.length, budgetMs, () => {
    const mine: Before[] = [];
    return {
      step(i) {
        const u = updates[i] as PlannedUpdate;
        const before = applyUpdate(stores, u, now);
        // Closed, renamed or gone since the check: someone else changed it meanwhile.
        if (before === null)
          throw new RowConflict(
            u.line,
            `第 ${u.line} 行：住户 #${u.householdId} ${u.was} 在导入期间被他人修改或注销；未导入任何内容（请重新检查文件）`,
            `line ${u.line}: household ${u.householdId} ${u.was} was changed or closed by someone else while this file was being imported; nothing was imported (check the file again)`,
          );
        mine.push(before);
      },
      committed() {
        written.updated.push(...mine);
      },
    };
  });
}

async function writeHouseholds(
  stores: Stores,
  items: readonly PlannedHousehold[],
  now: number,
  budgetMs: number,
  written: Written,
): Promise<void> {
  const { places } = stores;
  await inChunks(stores, items.length, budgetMs, () => {
    // Read inside the chunk's transaction: compounds are few, and another writer may have added one.
    const compounds = new Map(places.listCompounds().map((c) => [c.name, c.id]));
    const mine = nothingWritten();
    return {
      step(i) {
        const d = items[i] as PlannedHousehold;
        // Its community, made if missing (the check saw the names; another writer may have made them since).
        const communityId = d.place === null ? null : ensureCommunity(stores, d.place, now, mine.areas);
        const compoundId = compounds.get(d.compound);
        const building = compoundId === undefined ? null : places.findBuilding(compoundId, d.building);
        // The check saw no such household; one now is someone else's, registered meanwhile.
        if (building !== null && places.householdIdsAt(building.id, d.room, d.name).length > 0) {
          throw new RowConflict(
            d.line,
            `第 ${d.line} 行：${d.compound} ${d.building} ${d.room} ${d.name} 在导入期间被他人登记；未导入任何内容（请重新检查文件）`,
            `line ${d.line}: ${d.compound} ${d.building} ${d.room} ${d.name} was registered by someone else while this file was being imported; nothing was imported (check the file again)`,
          );
        }
        let id: number;
        try {
          id = createHousehold(stores, d, now);
        } catch (err) {
          // The address rule (issue 15): the row's room is another household's (another name).
          if (err instanceof AddressTaken) {
            const [zh, en] = err.message.split(' / ');
            throw new RowConflict(d.line, `第 ${d.line} 行：${zh}`, `line ${d.line}: ${en ?? zh}`);
          }
          throw err;
        }
        mine.households.push(id);
        const h = places.getHousehold(id);
        if (h === null) throw new Error(`household ${id} is gone right after it was created`);
        if (compoundId === undefined) {
          compounds.set(d.compound, h.compoundId);
          mine.compounds.push(h.compoundId);
        }
        // A compound this import made goes in the row's community (an existing one was checked to be there).
        const madeHere = [...mine.compounds, ...written.compounds].includes(h.compoundId);
        if (communityId !== null && madeHere) stores.areas.setCompoundCommunity(h.compoundId, communityId);
        if (building === null) mine.buildings.push(h.buildingId);
      },
      committed() {
        written.households.push(...mine.households);
        written.buildings.push(...mine.buildings);
        written.compounds.push(...mine.compounds);
        written.areas.push(...mine.areas);
      },
    };
  });
}

async function writePeople(
  stores: Stores,
  items: readonly PlannedPerson[],
  now: number,
  budgetMs: number,
  written: Written,
): Promise<void> {
  await inChunks(stores, items.length, budgetMs, () => {
    const mine: number[] = [];
    return {
      step(i) {
        const { line: _line, ...person } = items[i] as PlannedPerson;
        mine.push(stores.people.add(person, now));
      },
      committed() {
        written.people.push(...mine);
      },
    };
  });
}

/**
 * Deletes what this import wrote, in chunks. A building or compound that someone else has put
 * something in meanwhile stays (its delete fails on a foreign key, inside its own savepoint).
 */
async function undo(stores: Stores, written: Written, now: number, budgetMs: number): Promise<void> {
  const steps: Array<() => void> = [
    ...written.updated.map((b) => () => restore(stores, b, now)),
    ...written.tiers.map((u) => () => restorePerson(stores, u)),
    ...written.households.map((id) => () => {
      stores.people.setContacts(id, [], now);
      stores.places.deleteHousehold(id);
    }),
    ...written.people.map((id) => () => stores.people.delete(id)),
    ...written.buildings.map((id) => () => keepIfUsed(stores, () => stores.places.deleteBuilding(id))),
    ...written.compounds.map((id) => () => keepIfUsed(stores, () => stores.places.deleteCompound(id))),
    ...written.areas.reverse().map((id) => () => keepIfUsed(stores, () => stores.areas.delete(id))),
  ];
  await inChunks(stores, steps.length, budgetMs, () => ({
    step: (i) => (steps[i] as () => void)(),
    committed: () => undefined,
  }));
}

function keepIfUsed(stores: Stores, remove: () => void): void {
  try {
    stores.savepoint(remove);
  } catch (err) {
    if (!(err instanceof Error && /FOREIGN KEY/i.test(err.message))) throw err;
  }
}
