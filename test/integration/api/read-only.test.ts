import { describe, expect, it } from 'vitest';
import { addUser, client, login, send } from '../../helpers/api.js';
import { requestFor, TABLE, world } from '../../helpers/matrix.js';
import { DEFAULT_AREAS } from '../../../server/domain/places.js';

// A read-only scope changes nothing (issue 14, "Scopes at any level"): a leader who watches a
// street sees its compounds and may do nothing in them. Driven by the authorization matrix's
// table, so a new state-changing route that staff of compound A may call is checked here too.
// (The /ws feed takes no command that acts in a compound: only `resync`, protocol/live.ts.)

const WRITES = TABLE.filter((row) => {
  const [method, path] = row.route.split(' ') as [string, string];
  return (
    method !== 'GET' &&
    path.startsWith('/api/') &&
    path !== '/api/session' &&
    // Routes staff of compound A may call: the ones a watcher of A's street must be refused.
    (row.expect[1] as number) < 400
  );
});

/** A leader who only watches the default street (where compounds A and B are), and an official who edits it. */
async function streetWorld() {
  const w = await world();
  const users = w.system.stores.users;
  const leader = await addUser(w.system, { username: 'street-leader', role: 'staff' });
  users.setScope(leader.id, [{ level: 'street', id: DEFAULT_AREAS.street, readOnly: true }]);
  const official = await addUser(w.system, { username: 'street-official', role: 'staff' });
  users.setScope(official.id, [{ level: 'street', id: DEFAULT_AREAS.street, readOnly: false }]);
  return {
    ctx: w.ctx,
    watcher: await login(w.system.app, 'street-leader'),
    editor: await login(w.system.app, 'street-official'),
  };
}

describe('a read-only scope', () => {
  it('when the table is read, then it has the state-changing routes of a compound', () => {
    expect(WRITES.map((r) => r.route)).toEqual(
      expect.arrayContaining([
        'POST /api/alerts/:id/ack',
        'POST /api/alerts/:id/arrived',
        'POST /api/alerts/:id/resolve',
        'POST /api/alerts/:id/claim',
        'POST /api/households',
        'PATCH /api/households/:id',
        'POST /api/households/:id/reports',
        'POST /api/households/:id/visits',
        'POST /api/devices',
        'POST /api/devices/:id/rotate',
        'DELETE /api/devices/:id',
        'POST /api/people',
        'PATCH /api/people/:id',
        'DELETE /api/people/:id',
        'PUT /api/compounds/:id/duty',
        'POST /api/compounds/:id/duty/overrides',
        'DELETE /api/duty/overrides/:id',
        'POST /api/import/households',
        'POST /api/import/people',
        'POST /api/devices/batch',
        'PATCH /api/compounds/:id',
        'PATCH /api/buildings/:id',
      ]),
    );
  });

  it('when a leader who only watches the street calls every state-changing route in its compound A, then each answers 403 read-only, in Chinese', async () => {
    const { ctx, watcher } = await streetWorld();
    const answers: Record<string, string> = {};
    for (const row of WRITES) {
      const res = await send(ctx.system.app, watcher, requestFor(row, row.target?.(ctx) ?? {}, ctx, 'staffA'));
      const body = res.json() as { error?: { code: string; message: string } };
      answers[row.route] = `${res.statusCode} ${body.error?.code ?? ''} ${/只读/.test(body.error?.message ?? '')}`;
    }
    expect(answers).toEqual(Object.fromEntries(WRITES.map((r) => [r.route, '403 RIBBON_ERR_READ_ONLY true'])));
  });

  it('when the same street is in an editable scope, then the same calls go through', async () => {
    const { ctx, editor } = await streetWorld();
    for (const route of ['POST /api/alerts/:id/ack', 'PATCH /api/households/:id', 'POST /api/devices']) {
      const row = WRITES.find((r) => r.route === route);
      if (row === undefined) throw new Error(`no row ${route}`);
      const res = await send(ctx.system.app, editor, requestFor(row, row.target?.(ctx) ?? {}, ctx, 'staffA'));
      expect(res.statusCode, `${route}: ${res.body}`).toBeLessThan(300);
    }
  });

  it('when the leader reads, then it sees both compounds of the street and its scope in the session', async () => {
    const { ctx, watcher } = await streetWorld();
    const api = client(ctx.system.app, watcher);
    const session = (await api('GET', '/api/session')).json() as {
      user: { compoundIds: number[]; readOnlyCompoundIds: number[]; scope: unknown[] };
    };
    const both = [ctx.cast.compoundA.id, ctx.cast.compoundB.id].sort((a, b) => a - b);
    expect(session.user).toEqual(
      expect.objectContaining({
        compoundIds: both,
        readOnlyCompoundIds: both,
        scope: [{ level: 'street', id: DEFAULT_AREAS.street, readOnly: true }],
      }),
    );
    const households = (await api('GET', '/api/households')).json() as { items: Array<{ compoundId: number }> };
    expect(new Set(households.items.map((h) => h.compoundId))).toEqual(new Set(both));
  });
});
