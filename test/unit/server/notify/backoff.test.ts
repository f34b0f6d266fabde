import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, retryDelayMs, shouldRetry } from '../../../../server/notify/backoff.js';

const always = (r: number) => () => r;

describe('retryDelayMs', () => {
  it.each([
    [1, 2000],
    [2, 4000],
    [3, 8000],
    [8, 256_000],
    [9, 512_000],
    [10, 600_000], // capped at maxMs
    [1000, 600_000], // 2^999 does not overflow the cap
  ])('when attempt %i fails and random is at its top, then the delay is the ceiling %i ms', (attempt, ceiling) => {
    expect(retryDelayMs(attempt, {}, always(1))).toBe(ceiling);
  });

  it.each([
    [1, 0.5, 1000],
    [3, 0.25, 2000],
    [4, 0, 0],
    [5, 0.999, 31_968],
  ])('when attempt %i fails and random is %f, then the delay is %i ms (full jitter)', (attempt, r, delay) => {
    expect(retryDelayMs(attempt, {}, always(r))).toBe(delay);
  });

  it('when base and max are given, then they are used', () => {
    expect(retryDelayMs(3, { baseMs: 100, maxMs: 300 }, always(1))).toBe(300);
    expect(retryDelayMs(2, { baseMs: 100, maxMs: 300 }, always(0.5))).toBe(100);
  });

  it('when the receiver asked for a longer wait, then the delay is at least that, but never above maxMs', () => {
    expect(retryDelayMs(1, { atLeastMs: 60_000 }, always(0.5))).toBe(60_000);
    expect(retryDelayMs(9, { atLeastMs: 60_000 }, always(0.5))).toBe(256_000);
    expect(retryDelayMs(1, { atLeastMs: 3_600_000 }, always(0.5))).toBe(600_000);
  });

  it('when random misbehaves (NaN, out of range), then the delay stays within [0, ceiling]', () => {
    expect(retryDelayMs(2, {}, always(Number.NaN))).toBe(0);
    expect(retryDelayMs(2, {}, always(7))).toBe(4000);
    expect(retryDelayMs(2, {}, always(-1))).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('when attempt is %f, then it is a bug and throws', (attempt) => {
    expect(() => retryDelayMs(attempt, {}, always(0.5))).toThrow(RangeError);
  });

  it('when the defaults are used for every retry, then the whole schedule is bounded and fits in minutes', () => {
    const waits = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1, {}, always(1)));
    expect(waits.reduce((a, b) => a + b, 0)).toBe(254_000);
  });
});

describe('shouldRetry', () => {
  it('when attempts remain, then true; after the last, false', () => {
    expect(MAX_ATTEMPTS).toBe(8);
    expect(shouldRetry(1)).toBe(true);
    expect(shouldRetry(7)).toBe(true);
    expect(shouldRetry(8)).toBe(false);
    expect(shouldRetry(2, 2)).toBe(false);
  });
});
