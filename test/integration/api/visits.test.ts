import { describe, expect, it } from 'vitest';
import { castWorld, COMPOUND_A, expectError } from '../../helpers/api.js';

// A patrol visit where no ribbon was in the window (POST/GET /api/households/:id/visits): an
// observation kept in the household's history, never a check-in or an alert; a resend with the
// same key counts once. A real SQLite file, app.inject() for HTTP, a manual clock.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');

type VisitItem = { id: number; seen: string; by: string; note: string | null; at: string; receivedAt: string };

const world = () => castWorld(T0);

describe('a visit without a ribbon', () => {
  it('when a volunteer records no ribbon, then it is listed with who and when, and it is neither a check-in nor an alert', async () => {
    const { system, volunteer } = await world();
    const h = system.provision({ compound: COMPOUND_A });
    const before = (await volunteer('GET', `/api/households/${h.householdId}`)).json() as Record<string, unknown>;

    const res = await volunteer('POST', `/api/households/${h.householdId}/visits`, {
      seen: 'none',
      note: '  敲门无人应答  ',
      key: 'visit-0001-abcdef',
    });
    expect(res.statusCode, res.body).toBe(201);
    const { visitId } = res.json() as { visitId: number; duplicate: boolean };
    expect(res.json()).toEqual({ visitId: expect.any(Number), duplicate: false });

    const list = await volunteer('GET', `/api/households/${h.householdId}/visits`);
    expect(list.statusCode).toBe(200);
    // Sent at once (no observedAt): seen when received.
    expect(list.json()).toEqual({
      items: [
        {
          id: visitId,
          seen: 'none',
          by: '李志愿',
          note: '敲门无人应答',
          at: new Date(T0).toISOString(),
          receivedAt: new Date(T0).toISOString(),
        },
      ],
      next: null,
    });

    // Nothing else changed: no event, no ribbon, no check-in, no alert.
    expect(
      ((await volunteer('GET', `/api/households/${h.householdId}/events`)).json() as { items: unknown[] }).items,
    ).toEqual([]);
    expect((await volunteer('GET', `/api/alerts?householdId=${h.householdId}`)).json()).toEqual({
      items: [],
      next: null,
    });
    expect((await volunteer('GET', `/api/households/${h.householdId}`)).json()).toEqual(before);

    // And it is audited like every state-changing request.
    expect(
      system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 10).map((a) => [a.route, a.record, a.status]),
    ).toContainEqual(['/api/households/:id/visits', `household:${h.householdId}/visit:${visitId}`, 201]);
  });

  it('when the same visit is sent again with the same key, then it is recorded once and the second answer is 200 duplicate:true', async () => {
    const { system, clock, volunteer } = await world();
    const h = system.provision({ compound: COMPOUND_A });
    const body = { seen: 'none', key: 'patrol-visit-000001' };
    const first = await volunteer('POST', `/api/households/${h.householdId}/visits`, body);
    expect(first.statusCode).toBe(201);
    const { visitId } = first.json() as { visitId: number };
    clock.ms = T0 + 30_000;
    const again = await volunteer('POST', `/api/households/${h.householdId}/visits`, body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ visitId, duplicate: true });
    const items = ((await volunteer('GET', `/api/households/${h.householdId}/visits`)).json() as { items: VisitItem[] })
      .items;
    expect(items.map((v) => [v.id, v.at])).toEqual([[visitId, new Date(T0).toISOString()]]);
  });

  it('when a key already used for one household comes with a visit to another, then that visit is recorded there', async () => {
    const { system, volunteer } = await world();
    const x = system.provision({ compound: COMPOUND_A });
    const y = system.provision({ compound: COMPOUND_A });
    const key = 'reused-visit-key-01';
    expect((await volunteer('POST', `/api/households/${x.householdId}/visits`, { seen: 'none', key })).statusCode).toBe(
      201,
    );
    const onY = await volunteer('POST', `/api/households/${y.householdId}/visits`, { seen: 'none', key });
    expect(onY.statusCode, onY.body).toBe(201);
    expect(onY.json()).toMatchObject({ duplicate: false });
    expect(
      ((await volunteer('GET', `/api/households/${y.householdId}/visits`)).json() as { items: unknown[] }).items,
    ).toHaveLength(1);
  });

  it('when a visit key was used for a report, then the visit is still recorded (reports and visits keep their own keys)', async () => {
    const { system, volunteer } = await world();
    const h = system.provision({ compound: COMPOUND_A });
    const key = 'shared-key-0000001';
    expect(
      (await volunteer('POST', `/api/households/${h.householdId}/reports`, { state: 'blue', key })).statusCode,
    ).toBe(201);
    expect((await volunteer('POST', `/api/households/${h.householdId}/visits`, { seen: 'none', key })).statusCode).toBe(
      201,
    );
  });

  it.each([
    ['a ribbon colour instead of none', { seen: 'red' }, 'body.seen'],
    ['no seen at all', { note: 'x' }, 'body.seen'],
    ['an unknown field', { seen: 'none', state: 'blue' }, 'body.state'],
    ['a key too short', { seen: 'none', key: 'short' }, 'body.key'],
    ['a key with spaces', { seen: 'none', key: 'has spaces in it' }, 'body.key'],
    ['a note too long', { seen: 'none', note: 'x'.repeat(501) }, 'body.note'],
    ['an observedAt without a zone', { seen: 'none', observedAt: '2026-11-25T09:00:00' }, 'body.observedAt'],
  ])('when the body has %s, then it is 400 naming the field and nothing is stored', async (_name, body, path) => {
    const { system, volunteer } = await world();
    const h = system.provision({ compound: COMPOUND_A });
    const error = expectError(
      await volunteer('POST', `/api/households/${h.householdId}/visits`, body),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    expect(error.fields?.map((f) => f.path)).toContain(path);
    expect(
      ((await volunteer('GET', `/api/households/${h.householdId}/visits`)).json() as { items: unknown[] }).items,
    ).toEqual([]);
  });

  it('when a volunteer of another compound records or lists visits there, then it is 404 as for no household at all, and nothing is stored', async () => {
    const { system, outsider, volunteer } = await world();
    const h = system.provision({ compound: COMPOUND_A });
    for (const id of [h.householdId, 999_999]) {
      expectError(
        await outsider('POST', `/api/households/${id}/visits`, { seen: 'none' }),
        404,
        'RIBBON_ERR_NOT_FOUND',
      );
      expectError(await outsider('GET', `/api/households/${id}/visits`), 404, 'RIBBON_ERR_NOT_FOUND');
    }
    expect(
      ((await volunteer('GET', `/api/households/${h.householdId}/visits`)).json() as { items: unknown[] }).items,
    ).toEqual([]);
  });

  it('when there are more visits than a page, then they come newest first, page by page, each once', async () => {
    const { system, clock, volunteer } = await world();
    const h = system.provision({ compound: COMPOUND_A });
    // Two at the same instant: the id breaks the tie, so no visit is skipped or repeated.
    const times = [T0, T0 + 1000, T0 + 1000, T0 + 2000, T0 + 3000];
    const ids: number[] = [];
    for (const at of times) {
      clock.ms = at;
      ids.push(
        (
          (await volunteer('POST', `/api/households/${h.householdId}/visits`, { seen: 'none' })).json() as {
            visitId: number;
          }
        ).visitId,
      );
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await volunteer(
        'GET',
        `/api/households/${h.householdId}/visits?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { items: VisitItem[]; next: string | null };
      seen.push(...body.items.map((v) => v.id));
      cursor = body.next;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    expectError(
      await volunteer('GET', `/api/households/${h.householdId}/visits?cursor=not-a-cursor`),
      400,
      'RIBBON_ERR_VALIDATION',
    );
    expectError(
      await volunteer('GET', `/api/households/${h.householdId}/visits?limit=0`),
      400,
      'RIBBON_ERR_VALIDATION',
    );
  });
});
