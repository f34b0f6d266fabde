// device-sim --profile against the real server (embedded broker, SQLite): a chaos day and a
// power-cut storm, played fast, leave the server healthy with every acknowledged press stored once.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type ProfileRunResult } from '../../../device-sim/cli.js';
import { writeCredentials } from '../../../server/admin/credentials-file.js';
import { startTestSystem, tempDir, type TestSystem } from '../../helpers/system.js';

async function provisionFile(system: TestSystem, n: number): Promise<string> {
  const devices = Array.from({ length: n }, () => {
    const { id, secret, householdId } = system.provision();
    return { id, secret, householdId };
  });
  const file = join(tempDir('ribbon-sim-profiles-'), 'devices.json');
  await writeCredentials(file, { url: system.mqttUrl, devices });
  return file;
}

async function runCli(
  argv: string[],
): Promise<{ code: number; out: string[]; err: string[]; result: ProfileRunResult | undefined }> {
  const out: string[] = [];
  const err: string[] = [];
  let result: ProfileRunResult | undefined;
  const controller = new AbortController();
  // Bound: a run that does not finish is stopped (and then fails the completed check).
  const guard = setTimeout(() => controller.abort(), 20_000);
  try {
    const code = await main(argv, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      signal: controller.signal,
      onProfileResult: (r) => (result = r),
    });
    return { code, out, err, result };
  } finally {
    clearTimeout(guard);
  }
}

/** Each acknowledged press is in events exactly once, under its (device, boot, seq). */
function expectAckedStoredOnce(system: TestSystem, result: ProfileRunResult): void {
  const rows = system.stores.db
    .prepare(
      'SELECT device_id AS device, boot, seq, COUNT(*) AS n FROM events WHERE seq IS NOT NULL GROUP BY device_id, boot, seq',
    )
    .all() as Array<{ device: string; boot: number; seq: number; n: number }>;
  const stored = new Map(rows.map((r) => [`${r.device}/${r.boot}/${r.seq}`, r.n]));
  // Nothing with a seq is stored twice (duplicates and reorder resends are recognised).
  expect(rows.filter((r) => r.n !== 1)).toEqual([]);
  const missing = result.acked.filter((a) => stored.get(`${a.device}/${a.boot}/${a.seq}`) !== 1);
  expect(missing).toEqual([]);
}

