import { describe, expect, it } from 'vitest';
import { benchNotify, notifyPlan, pressesOf, warmupPressesOf } from '../../bench/notify.js';
import type { NotifyPart } from '../../bench/lib/notify-report.js';

// The benchmark is not a test, but its smoke mode runs here so it cannot rot. Every press must
// reach the fake gateway as a request with a good signature for its household's volunteer (the
// server's outbox: an SMS and a call each; the floor: one SMS), within the drain; the figures must
// be measured and ordered. If the outbox never sent, `noRequest` would be every press.

const plan = notifyPlan(true);
const presses = pressesOf(plan);
/** Warm-up included: every press must reach the gateway, measured or not. */
const all = presses + warmupPressesOf(plan);

function expectMeasured(part: NotifyPart): void {
  expect(part.presses).toBe(presses);
  expect(part.warmupPresses).toBe(all - presses);
  expect(part.pressErrors).toBe(0);
  expect(part.puback.n).toBe(all);
  expect(part.noRequest).toBe(0);
  expect(part.firstRequest.n).toBe(presses);
  expect(part.requests.firstSms + part.requests.firstCall).toBe(all);
  // Latencies: positive, ordered, and far inside the drain.
  const s = part.firstRequest;
  expect(s.p50).toBeGreaterThan(0);
  expect(s.p50).toBeLessThanOrEqual(s.p99);
  expect(s.p99).toBeLessThanOrEqual(s.max);
  expect(s.max).toBeLessThan(5_000);
  // Nothing refused by the gateway, nothing for a number nobody has, nothing before its press.
  expect(part.requests.refused).toBe(0);
  expect(part.requests.unknown).toBe(0);
  expect(part.requests.beforePress).toBe(0);
}

describe('bench:notify smoke', () => {
  it('when the notify benchmark runs in smoke mode, then every red press reaches the gateway by SMS and call (ours) and by SMS (the floor), and both are measured', async () => {
    const lines: string[] = [];
    const result = await benchNotify({ smoke: true, log: (l) => lines.push(l) });
    expect(presses).toBeGreaterThanOrEqual(10);

    expectMeasured(result.ours);
    // Ours: one SMS and one call per press, each signed well, each row sent.
    expect(result.ours.requests.sms).toBe(all);
    expect(result.ours.requests.call).toBe(all);
    expect(result.ours.sms.n).toBe(presses);
    expect(result.ours.call.n).toBe(presses);
    expect(result.outbox).toEqual({ 'aliyun-sms sent': all, 'aliyun-voice sent': all });
    expect(result.server.errorLines).toBe(0);

    expectMeasured(result.floor);
    expect(result.floor.requests.sms).toBe(all);
    expect(result.floor.requests.call).toBe(0);
    expect(result.floorCounts).toMatchObject({ messages: all, ok: all, failed: 0 });

    expect(lines.some((l) => l.startsWith('Red press → first provider request'))).toBe(true);
  }, 120_000);
});
