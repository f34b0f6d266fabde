/** Time, injected: use cases take `now` or a Clock, never the global clock, so tests can fake it. */
export type Clock = { now(): number };

export const systemClock: Clock = { now: () => Date.now() };
