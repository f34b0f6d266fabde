import { describe, expect, it } from 'vitest';
import { compileWaitingValidators } from '../../../server/api/build-app.js';
import { client, expectError, loginAdmin, type InjectResponse } from '../../helpers/api.js';
import { startTestSystem } from '../../helpers/system.js';

// The request validators are compiled at each route's first request, not at the start (a third of
// the main thread's start; ~10 s under emulation). They must still validate from the first
// request on, and every schema must still compile: here, not at a user's request.

const fieldPaths = (res: InjectResponse): string[] =>
  (expectError(res, 400, 'RIBBON_ERR_VALIDATION').fields ?? []).map((f) => f.path);

describe('request validators, compiled at their first request', () => {
  it('when the app is built, then its validators wait for their first request, validate from it on, and every one of them compiles', async () => {
    const system = await startTestSystem({ scheduler: false });
    const admin = client(system.app, await loginAdmin(system.app));
    // The first request to a route compiles its validator and is judged by it.
    expect(fieldPaths(await admin('POST', '/api/tokens', { userId: '1', name: 'x' }))).toContain('body.userId');
    expect(fieldPaths(await admin('GET', '/api/households?colour=red'))).toContain('querystring.colour');

    // The rest still wait: dozens of routes, several schemas each. Compiling them all must not throw.
    const waiting = compileWaitingValidators();
    expect(waiting, 'validators compiled at the start instead of at their first request').toBeGreaterThan(30);
    expect(compileWaitingValidators(), 'nothing left after all were compiled').toBe(0);

    // Compiled ahead or not, they judge alike.
    expect(fieldPaths(await admin('POST', '/api/devices', { householdId: 1.5 }))).toContain('body.householdId');
    expect(fieldPaths(await admin('GET', '/api/households/0'))).toContain('params.id');
    expect((await admin('GET', '/api/households')).statusCode).toBe(200);
  });
});
