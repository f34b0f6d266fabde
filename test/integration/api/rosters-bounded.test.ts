import { describe, expect, it } from 'vitest';
import { loginAdmin } from '../../helpers/api.js';
import { freePort, startChildServer } from '../../helpers/child-server.js';
import { startTestSystem, type TestSystem, tempDir } from '../../helpers/system.js';

// Roster imports that do not hold up the server (issue 12): the file is read and checked in a
// worker thread, and a real import writes in short transactions, all rows or none.

const HEADER = '小区,楼栋,房号,姓名,时区,报平安方式,免打扰时段,紧急联系人,联系电话,关系';

/** Row i: compound i % 2, building i % 40 + 1, room 100 + i, name 住户i. */
function householdsFile(n: number): string {
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `${i % 2 ? '阳光小区' : '幸福里'},${(i % 40) + 1}号楼,${100 + i},住户${i},,24h+2h,,家属${i},139${String(i).padStart(8, '0')},子女`,
  );
  return `${[HEADER, ...rows].join('\n')}\n`;
}

type Caller = { cookie: string; csrfToken: string };

function importHouseholds(system: TestSystem, who: Caller, file: string, dryRun: boolean) {
  return system.app.inject({
    method: 'POST',
    url: `/api/import/households?dryRun=${dryRun}`,
    headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken, 'content-type': 'text/csv' },
    payload: file,
  });
}

/** The longest time between two turns of a 5 ms timer, from now until `stop` (after one more turn). */
function watchEventLoop(): { stop(): Promise<number> } {
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
  };
  const timer = setInterval(tick, 5);
  return {
    stop: () =>
      new Promise((resolve) => {
        // One more turn, so that a hold that ended with the answer is counted.
        setTimeout(() => {
          tick();
          clearInterval(timer);
          resolve(longest);
        }, 0);
      }),
  };
}

/**
 * How long each outermost `stores.transaction` from now on took, BEGIN IMMEDIATE to COMMIT: the
 * time it held the write lock (the route calls it through this same object; a nested one is a
 * savepoint inside it and not counted).
 */
function timeTransactions(system: TestSystem): number[] {
  const times: number[] = [];
  const original = system.stores.transaction.bind(system.stores);
  let depth = 0;
  system.stores.transaction = <T>(fn: () => T): T => {
    const started = performance.now();
    depth += 1;
    try {
      return original(fn);
    } finally {
      depth -= 1;
      if (depth === 0) times.push(performance.now() - started);
    }
  };
  return times;
}

function countRows(system: TestSystem) {
  const count = (table: string) =>
    (system.stores.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return {
    compounds: count('compounds'),
    buildings: count('buildings'),
    households: count('households'),
    contacts: count('contacts'),
  };
}

describe('roster imports that do not hold up the server', () => {
  it('when a 20,000-row dry run is checked against 20,000 stored households, then the event loop is never held 200 ms (0.36–0.6 s before)', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    const file = householdsFile(20_000);
    const seed = await importHouseholds(system, admin, file, false);
    expect(seed.statusCode, seed.body).toBe(200);

    const gaps = watchEventLoop();
    const res = await importHouseholds(system, admin, file, true);
    const longest = await gaps.stop();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, rows: 20_000, created: 0, unchanged: 20_000 });
    // Checked on this thread, the same request held it 0.36–0.6 s here (0.25 s with nothing stored).
    // ~8 ms measured; the bound leaves room for a loaded machine's GC and scheduling.
    expect(longest).toBeLessThan(200);
    // Seeding 20,000 households and checking them twice takes ~25 s alone on this 2-core machine:
    // the bound is on the event loop, not on the time; 30 s was too short beside another file.
  }, 120_000);

  it('when 5,000 households are imported, then they are written in many short transactions, mostly under 20 ms each', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    const times = timeTransactions(system);
    const res = await importHouseholds(system, admin, householdsFile(5_000), false);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, created: 5_000 });
    expect(countRows(system)).toEqual({ compounds: 2, buildings: 40, households: 5_000, contacts: 5_000 });
    // One transaction wrote all 5,000 before (~200 ms here). A chunk is ~5 ms of work and a
    // COMMIT with its WAL fsync: ~10 ms, rarely 20–40 ms when the shared disk is slow to sync.
    const sorted = [...times].sort((a, b) => a - b);
    expect(times.length).toBeGreaterThanOrEqual(10);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(20);
    // Only a sanity bound on the longest: a loaded CI disk may take that long to sync one COMMIT.
    expect(sorted.at(-1)).toBeLessThan(250);
  });

  it('when the disk fails in a middle chunk, then what the import wrote is undone and it answers 500', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    // A write that fails at row 2,000 of 3,000, as a full or failing disk would, after the check passed.
    system.stores.db.exec(`CREATE TRIGGER failing_disk BEFORE INSERT ON households WHEN NEW.name = '住户2000'
      BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END`);
    const times = timeTransactions(system);
    const res = await importHouseholds(system, admin, householdsFile(3_000), false);
    expect(res.statusCode, res.body).toBe(500);
    expect(times.length).toBeGreaterThan(2);
    expect(countRows(system)).toEqual({ compounds: 0, buildings: 0, households: 0, contacts: 0 });
  });

  it('when someone registers a household of the file while it is being written, then the import is undone and answers 409, and their household stays', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    // Right after row 1,000 (building 1, compound 幸福里), "someone else" adds row 2,960's household:
    // in a later chunk (a chunk is at most 500 rows), as if between two chunks.
    system.stores.db.exec(`CREATE TRIGGER someone_else AFTER INSERT ON households WHEN NEW.name = '住户1000'
      BEGIN INSERT INTO households (building_id, name, room, created_at) VALUES (NEW.building_id, '住户2960', '3060', 0); END`);
    const res = await importHouseholds(system, admin, householdsFile(3_000), false);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toEqual({
      error: {
        code: 'RIBBON_ERR_CONFLICT',
        message: expect.stringMatching(/ \/ line 2962: 幸福里 1号楼 3060 住户2960 was registered by someone else/),
      },
    });
    expect(system.stores.places.listHouseholds().map((h) => [h.compound, h.building, h.room, h.name])).toEqual([
      ['幸福里', '1号楼', '3060', '住户2960'],
    ]);
    // Its building and compound stay with it; the import's other ones and every contact are gone.
    expect(countRows(system)).toEqual({ compounds: 1, buildings: 1, households: 1, contacts: 0 });
  });

  it('when the checkers and their queue are full, then the next import is refused at once with 503 and Retry-After', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = await loginAdmin(system.app);
    const file = householdsFile(20_000);
    // One checker and two waiting: the fourth at once finds the queue full.
    const answers = await Promise.all([1, 2, 3, 4].map(() => importHouseholds(system, admin, file, true)));
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 503]);
    const refused = answers[3];
    expect(refused?.json()).toMatchObject({ error: { code: 'RIBBON_ERR_BUSY' } });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(system.logs.find((l) => l.msg === 'roster imports refused: the checkers are busy')).toBeDefined();
  });

  it('when the server runs as npm start runs it, then an import is checked in its worker thread', async () => {
    const password = 'child-admin-password';
    const server = await startChildServer({
      dataDir: tempDir(),
      mqttPort: await freePort(),
      env: { ADMIN_PASSWORD: password },
    });
    const login = await fetch(`${server.httpUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const res = await fetch(`${server.httpUrl}/api/import/households?dryRun=false`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'text/csv' },
      body: householdsFile(10),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, created: 10 });
  });
});
