import type { Clock } from './ports.js';

export type { Clock };

/** The real clock, for the composition root; use cases take a Clock (or `now`) so tests can fake time. */
export const systemClock: Clock = { now: () => Date.now() };
