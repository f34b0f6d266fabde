import { describe, expect, it } from 'vitest';
import { castWorld, expectError } from '../../helpers/api.js';

// The bounds of a household's check-in schedule through the HTTP API (docs/api.md): any positive
// whole number of seconds for the interval; an away date the rules cannot reckon with is a 400,
// not a 500. A real SQLite file, app.inject(), a manual clock.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');

async function world() {
  const { cast, staff } = await castWorld(T0);
  const patch = (body: Record<string, unknown>) => staff('PATCH', `/api/households/${cast.householdA}`, body);
  return { cast, staff, patch };
}

describe('check-in bounds', () => {
  it.each([1, 30, 59])(
    'when a household is given an interval of %i s, then it is stored and due that many seconds after its last check-in',
    async (everySec) => {
      const { staff, cast, patch } = await world();
      expect((await staff('POST', `/api/households/${cast.householdA}/reports`, { state: 'blue' })).statusCode).toBe(
        201,
      );
      const res = await patch({ checkin: { everySec, graceSec: 0 } });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { checkin: unknown; checkInDueAt: string };
      expect(body.checkin).toEqual({ everySec, graceSec: 0 });
      expect(body.checkInDueAt).toBe(new Date(T0 + everySec * 1000).toISOString());
    },
  );

  it.each([0, -1, 1.5])('when the interval is %s s, then it answers 400 naming body.checkin', async (everySec) => {
    const { patch } = await world();
    const error = expectError(await patch({ checkin: { everySec, graceSec: 0 } }), 400, 'RIBBON_ERR_VALIDATION');
    expect(error.fields?.some((f) => f.path.startsWith('body.checkin'))).toBe(true);
  });

  it.each(['9999-12-31', '9999-12-30', '3000-01-01'])(
    'when awayUntil is %s, then it answers 400 (not 500) and the schedule is unchanged',
    async (awayUntil) => {
      const { staff, cast, patch } = await world();
      const before = (await staff('GET', `/api/households/${cast.householdA}`)).json() as Record<string, unknown>;
      const error = expectError(await patch({ awayUntil }), 400, 'RIBBON_ERR_VALIDATION');
      expect(error.fields).toEqual([{ path: 'body', message: expect.stringContaining('awayUntil') }]);
      expect((await staff('GET', `/api/households/${cast.householdA}`)).json()).toEqual(before);
    },
  );

  it('when awayUntil is the last day allowed, then it is stored and the check-in is due the day after', async () => {
    const { patch } = await world();
    const res = await patch({ awayUntil: '2999-12-31', checkin: { deadline: '10:00' } });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { checkInDueAt: string }).checkInDueAt).toBe('3000-01-01T02:00:00.000Z');
  });
});
