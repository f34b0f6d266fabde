import { describe, expect, it } from 'vitest';
import { createWindowBudget } from '../../../server/log.js';

describe('createWindowBudget', () => {
  it.each([
    // [takes at these times], [what each take answers: refusedBefore, or null when refused]
    [
      [0, 1],
      [0, 0],
    ],
    [
      [0, 1, 2],
      [0, 0, null],
    ],
    [
      [0, 1, 2, 3, 10],
      [0, 0, null, null, 2],
    ], // a new window tells how many were refused
    [
      [0, 1, 9],
      [0, 0, null],
    ],
    [
      [5, 6, 7, 2],
      [0, 0, null, 1],
    ], // the clock stepped back: a new window
  ])('when a budget of 2 per 10 is taken at %j, then it answers %j', (times, expected) => {
    let t = 0;
    const budget = createWindowBudget(2, 10, () => t);
    const answers = times.map((at) => {
      t = at;
      return budget.take()?.refusedBefore ?? null;
    });
    expect(answers).toEqual(expected);
  });
});
