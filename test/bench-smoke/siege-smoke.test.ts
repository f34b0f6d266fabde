import { describe, expect, it } from 'vitest';
import { benchSiege } from '../../bench/siege.js';
import type { SiegeResult } from '../../bench/lib/siege-report.js';

// The benchmark is not a test, but its smoke mode runs here so it cannot rot. It checks that
// everything was measured and that the core promises held under the attack (every acked press
// stored once, the watching dashboard never cut off, the attack refused with the documented
// codes); the latency targets are the benchmark's to report, not a test's to assert.

const keys = (r: Record<string, number>): string[] => Object.keys(r).sort();

function expectSiegeKeptItsPromises(r: SiegeResult): void {
  // Measured, in both phases.
  expect(r.puback.baseline.n).toBeGreaterThan(0);
  expect(r.puback.attack.n).toBeGreaterThan(0);
  expect(r.redToScreen.attack.n).toBeGreaterThan(0);
  // The slowest reds under attack, slowest first, each pressed during it, the first the maximum.
  expect(r.slowestReds.length).toBe(Math.min(5, r.redToScreen.attack.n));
  expect(r.slowestReds[0]?.ms).toBeCloseTo(r.redToScreen.attack.max, 0);
  for (const red of r.slowestReds) expect(red.atMs).toBeGreaterThanOrEqual(0);
  // Every press acknowledged, every acknowledged press stored exactly once, every red seen.
  expect(r.presses.sent).toBeGreaterThan(0);
  expect(r.presses.acked).toBe(r.presses.sent);
  expect(r.presses.ackedNotStored).toEqual([]);
  expect(r.presses.storedMoreThanOnce).toEqual([]);
  expect(r.presses.ackedStoredOnce).toBe(r.presses.acked);
  expect(r.presses.redSeen).toBe(r.presses.redSent);
  expect(r.device.closedByBroker).toBe(false);
  // The watching dashboard never cut off, the server up.
  expect(r.dashboard.cutOffs).toEqual([]);
  expect(r.dashboard.gaps).toBe(0);
  expect(r.server.crashed).toBeNull();
  // The attack answered with the documented refusals (docs/api.md), each 429/503 with Retry-After.
  expect(r.logins.sent).toBeGreaterThan(0);
  expect(
    keys(r.logins.byStatus).every((s) => ['401', '429', '503'].includes(s)),
    keys(r.logins.byStatus).join(),
  ).toBe(true);
  const refusedLogins = (r.logins.byStatus['429'] ?? 0) + (r.logins.byStatus['503'] ?? 0);
  expect(r.logins.withRetryAfter).toBe(refusedLogins);
  expect(r.imports.sent).toBeGreaterThan(0);
  expect(
    keys(r.imports.byStatus).every((s) => ['200', '429', '503'].includes(s)),
    keys(r.imports.byStatus).join(),
  ).toBe(true);
  // 20 sockets of one session: past 8 the upgrade is refused 429; past 20 snapshots a resync closes 1008.
  expect(r.resyncs.opened).toBeGreaterThan(0);
  expect(keys(r.resyncs.refused)).toEqual(['429']);
  expect(r.resyncs.refusedWithRetryAfter).toBe(r.resyncs.refused['429']);
  expect(
    keys(r.resyncs.closes).every((c) => c === '1008'),
    keys(r.resyncs.closes).join(),
  ).toBe(true);
  expect(r.resyncs.errors).toEqual({});
  // Half-sent headers: closed by the server with 408 (the smoke plan sets a 1 s header timeout).
  expect(r.held.closedByServer).toBeGreaterThan(0);
  expect(keys(r.held.firstAnswer)).toEqual(['408']);
  expect(r.held.failed).toEqual({});
  // The attack ran in a process of its own, not in the one that measured, and did work there.
  expect(r.attackProcess.pid).not.toBe(process.pid);
  expect(r.attackProcess.cpuPercent).toBeGreaterThan(0);
}

describe('bench:siege smoke', () => {
  it('when a device presses through the siege in smoke mode, then every acked press is stored once, the dashboard stays and the attack is refused as documented', async () => {
    const lines: string[] = [];
    const result = await benchSiege({ smoke: true, log: (l) => lines.push(l) });
    expectSiegeKeptItsPromises(result);
    expect(result.https).toBe(null);
    expect(lines.some((l) => l.startsWith('target PUBACK p99'))).toBe(true);
  }, 120_000);

  it('when the siege runs over HTTPS in smoke mode, then the same promises hold', async () => {
    const lines: string[] = [];
    const result = await benchSiege({ smoke: true, https: true, log: (l) => lines.push(l) });
    expectSiegeKeptItsPromises(result);
    expect(result.https).toBe('p256');
  }, 120_000);
});
