import { describe, expect, it } from 'vitest';
import { createAdmission } from '../../../../server/live/admission.js';
import { WINDOW_MS } from '../../../../server/live/rate-limit.js';

const limits = { maxSocketsPerSession: 2, maxSocketsPerAddress: 3, maxSnapshotsPerSession: 2 };

describe('createAdmission', () => {
  it.each([
    // [sockets to take as [session, address]], whether the last one is admitted
    [[['s1', 'a']], true],
    [
      [
        ['s1', 'a'],
        ['s1', 'a'],
      ],
      true,
    ],
    [
      [
        ['s1', 'a'],
        ['s1', 'a'],
        ['s1', 'a'],
      ],
      false,
    ], // the session is full
    [
      [
        ['s1', 'a'],
        ['s1', 'b'],
        ['s1', 'c'],
      ],
      false,
    ], // the session is full, whatever the address
    [
      [
        ['s1', 'a'],
        ['s2', 'a'],
        ['s3', 'a'],
      ],
      true,
    ],
    [
      [
        ['s1', 'a'],
        ['s2', 'a'],
        ['s3', 'a'],
        ['s4', 'a'],
      ],
      false,
    ], // the address is full
    [
      [
        ['s1', 'a'],
        ['s2', 'a'],
        ['s3', 'a'],
        ['s4', 'b'],
      ],
      true,
    ],
  ] as Array<[Array<[string, string]>, boolean]>)(
    'when sockets %j are taken, then the last is admitted: %s',
    (takes, admitted) => {
      const admission = createAdmission(limits);
      const results = takes.map(([session, address]) => admission.take(session, address));
      expect(results.at(-1) !== null).toBe(admitted);
    },
  );

  it('when a socket is given back (twice), then exactly one slot frees', () => {
    const admission = createAdmission(limits);
    const release = admission.take('s1', 'a');
    expect(admission.take('s1', 'a')).not.toBeNull();
    expect(admission.take('s1', 'a')).toBeNull();
    release?.();
    release?.();
    expect(admission.take('s1', 'a')).not.toBeNull();
    expect(admission.take('s1', 'a')).toBeNull();
  });

  it.each([
    // [times of snapshots for one session], whether the last is allowed
    [[0], true],
    [[0, 1], true],
    [[0, 1, 2], false],
    [[0, 1, WINDOW_MS], true], // a new window
    [[0, 1, WINDOW_MS - 1], false],
  ])('when one session asks for snapshots at %j, then the last is allowed: %s', (times, allowed) => {
    const admission = createAdmission(limits);
    const results = times.map((t) => admission.snapshot('s1', t));
    expect(results.at(-1)).toBe(allowed);
    // Another session has its own budget.
    expect(admission.snapshot('s2', times.at(-1) ?? 0)).toBe(true);
  });
});
