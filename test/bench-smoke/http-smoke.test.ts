import { describe, expect, it } from 'vitest';
import { benchHttp } from '../../bench/http.js';

// The benchmark is not a test, but its smoke mode runs here so it cannot rot.
describe('bench:http smoke', () => {
  it('when the HTTP benchmark runs in smoke mode, then every request to the server and to the floor succeeds and is measured', async () => {
    const lines: string[] = [];
    const result = await benchHttp({ smoke: true, log: (l) => lines.push(l) });
    expect(result.alertListBytes).toBeGreaterThan(1000);
    expect(result.phases).toHaveLength(6);
    for (const p of result.phases) {
      expect(p.errors, `${p.name} → ${p.target}: ${p.errorSamples.join('; ')}`).toBe(0);
      expect(p.ok).toBe(p.sent);
      expect(p.sent).toBe(100); // 50 req/s × 2 s
      expect(p.latency.n).toBe(p.ok);
      expect(p.latency.p99).toBeGreaterThan(0);
      expect(p.serverCpuPercent).toBeGreaterThanOrEqual(0);
    }
    expect(lines.some((l) => l.includes('req/s'))).toBe(true);
  }, 90_000);
});
