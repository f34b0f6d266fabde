import { describe, expect, it } from 'vitest';
import { addUser, login, loginAdmin } from '../../helpers/api.js';
import { isSnapshot, type LiveClient, open } from '../../helpers/live-client.js';
import { ownHub } from '../../helpers/live-hub.js';
import { startTestSystem } from '../../helpers/system.js';

// What one session, and one address, may cost the live hub (issue 12): sockets per session and
// per address, snapshots per session. Over a limit, the upgrade answers 429 and a resync closes
// the socket (1008); other sessions go on.

async function status(promise: Promise<LiveClient>): Promise<number | string> {
  try {
    await promise;
  } catch (err) {
    return (err as { status?: number }).status ?? (err as Error).message;
  }
  return 'accepted';
}

const snapshotsOf = (c: LiveClient) => c.messages.filter(isSnapshot).length;

describe('live hub admission', () => {
  it('when one session opens more sockets than its limit, then the extra one is refused 429, and a slot freed by a close is taken again', async () => {
    const system = await startTestSystem({ scheduler: false });
    const { port } = await ownHub(system, { admission: { maxSocketsPerSession: 2 } });
    const admin = await loginAdmin(system.app);
    const first = await open(port, { cookie: admin.cookie });
    await open(port, { cookie: admin.cookie });
    expect(await status(open(port, { cookie: admin.cookie }))).toBe(429);

    first.ws.close();
    await first.closedWithin();
    const again = await open(port, { cookie: admin.cookie });
    await again.next(isSnapshot);
  });

  it('when one address holds its limit of sockets, then another session from it is refused 429', async () => {
    const system = await startTestSystem({ scheduler: false });
    const { port } = await ownHub(system, { admission: { maxSocketsPerAddress: 2 } });
    const admin = await loginAdmin(system.app);
    const user = await addUser(system, { username: 'staff-b', role: 'staff' });
    const staff = await login(system.app, user.username);
    await open(port, { cookie: admin.cookie });
    await open(port, { cookie: admin.cookie });
    expect(await status(open(port, { cookie: staff.cookie }))).toBe(429);
    expect(system.logs.find((l) => /over a session or address limit/.test(l.msg))).toBeDefined();
  });

  it("when a session's sockets ask for more snapshots than its budget, then no more are built, the asking socket is closed 1008, and another session still gets its own", async () => {
    const system = await startTestSystem({ scheduler: false });
    const { port } = await ownHub(system, { admission: { maxSnapshotsPerSession: 4 } });
    const admin = await loginAdmin(system.app);
    const a = await open(port, { cookie: admin.cookie });
    const b = await open(port, { cookie: admin.cookie });
    await a.next(isSnapshot);
    await b.next(isSnapshot);
    // Two snapshots spent on connect; two resyncs are within the budget, the third is not.
    a.send({ type: 'resync' });
    await a.next(isSnapshot, 2000, 1);
    b.send({ type: 'resync' });
    await b.next(isSnapshot, 2000, 1);
    a.send({ type: 'resync' });
    expect((await a.closedWithin()).code).toBe(1008);
    expect(snapshotsOf(a) + snapshotsOf(b)).toBe(4);
    // A new socket of the same session would cost a snapshot too: refused in this window.
    expect(await status(open(port, { cookie: admin.cookie }))).toBe(429);

    const other = await loginAdmin(system.app);
    const c = await open(port, { cookie: other.cookie });
    await c.next(isSnapshot);
  });
});
