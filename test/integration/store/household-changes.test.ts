import { describe, expect, it } from 'vitest';
import { addHousehold } from '../../../server/app/provision.js';
import { openDatabase } from '../../../server/store/db.js';
import { createStores } from '../../../server/store/index.js';
import { tempDir } from '../../helpers/system.js';

// The household_changes journal (migration 14) as the store reads and prunes it (issue 15).

describe('the household_changes journal', () => {
  it('when households are added and changed, then each write is a row in order; a press is none; pruning keeps the last rows', () => {
    const s = createStores(openDatabase(tempDir()));
    try {
      const start = s.households.lastChangeSeq();
      const a = addHousehold(s, { compound: '阳光小区', building: '1号楼', room: '101', name: '甲' }, 1);
      const b = addHousehold(s, { compound: '阳光小区', building: '1号楼', room: '102', name: '乙' }, 1);
      s.places.renameHousehold(a, '甲甲', '101');
      s.places.recordReport(b, 'blue', 2, 3);
      const rows = s.households.changesAfter(start, 100);
      expect(rows.map((r) => r.householdId)).toEqual([a, b, a]);
      expect(s.households.lastChangeSeq()).toBe(rows.at(-1)?.seq);
      expect(s.households.changesAfter(rows[0]?.seq ?? 0, 1).map((r) => r.householdId)).toEqual([b]);
      expect(s.households.pruneHouseholdChanges(1)).toBe(rows.length - 1);
      expect(s.households.changesAfter(0, 100).map((r) => r.householdId)).toEqual([a]);
    } finally {
      s.db.close();
    }
  });
});