async function waitForIngest(system: TestSystem, expectedAtLeast: number): Promise<void> {
  // PUBACK follows the durable write, so this is only a short margin for the last batch.
  const deadline = Date.now() + 5000;
  const count = (): number => (system.stores.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  while (count() < expectedAtLeast && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe('device-sim --profile against the real server', () => {
  it('when a chaos day runs at speed 20000, then it completes in seconds, the server stays healthy, every acked press is stored once and garbage is rejected', async () => {
    const system = await startTestSystem();
    const file = await provisionFile(system, 5);
    const t0 = performance.now();
    const run = await runCli([
      '--credentials',
      file,
      '--url',
      system.mqttUrl,
      '--profile',
      'chaos',
      '--speed',
      '20000',
      '--duration',
      '86400',
      '--seed',
      '7',
    ]);
    const elapsed = performance.now() - t0;
    expect(run.err).toEqual([]);
    expect(run.code).toBe(0);
    expect(elapsed).toBeLessThan(15_000);
    const r = run.result!;
    expect(r.completed).toBe(true);
    expect(r.failed).toBe(0);
    expect(run.out.at(-1)).toMatch(/^chaos done .*acked presses \d+, puback p50 [\d.]+ ms p99 [\d.]+ ms, failed 0/);
    // The chaos did happen.
    for (const kind of ['press', 'duplicate', 'reorder', 'garbage', 'drop', 'tear'] as const)
      expect(r.done[kind]).toBeGreaterThan(0);
    // Torn presses were cut on the wire (device-sim-tear.test.ts watches the server's side); a
    // drop in the same instant may take the link before a cut's bytes are out.
    expect(r.torn).toBeGreaterThan(0);
    expect(r.torn).toBeLessThanOrEqual(r.done.tear);
    expect(r.acked.length).toBeGreaterThan(50);

    expect((await fetch(`${system.httpUrl}/healthz`)).status).toBe(200);
    await waitForIngest(system, r.acked.length);
    expectAckedStoredOnce(system, r);
    const rejected = system.stores.db.prepare('SELECT COUNT(*) AS n FROM rejected_messages').get() as { n: number };
    expect(rejected.n).toBeGreaterThan(0);
    expect(rejected.n).toBeLessThanOrEqual(r.done.garbage * 3);
  });

  it('when the same seed runs twice, then the plan is the same', async () => {
    const system = await startTestSystem();
    const file = await provisionFile(system, 2);
    const argv = [
      '--credentials',
      file,
      '--profile',
      'chaos',
      '--speed',
      '100000',
      '--duration',
      '21600',
      '--seed',
      '11',
    ];
    const a = await runCli(argv);
    const b = await runCli(argv);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.result!.planned).toEqual(b.result!.planned);
    expect(a.out[0]).toBe(b.out[0]);
    // The second run is a new counter generation: its presses are new, not duplicates.
    expect(b.result!.acked[0]!.boot).not.toBe(a.result!.acked[0]!.boot);
    expectAckedStoredOnce(system, a.result!);
    expectAckedStoredOnce(system, b.result!);
  });

  it('when a storm hits 50 devices, then all reconnect and press, and every acked press is stored once', async () => {
    const system = await startTestSystem();
    const file = await provisionFile(system, 50);
    const run = await runCli([
      '--credentials',
      file,
      '--url',
      system.mqttUrl,
      '--profile',
      'storm',
      '--speed',
      '1000',
      '--duration',
      '120',
      '--seed',
      '3',
    ]);
    expect(run.err).toEqual([]);
    expect(run.code).toBe(0);
    const r = run.result!;
    expect(r.completed).toBe(true);
    expect(r.done.offline).toBe(50);
    expect(r.done.online).toBe(50);
    expect(r.failed).toBe(0);
    expect(r.acked.length).toBe(r.planned.press);
    expect(new Set(r.acked.map((a) => a.device)).size).toBe(50);
    expect((await fetch(`${system.httpUrl}/healthz`)).status).toBe(200);
    await waitForIngest(system, r.acked.length);
    expectAckedStoredOnce(system, r);
  });

  it('when a daily profile plays two days for 4 households, then mornings are pressed and stored once', async () => {
    const system = await startTestSystem();
    const file = await provisionFile(system, 4);
    const run = await runCli([
      '--credentials',
      file,
      '--profile',
      'daily',
      '--speed',
      '100000',
      '--duration',
      '172800',
      '--seed',
      '5',
    ]);
    expect(run.err).toEqual([]);
    expect(run.code).toBe(0);
    const r = run.result!;
    expect(r.completed).toBe(true);
    expect(r.done.heartbeat).toBeGreaterThan(4 * 40);
    expect(r.acked.length).toBeGreaterThan(0);
    await waitForIngest(system, r.acked.length);
    expectAckedStoredOnce(system, r);
  });

  it.each([
    [['--profile', 'rainy'], /--profile must be one of daily, storm, chaos/],
    [['--profile', 'daily', '--speed', '0'], /--speed must be a number at least 1 and at most 100000/],
    [['--profile', 'daily', '--speed', '100001'], /--speed/],
    [['--speed', '10'], /--speed needs --profile/],
    [['--profile', 'storm', '--heartbeat', '5'], /--heartbeat does not apply with --profile/],
  ])('when the arguments are %j, then it exits 2 with a message', async (extra, message) => {
    const run = await runCli(['--credentials', '/nonexistent.json', ...extra]);
    expect(run.code).toBe(2);
    expect(run.err[0]).toMatch(message);
  });

  it('when --help is asked, then it documents --profile and --speed', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toMatch(/--profile NAME[\s\S]*daily[\s\S]*storm[\s\S]*chaos[\s\S]*--speed K/);
  });
});
