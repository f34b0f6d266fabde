// The benchmark harness itself: its statistics must be right, and its Mosquitto floor must
// actually relay messages (a floor of 0 would make every budget ratio meaningless).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/lib/loadgen.js';
import { mosquittoBinary, startMosquitto, type MosquittoHandle } from '../../bench/lib/mosquitto.js';
import { freePort } from '../helpers/child-server-core.js';
import { requireProgram } from '../helpers/tools.js';
import { readProcessCpu } from '../../bench/lib/proc-stat.js';
import { runRelay } from '../../bench/lib/relay.js';
import { appendResults } from '../../bench/lib/results.js';
import { bucketBounds, bucketIndex, createHistogram, percentiles, summarize } from '../../bench/lib/stats.js';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe('percentiles (nearest rank)', () => {
  it.each([
    { name: '1..100', values: oneToHundred, ps: [0, 50, 90, 99, 100], expected: [1, 50, 90, 99, 100] },
    { name: 'one value', values: [5], ps: [0, 50, 99, 100], expected: [5, 5, 5, 5] },
    { name: 'four values', values: [1, 2, 3, 4], ps: [25, 50, 75, 90], expected: [1, 2, 3, 4] },
    { name: 'unsorted input', values: [9, 1, 5, 3, 7], ps: [20, 50, 100], expected: [1, 5, 9] },
    { name: 'ties', values: [2, 2, 2, 10], ps: [50, 75, 76], expected: [2, 2, 10] },
    { name: 'empty', values: [], ps: [50], expected: [Number.NaN] },
  ])('when the sample is $name, then p$ps are $expected', ({ values, ps, expected }) => {
    expect(percentiles(values, ps)).toEqual(expected);
  });

  it('when summarizing 1..100 ms, then n, p50, p90, p99, max and mean match', () => {
    expect(summarize([...oneToHundred].reverse())).toEqual({ n: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('when a percentile is out of range, then it throws', () => {
    expect(() => percentiles([1], [101])).toThrow(RangeError);
  });
});

describe('histogram', () => {
  it.each([0, 1, 999, 1_023, 1_024, 1_025, 2_047, 2_048, 65_535, 123_456_789])(
    'when %i µs is bucketed, then its bucket bounds contain it',
    (us) => {
      const [low, high] = bucketBounds(bucketIndex(us));
      expect(low).toBeLessThanOrEqual(us);
      expect(high).toBeGreaterThanOrEqual(us);
      expect((high - low) / Math.max(1, us)).toBeLessThanOrEqual(1 / 512);
    },
  );

  it('when values are below 1 ms, then percentiles equal the exact ones to the microsecond', () => {
    const ms = Array.from({ length: 1_000 }, (_, i) => ((i * 7919) % 1_000) / 1_000); // 0..0.999 ms, shuffled
    const h = createHistogram();
    for (const v of ms) h.record(v);
    const exact = summarize(ms);
    const approx = h.summary();
    expect(approx.n).toBe(exact.n);
    expect(approx.p50).toBeCloseTo(exact.p50, 6);
    expect(approx.p99).toBeCloseTo(exact.p99, 6);
    expect(approx.max).toBeCloseTo(exact.max, 6);
    expect(approx.mean).toBeCloseTo(exact.mean, 6);
  });

  it('when two halves are merged through their data, then the result equals one histogram of all', () => {
    const all = createHistogram();
    const a = createHistogram();
    const b = createHistogram();
    for (let i = 0; i < 10_000; i++) {
      const v = (i % 97) * 0.37 + i / 1_000; // up to ~46 ms, beyond the exact range
      all.record(v);
      (i % 2 === 0 ? a : b).record(v);
    }
    const merged = createHistogram(a.toData());
    merged.merge(b.toData());
    expect(merged.summary()).toEqual(all.summary());
    expect(merged.percentile(99)).toBeCloseTo(
      percentiles(
        Array.from({ length: 10_000 }, (_, i) => (i % 97) * 0.37 + i / 1_000),
        [99],
      )[0] as number,
      1,
    );
  });
});

describe('results file', () => {
  it('when a section is appended to a missing file, then it holds a header, the machine, the method and a table', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-results-'));
    try {
      const file = path.join(dir, 'RESULTS.md');
      appendResults({ title: 'T', method: 'M.', rows: [{ a: 1_234, b: 'x|y' }], notes: ['n'] }, { file });
      appendResults({ title: 'U', method: 'N.', rows: [{ a: 0.12345 }] }, { file });
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/^# Benchmark results/);
      expect(text).toMatch(/## T — \d{4}-\d{2}-\d{2}\n\nMachine: \d+ cores/);
      expect(text).toContain('| a | b |\n| ---: | --- |\n| 1,234 | x\\|y |');
      expect(text).toContain('| 0.123 |');
      expect(text).toContain('- n');
      expect(text.match(/^## /gm)).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Skipped without Mosquitto on a developer machine; in CI a missing broker is a failure.
const mosquitto = requireProgram(mosquittoBinary(), 'mosquitto');

describe('load generator failures', () => {
  it('when the broker is unreachable, then runLoad rejects and leaves no child process behind', async () => {
    const port = await freePort(); // nothing listens there
    const before = childPids();
    await expect(
      runLoad({
        url: `mqtt://127.0.0.1:${port}`,
        clients: [
          { clientId: 'c1', topic: 't/1' },
          { clientId: 'c2', topic: 't/2' },
        ],
        processes: 2,
        windowPerClient: 1,
        durationMs: 100,
        payload: 'ribbon-state',
        connectTimeoutMs: 2_000,
      }),
    ).rejects.toThrow(/load generator \d/);
    expect(childPids().filter((pid) => !before.includes(pid))).toEqual([]);
  });

  it('when the target is not loopback, then runLoad refuses before starting anything', async () => {
    await expect(
      runLoad({
        url: 'mqtt://192.0.2.1:1883',
        clients: [{ clientId: 'c', topic: 't' }],
        processes: 1,
        windowPerClient: 1,
        durationMs: 100,
        payload: 'bytes100',
      }),
    ).rejects.toThrow(/127\.0\.0\.1 only/);
  });
});

/** Pids of this process's live children, from /proc. */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(readFileSync(`/proc/${d}/status`, 'utf8'));
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

describe.skipIf(!mosquitto.available)('Mosquitto relay smoke', () => {
  let broker: MosquittoHandle | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('when the broker is stopped, then its process is gone', async () => {
    const other = await startMosquitto();
    expect(readProcessCpu(other.pid)).not.toBeNull();
    await other.stop();
    await other.stop(); // idempotent
    expect(readProcessCpu(other.pid)).toBeNull();
  });

  it('when one publisher sends 500 QoS 1 messages, then the subscriber receives every acknowledged one', async () => {
    if (!broker) throw new Error('broker did not start');
    const r = await runRelay({
      url: broker.url,
      brokerPid: broker.pid,
      windowPerClient: 20,
      durationMs: 5_000,
      count: 500,
    });
    expect(r.sent).toBe(500);
    expect(r.acked).toBe(500);
    expect(r.received).toBe(500);
    expect(r.lost).toBe(0);
    expect(r.disconnects).toBe(0);
    expect(r.receiveLatency.n).toBe(500);
    expect(r.receiveLatency.p50).toBeGreaterThan(0);
    expect(r.generators).toHaveLength(1);
  });

  it('when two processes relay at a fixed 400 msg/s, then about that rate arrives and nothing is lost', async () => {
    if (!broker) throw new Error('broker did not start');
    const r = await runRelay({
      url: broker.url,
      brokerPid: broker.pid,
      processes: 2,
      durationMs: 1_000,
      warmupMs: 200,
      ratePerSec: 400,
    });
    expect(r.generators).toHaveLength(2);
    expect(r.lost).toBe(0);
    expect(r.receivedPerSec).toBeGreaterThan(300);
    expect(r.receivedPerSec).toBeLessThan(500);
    expect(Number.isFinite(r.brokerCpuPercent)).toBe(true);
  });
});
