import { describe, expect, it } from 'vitest';
import type { User } from '../../../../server/app/ports.js';
import { createSnapshotCache } from '../../../../server/live/snapshot.js';
import { WHOLE_SCOPE, type ViewScope } from '../../../../server/live/view.js';

const user = (id: number, role: User['role'], compoundIds: number[]): User =>
  ({ id, username: `u${id}`, displayName: '', role, compoundIds, disabled: false }) as unknown as User;

function cache(maxAgeMs = 1000) {
  let clock = 1_000_000;
  const builds: number[] = [];
  const c = createSnapshotCache(
    (u) => {
      builds.push(u.id);
      return `{"for":${u.id},"n":${builds.length}}`;
    },
    { now: () => clock, maxAgeMs },
  );
  return { c, builds, advance: (ms: number) => (clock += ms) };
}

describe('snapshots shared between sockets of one scope', () => {
  it('when eight sockets of the same admin (or two admins) ask with nothing changed, then one snapshot is built for all', () => {
    const { c, builds } = cache();
    const bodies = Array.from({ length: 8 }, () => c.body(user(1, 'admin', []), WHOLE_SCOPE));
    expect(c.body(user(2, 'admin', []), WHOLE_SCOPE)).toBe(bodies[0]);
    expect(new Set(bodies).size).toBe(1);
    expect(builds).toEqual([1]);
    // Without its opening brace: it follows each frame's own `{"type":"snapshot","seq":N,`.
    expect(bodies[0]?.toString()).toBe('"for":1,"n":1}');
  });

  it('when users see different compounds, then each scope gets its own; the same compounds in another order are one scope', () => {
    const { c, builds } = cache();
    c.body(user(1, 'admin', []), WHOLE_SCOPE);
    c.body(user(2, 'staff', [1, 2]), WHOLE_SCOPE);
    c.body(user(3, 'volunteer', [2, 1]), WHOLE_SCOPE);
    c.body(user(4, 'staff', [3]), WHOLE_SCOPE);
    expect(builds).toEqual([1, 2, 4]);
  });

  it('when one user watches two places, then each view gets its own snapshot, shared with others of the same scope and view', () => {
    const { c, builds } = cache();
    const street: ViewScope = {
      asked: { level: 'street', id: 2 },
      view: { level: 'street', id: 2 },
      area: true,
      compounds: new Set([1, 2]),
      key: 'street:2',
    };
    const whole = c.body(user(1, 'admin', []), WHOLE_SCOPE);
    const streetBody = c.body(user(1, 'admin', []), street);
    expect(streetBody).not.toBe(whole);
    expect(c.body(user(2, 'admin', []), street)).toBe(streetBody);
    expect(builds).toEqual([1, 1]);
  });

  it('when a change is published after it was built, then the next socket gets a new one', () => {
    const { c, builds } = cache();
    const first = c.body(user(1, 'admin', []), WHOLE_SCOPE);
    c.changed();
    expect(c.body(user(1, 'admin', []), WHOLE_SCOPE)).not.toBe(first);
    expect(builds).toEqual([1, 1]);
  });

  it('when it is as old as the limit (or the clock went back), then it is built again', () => {
    const { c, builds, advance } = cache(1000);
    c.body(user(1, 'admin', []), WHOLE_SCOPE);
    advance(999);
    c.body(user(1, 'admin', []), WHOLE_SCOPE);
    advance(1);
    c.body(user(1, 'admin', []), WHOLE_SCOPE);
    advance(-5000);
    c.body(user(1, 'admin', []), WHOLE_SCOPE);
    expect(builds).toEqual([1, 1, 1]);
  });
});
