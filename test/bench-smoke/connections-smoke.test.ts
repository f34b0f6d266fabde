import { describe, expect, it } from 'vitest';
import { benchConnections } from '../../bench/connections.js';

// The benchmark is not a test, but its smoke mode runs here so it cannot rot.
describe('bench:connections smoke', () => {
  it('when the connections benchmark runs in smoke mode, then every light device connects, is online in the DB and the server is measured', async () => {
    const lines: string[] = [];
    const result = await benchConnections({ smoke: true, log: (l) => lines.push(l) });
    expect(result.devices).toBe(200);
    expect(result.connect).toMatchObject({ attempted: 200, connected: 200, failed: 0 });
    expect(result.stillConnected).toBe(200);
    expect(result.online).toBe(200);
    expect(result.connect.connectsPerSec).toBeGreaterThan(0);
    expect(result.rssAfterBytes).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes('connects/s'))).toBe(true);
  }, 60_000);
});
