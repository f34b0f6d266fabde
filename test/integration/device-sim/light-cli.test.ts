// The simulator CLI with --engine light: light devices (device-sim/light.ts) against the real
// embedded broker, random presses, and the refusals of what the light engine cannot do.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../device-sim/cli.js';
import type { DeviceCredential } from '../../../protocol/credentials.js';
import { writeCredentials } from '../../../server/admin/credentials-file.js';
import { startTestSystem, tempDir } from '../../helpers/system.js';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

describe('device-sim CLI --engine light', () => {
  it('when 50 light devices run random presses for 2 s, then all connect and every acknowledged press is stored', async () => {
    const system = await startTestSystem({ env: { MQTT_CONNECT_BURST: '100000', MQTT_CONNECT_RATE: '100000' } });
    const creds: DeviceCredential[] = Array.from({ length: 50 }, () => system.provision());
    const file = join(tempDir(), 'devices.json');
    await writeCredentials(file, { url: system.mqttUrl, devices: creds });

    const c = captureIo();
    const code = await main(
      [
        '--credentials',
        file,
        '--engine',
        'light',
        '--devices',
        '50',
        '--duration',
        '2',
        '--presses-per-hour',
        '3600',
        '--seed',
        '7',
      ],
      c.io,
    );
    expect(c.err).toEqual([]);
    expect(code).toBe(0);
    expect(c.out.join('\n')).toMatch(/connected 50\/50 device\(s\)/);
    const acked = c.out.filter((l) => / seq=\d+ puback=/.test(l)).length;
    expect(acked).toBeGreaterThan(20); // ~100 expected: 50 devices × 1 press/s × 2 s
    const summary = c.out.at(-1) ?? '';
    expect(summary).toMatch(new RegExp(`^presses ${acked} .*heartbeats 0, .*failed 0,`));
    const stored = system.stores.db.prepare("SELECT count(*) AS n FROM events WHERE source = 'device'").get() as {
      n: number;
    };
    expect(stored.n).toBeGreaterThanOrEqual(acked);
    const pressing = system.stores.db
      .prepare("SELECT count(DISTINCT device_id) AS n FROM events WHERE source = 'device'")
      .get() as { n: number };
    expect(pressing.n).toBeGreaterThan(25);
  }, 30_000);

  it.each([
    [['--profile', 'daily'], /--profile needs the full device \(--engine mqttjs\)/],
    [['--heartbeat', '10'], /--heartbeat is not supported with --engine light/],
  ])('when --engine light is given with %j, then it exits 2 with a clear message', async (extra, message) => {
    const c = captureIo();
    expect(await main(['--credentials', 'f', '--engine', 'light', ...extra], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(message);
  });

  it('when --engine is unknown, then it exits 2; --help documents the light engine', async () => {
    const c = captureIo();
    expect(await main(['--credentials', 'f', '--engine', 'fast'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/--engine must be one of mqttjs, light, got "fast"/);
    const h = captureIo();
    expect(await main(['--help'], h.io)).toBe(0);
    expect(h.out.join('\n')).toMatch(/--engine NAME[\s\S]*no heartbeats/);
  });
});
