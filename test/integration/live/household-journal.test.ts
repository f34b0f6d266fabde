import { describe, expect, it } from 'vitest';
import { runAdmin } from '../../../server/admin/main.js';
import { addHousehold } from '../../../server/app/provision.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { client, loginAdmin } from '../../helpers/api.js';
import { changesOf, deltaWith, isSnapshot, open, type SentChange, type Snapshot } from '../../helpers/live-client.js';
import { startTestSystem } from '../../helpers/system.js';

// Households written by any path reach an open /ws (issue 15, point 4): a second SQLite
// connection (as a roster import or another process writes), the admin CLI on its own
// connection, and the API — read from the household_changes journal, once each.

/** The journal is read every second: a change is on the feed within about that. */
const WITHIN_MS = 5000;

type HouseholdChange = SentChange & { householdId: number; household: { name: string; closed: unknown } | null };
const householdChange = (id: number, match: (c: HouseholdChange) => boolean = () => true) =>
  deltaWith((c) => c.type === 'household' && (c as HouseholdChange).householdId === id && match(c as HouseholdChange));

async function world() {
  const system = await startTestSystem({ scheduler: false });
  const admin = await loginAdmin(system.app);
  const live = await open(system.httpAddress.port, { cookie: admin.cookie });
  await live.next(isSnapshot);
  const other = createStores(openDatabase(system.dataDir));
  return { system, live, api: client(system.app, admin), other };
}

describe('households changed by any path, on /ws', () => {
  it('when another connection adds a household and the CLI closes it, then the wall hears both, and a fresh snapshot leaves it out', async () => {
    const { system, live, other } = await world();
    try {
      const id = addHousehold(
        other,
        { compound: '阳光小区', building: '2号楼', room: '301', name: '孙奶奶' },
        Date.now(),
      );
      const added = await live.next(householdChange(id), WITHIN_MS);
      expect(added).toBeDefined();
      const change = changesOf(live).find((c) => c.type === 'household' && c.householdId === id) as HouseholdChange;
      expect(change.household).toMatchObject({ name: '孙奶奶', closed: null, anonymised: false });

      const code = await runAdmin(
        ['close-household', '--household', String(id), '--reason', 'care_home', '--on', '2026-01-02'],
        { DATA_DIR: system.dataDir },
        { write: () => {} },
      );
      expect(code).toBe(0);
      await live.next(
        householdChange(id, (c) => c.household?.closed !== null),
        WITHIN_MS,
      );
      const from = live.messages.length;
      live.send({ type: 'resync' });
      const snapshot = await live.next<Snapshot>(isSnapshot, 2000, from);
      expect(snapshot.households.map((h) => h.id)).not.toContain(id);
    } finally {
      other.db.close();
    }
  });

  it('when a household is closed through the API, then the feed carries it once, not again from the journal', async () => {
    const { system, live, api, other } = await world();
    try {
      const { householdId } = system.provision({ room: '808' });
      await live.next(householdChange(householdId), WITHIN_MS);
      const res = await api('POST', `/api/households/${householdId}/close`, { reason: 'moved_out', on: '2026-01-02' });
      expect(res.statusCode, res.body).toBe(200);
      await live.next(
        householdChange(householdId, (c) => c.household?.closed !== null),
        WITHIN_MS,
      );
      // A later household from elsewhere: once it is heard, any second copy of the close would have been too.
      const later = addHousehold(
        other,
        { compound: '阳光小区', building: '2号楼', room: '909', name: '周爷爷' },
        Date.now(),
      );
      await live.next(householdChange(later), WITHIN_MS);
      const closes = changesOf(live).filter(
        (c) => c.type === 'household' && c.householdId === householdId && (c as HouseholdChange).household?.closed,
      );
      expect(closes).toHaveLength(1);
    } finally {
      other.db.close();
    }
  });

  it('when the CLI renames a compound and the API a building, then the wall hears each of their open households with the new name', async () => {
    const { system, live, api, other } = await world();
    try {
      const { householdId } = system.provision({ compound: '阳光小区', building: '5号楼', room: '501' });
      await live.next(householdChange(householdId), WITHIN_MS);
      const code = await runAdmin(
        ['rename-compound', '--compound', '阳光小区', '--name', '朝阳小区'],
        { DATA_DIR: system.dataDir },
        { write: () => {} },
      );
      expect(code).toBe(0);
      const renamed = (c: HouseholdChange) => (c.household as { compound?: string } | null)?.compound === '朝阳小区';
      await live.next(householdChange(householdId, renamed), WITHIN_MS);

      const building = (system.stores.places.getHousehold(householdId) as { buildingId: number }).buildingId;
      const res = await api('PATCH', `/api/buildings/${building}`, { name: '五号楼' });
      expect(res.statusCode, res.body).toBe(200);
      await live.next(
        householdChange(householdId, (c) => (c.household as { building?: string } | null)?.building === '五号楼'),
        WITHIN_MS,
      );
    } finally {
      other.db.close();
    }
  });
});
