import { describe, expect, it } from 'vitest';
import { createDiskFullWatch, DISK_FULL_LOG_REPEAT_MS, isDiskFull } from '../../../../server/ingest/disk-full.js';
import { ManualClock } from '../../../helpers/clock.js';
import { captureLogs } from '../../../helpers/system.js';

const full = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

function watch() {
  const clock = new ManualClock(1_000_000);
  const logs = captureLogs();
  let refusedCount = 0;
  const w = createDiskFullWatch({ log: logs.log, now: () => clock.now(), onRefused: (n) => (refusedCount += n) });
  const lines = (re: RegExp) => logs.lines.filter((l) => re.test(l.msg));
  return { w, clock, logs, lines, refused: () => refusedCount };
}

describe('isDiskFull', () => {
  it('when SQLite says full or the file system says no space or over quota, then it is a full disk; anything else is not', () => {
    expect(isDiskFull(full())).toBe(true);
    expect(isDiskFull(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('x'), { code: 'EDQUOT' }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('x'), { code: 'SQLITE_IOERR_WRITE' }))).toBe(false);
    expect(isDiskFull(Object.assign(new Error('x'), { code: 'SQLITE_BUSY' }))).toBe(false);
    expect(isDiskFull(new Error('disk full'))).toBe(false);
  });
});

describe('the full-disk watch', () => {
  it('when commits are refused many times within a minute, then one error line (zh first, en too) and every refused message counted', () => {
    const { w, clock, lines, refused } = watch();
    for (let i = 0; i < 50; i++) {
      w.refused(full(), 3);
      clock.ms += 100;
    }
    expect(w.full()).toBe(true);
    expect(refused()).toBe(150);
    const found = lines(/disk full/);
    expect(found).toHaveLength(1);
    expect(found[0]?.msg).toMatch(/^磁盘已满：.* \/ disk full: /);
    expect(found[0]).toMatchObject({ level: 50, refused: 3 });
  });

  it('when the disk stays full past a minute, then one "still full" line a minute with the count refused since the last line', () => {
    const { w, clock, lines } = watch();
    w.refused(full(), 1);
    for (let i = 0; i < 10; i++) {
      clock.ms += DISK_FULL_LOG_REPEAT_MS / 10;
      w.refused(full(), 2);
    }
    expect(lines(/disk full/)).toHaveLength(1);
    const still = lines(/^磁盘仍满.*disk still full/);
    expect(still).toHaveLength(1);
    expect(still[0]).toMatchObject({ refused: 20, fullForSec: 60 });
  });

  it('when a press is stored after a full spell, then one "space again" line and the disk is no longer full; a press stored otherwise says nothing', () => {
    const { w, clock, lines } = watch();
    w.stored();
    expect(lines(/./)).toEqual([]);
    w.refused(full(), 1);
    clock.ms += 5000;
    w.stored();
    w.stored();
    expect(w.full()).toBe(false);
    const back = lines(/^磁盘空间已恢复.*disk space available again/);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ level: 40, fullForSec: 5 });
  });

  it('when the disk flaps between full and not within a minute, then the log stays at one "full" and one "space again" line', () => {
    const { w, clock, lines } = watch();
    for (let i = 0; i < 20; i++) {
      w.refused(full(), 1);
      clock.ms += 50;
      w.stored();
      clock.ms += 50;
    }
    expect(lines(/disk full/)).toHaveLength(1);
    expect(lines(/disk space available again/)).toHaveLength(1);
    expect(w.full()).toBe(false);
    // A minute on, a new spell is news again.
    clock.ms += DISK_FULL_LOG_REPEAT_MS;
    w.refused(full(), 1);
    expect(lines(/disk full/)).toHaveLength(2);
    expect(w.full()).toBe(true);
  });
});
