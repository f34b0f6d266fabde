import { describe, expect, it } from 'vitest';
import { alertKindForReport, isRibbonState, RIBBON_STATES } from '../../../../server/domain/ribbon.js';

describe('alertKindForReport', () => {
  it.each([
    ['red', 'emergency'],
    ['yellow', 'service'],
    ['blue', null],
  ] as const)('when the report is %s, then it opens %j', (state, kind) => {
    expect(alertKindForReport(state)).toBe(kind);
  });

  it('when a value outside the union slips through, then it throws instead of opening nothing', () => {
    expect(() => alertKindForReport('green' as never)).toThrow('unexpected value: green');
  });
});

describe('isRibbonState', () => {
  it.each([
    ['red', true],
    ['yellow', true],
    ['blue', true],
    ['RED', false],
    [' red', false],
    ['', false],
    [null, false],
    [undefined, false],
    [1, false],
    [['red'], false],
  ])('when the value is %j, then it is a state: %s', (value, expected) => {
    expect(isRibbonState(value)).toBe(expected);
  });

  it('when listing the states, then they are red, yellow, blue', () => {
    expect(RIBBON_STATES).toEqual(['red', 'yellow', 'blue']);
  });
});
