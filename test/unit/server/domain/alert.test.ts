import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../../../protocol/errors.js';
import {
  openAlert,
  transition,
  type AlertCommand,
  type AlertContext,
  type AlertErrorCode,
  type AlertView,
  type Effect,
  type NotifyEvent,
  type Tier,
  type TransitionRecord,
} from '../../../../server/domain/alert.js';
import { addDaytime } from '../../../../server/domain/daytime.js';
import { checkPolicy, DEFAULT_POLICY, type ResponsePolicy } from '../../../../server/domain/policy.js';
import type { AlertKind, AlertStatus } from '../../../../server/domain/ribbon.js';

/** The refusal codes the tables expect, from the catalogue (protocol/errors.ts). */
const ALERT_ERRORS = {
  resolved: ERRORS.alertResolved.code,
  alreadyAcknowledged: ERRORS.alertAlreadyAcknowledged.code,
  alreadyArrived: ERRORS.alertAlreadyArrived.code,
  notEmergency: ERRORS.alertNotEmergency.code,
  noteRequired: ERRORS.noteRequired.code,
  needsPerson: ERRORS.alertNeedsPerson.code,
} as const satisfies Record<string, AlertErrorCode>;

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const SHANGHAI = 'Asia/Shanghai';

/** Wednesday 2026-11-25 10:00 in Shanghai, inside the 08:00–20:00 daytime: the press. */
const T0 = at('2026-11-25T10:00:00+08:00');

const KINDS = ['emergency', 'service', 'missed_checkin', 'device'] as const satisfies readonly AlertKind[];

/** The context the use case builds: the policy, `now`, and daytime in the household's zone. */
function ctx(now: number, policy: ResponsePolicy = DEFAULT_POLICY): AlertContext {
  const window = { start: policy.daytimeStart, end: policy.daytimeEnd };
  return { now, policy, addDaytime: (from, seconds) => addDaytime(from, seconds, window, SHANGHAI) };
}

function policyWith(overrides: Record<string, unknown>): ResponsePolicy {
  const result = checkPolicy(overrides);
  if (!result.ok) throw new Error(`bad policy in test: ${result.reason}`);
  return result.value;
}

type Ok = { alert: AlertView; effects: Effect[]; records: TransitionRecord[] };

/** Opens an alert; frozen, so a transition that mutated its input would throw. */
function open(kind: AlertKind, now: number = T0, policy?: ResponsePolicy): AlertView {
  return Object.freeze(openAlert(kind, ctx(now, policy)).alert);
}

/** Runs a command that must succeed; the new alert is frozen too. */
function apply(alert: AlertView, command: AlertCommand, now: number, policy?: ResponsePolicy): Ok {
  const out = transition(alert, command, ctx(now, policy));
  if (!out.ok) throw new Error(`expected ${command.type} to succeed, got ${out.code}: ${out.message}`);
  Object.freeze(out.alert);
  return out;
}

/** Runs a command that must fail; its error code. */
function refuse(alert: AlertView, command: AlertCommand, now: number): AlertErrorCode {
  const out = transition(alert, command, ctx(now));
  if (out.ok) throw new Error(`expected ${command.type} to fail, got ${JSON.stringify(out.alert)}`);
  expect(out.message).not.toBe('');
  return out.code;
}

/** Runs the steps in order (each at its own instant) and returns the last alert. */
function run(alert: AlertView, steps: readonly [number, AlertCommand][], policy?: ResponsePolicy): AlertView {
  return steps.reduce((current, [now, command]) => apply(current, command, now, policy).alert, alert);
}

type SweepResult = {
  effects: Effect[];
  records: TransitionRecord[];
  level: Tier;
  dueAt: number | null;
  remindersSent: number;
  status: AlertStatus;
};

/** One `due` command at each instant, in order, on the same alert. */
function sweeps(start: AlertView, times: readonly number[], policy?: ResponsePolicy): SweepResult[] {
  const results: SweepResult[] = [];
  let alert = start;
  for (const now of times) {
    const out = apply(alert, { type: 'due' }, now, policy);
    alert = out.alert;
    results.push({
      // The rounds of calls have their own tests ("calls until acknowledged"); these are the tiers'.
      effects: out.effects.filter((e) => e.type !== 'call'),
      records: out.records,
      level: alert.level,
      dueAt: alert.dueAt,
      remindersSent: alert.remindersSent,
      status: alert.status,
    });
  }
  return results;
}

const notify = (tiers: Tier[], event: NotifyEvent): Effect => ({ type: 'notify', tiers, event });
const call = (tiers: Tier[]): Effect => ({ type: 'call', tiers });
const withoutCalls = (effects: readonly Effect[]): Effect[] => effects.filter((e) => e.type !== 'call');
const tellDevice = (status: 'acknowledged' | 'resolved'): Effect => ({ type: 'tell-device', status });
const ACK: AlertCommand = { type: 'acknowledge', by: 'wang' };
const DUE: AlertCommand = { type: 'due' };
const escalated = (level: Tier): TransitionRecord => ({ action: 'escalated', by: null, note: null, level });
const reminded = (level: Tier): TransitionRecord => ({ action: 'reminded', by: null, note: null, level });

/** An emergency opened at T0 and left unacknowledged until `until` (swept on time). */
function emergencyAtLevel(level: Tier): AlertView {
  const steps: [number, AlertCommand][] =
    level === 1
      ? []
      : level === 2
        ? [[T0 + 60 * SEC, DUE]]
        : [
            [T0 + 60 * SEC, DUE],
            [T0 + 180 * SEC, DUE],
          ];
  return run(open('emergency'), steps);
}

/** An alert of each kind in the states the lifecycle can reach. */
function inState(kind: AlertKind, state: 'open' | 'acknowledged' | 'arrived' | 'resolved'): AlertView {
  const opened = open(kind);
  switch (state) {
    case 'open':
      return opened;
    case 'acknowledged':
      return run(opened, [[T0 + 30 * SEC, ACK]]);
    case 'arrived':
      return run(opened, [
        [T0 + 30 * SEC, ACK],
        [T0 + 60 * SEC, { type: 'arrive', by: 'li' }],
      ]);
    case 'resolved':
      return run(opened, [[T0 + 30 * SEC, { type: 'resolve', by: 'wang', note: 'done' }]]);
  }
}

describe('openAlert', () => {
  it.each<[AlertKind, string, string | null]>([
    ['emergency', '2026-11-25T10:00:00+08:00', '2026-11-25T10:01:00+08:00'],
    // 4 h of daytime (08:00–20:00) in the household's zone.
    ['service', '2026-11-25T10:00:00+08:00', '2026-11-25T14:00:00+08:00'],
    ['service', '2026-11-25T19:00:00+08:00', '2026-11-26T11:00:00+08:00'],
    ['service', '2026-11-25T22:00:00+08:00', '2026-11-26T12:00:00+08:00'],
    ['service', '2026-11-25T06:30:00+08:00', '2026-11-25T12:00:00+08:00'],
    ['missed_checkin', '2026-11-25T10:00:00+08:00', '2026-11-25T11:00:00+08:00'],
    ['missed_checkin', '2026-11-25T23:30:00+08:00', '2026-11-26T00:30:00+08:00'],
    // A device fault has no timed step: it is told once and shown until cleared.
    ['device', '2026-11-25T10:00:00+08:00', null],
  ])('when a %s alert opens at %s, then tier 1 is told and the next step is due at %s', (kind, when, due) => {
    const now = at(when);
    expect(openAlert(kind, ctx(now))).toEqual({
      alert: {
        kind,
        status: 'open',
        level: 1,
        openedAt: now,
        acknowledgedAt: null,
        arrivedAt: null,
        resolvedAt: null,
        reportCount: 1,
        dueAt: due === null ? null : at(due),
        remindersSent: 0,
        // An open emergency's phones are called again every minute until someone acknowledges.
        callDueAt: kind === 'emergency' ? now + 60 * SEC : null,
      },
      effects: [notify([1], 'alert.opened')],
      records: [{ action: 'opened', by: null, note: null, level: 1 }],
    });
  });

  it.each<[AlertKind, Record<string, unknown>, string | null]>([
    ['emergency', { tier2AfterSec: 30, tier3AfterSec: 90 }, '2026-11-25T10:00:30+08:00'],
    ['service', { serviceUnclaimedSec: 2 * 3_600 }, '2026-11-25T12:00:00+08:00'],
    ['service', { daytimeStart: '09:00', daytimeEnd: '11:00' }, '2026-11-27T10:00:00+08:00'],
    ['missed_checkin', { missedCheckInEscalateSec: 1_800 }, '2026-11-25T10:30:00+08:00'],
    ['device', { tier2AfterSec: 1 }, null],
  ])(
    'when a %s alert opens under the policy %o, then its first due time follows the policy',
    (kind, overrides, due) => {
      expect(iso(openAlert(kind, ctx(T0, policyWith(overrides))).alert.dueAt)).toBe(due === null ? null : iso(at(due)));
    },
  );
});

describe('emergency, unacknowledged: escalation on time', () => {
  // One sweep at each instant, in order, on the same alert (seconds after the press).
  const TIMELINE: [string, number, Effect[], Tier, number, number][] = [
    ['+30 s (not yet due)', 30, [], 1, 60, 0],
    ['+59 s', 59, [], 1, 60, 0],
    ['+60 s', 60, [notify([2], 'alert.escalated')], 2, 180, 0],
    ['+120 s', 120, [], 2, 180, 0],
    ['+180 s', 180, [notify([3], 'alert.escalated')], 3, 180 + 900, 0],
    ['+17 min', 17 * 60, [], 3, 1080, 0],
    ['+18 min', 1080, [notify([1, 2, 3], 'alert.reminder')], 3, 1080 + 900, 1],
    ['+33 min', 1980, [notify([1, 2, 3], 'alert.reminder')], 3, 1980 + 900, 2],
    ['+48 min', 2880, [notify([1, 2, 3], 'alert.reminder')], 3, 2880 + 900, 3],
    ['+63 min', 3780, [notify([1, 2, 3], 'alert.reminder')], 3, 3780 + 900, 4],
  ];
  const results = sweeps(
    open('emergency'),
    TIMELINE.map(([, sec]) => T0 + sec * SEC),
  );

  it.each(TIMELINE.map((row, i) => [...row, i] as const))(
    'when the sweep runs at %s, then the effects, level and next due are fixed',
    (_name, _sec, effects, level, dueSec, reminders, i) => {
      const result = results[i];
      expect(result).toBeDefined();
      expect(result?.effects).toEqual(effects);
      expect(result?.level).toBe(level);
      expect(result?.dueAt).toBe(T0 + dueSec * SEC);
      expect(result?.remindersSent).toBe(reminders);
      expect(result?.status).toBe('open');
    },
  );

  it('when it escalates and reminds, then each step is recorded with no person and the tier reached', () => {
    expect(results.flatMap((r) => r.records)).toEqual([
      escalated(2),
      escalated(3),
      reminded(3),
      reminded(3),
      reminded(3),
      reminded(3),
    ]);
  });

  it('when the policy is faster, then the steps follow the policy', () => {
    const policy = policyWith({ tier2AfterSec: 30, tier3AfterSec: 90, unacknowledgedRepeatSec: 300 });
    const fast = sweeps(open('emergency', T0, policy), [T0 + 30 * SEC, T0 + 90 * SEC, T0 + 390 * SEC], policy);
    expect(fast.map((r) => [r.effects, r.level, r.dueAt])).toEqual([
      [[notify([2], 'alert.escalated')], 2, T0 + 90 * SEC],
      [[notify([3], 'alert.escalated')], 3, T0 + 390 * SEC],
      [[notify([1, 2, 3], 'alert.reminder')], 3, T0 + 690 * SEC],
    ]);
  });
});

describe('emergency, unacknowledged: a late sweep', () => {
  // One `due` on a fresh emergency, `late` ms after the press (a restart, a stalled sweep).
  it.each<[string, number, Effect[], Tier, number]>([
    ['1 ms before tier 2 is due', 60 * SEC - 1, [], 1, 60 * SEC],
    ['exactly at +60 s', 60 * SEC, [notify([2], 'alert.escalated')], 2, 180 * SEC],
    ['at +179 s', 179 * SEC, [notify([2], 'alert.escalated')], 2, 180 * SEC],
    [
      'exactly at +180 s',
      180 * SEC,
      [notify([2], 'alert.escalated'), notify([3], 'alert.escalated')],
      3,
      180 * SEC + 15 * MIN,
    ],
    ['at +10 min', 10 * MIN, [notify([2], 'alert.escalated'), notify([3], 'alert.escalated')], 3, 25 * MIN],
    [
      'at +18 min (when the first repeat would have been)',
      18 * MIN,
      [notify([2], 'alert.escalated'), notify([3], 'alert.escalated')],
      3,
      33 * MIN,
    ],
    ['at +2 h', 2 * HOUR, [notify([2], 'alert.escalated'), notify([3], 'alert.escalated')], 3, 2 * HOUR + 15 * MIN],
  ])(
    'when the only sweep comes %s, then every tier due is told once and the next due is fixed',
    (_name, late, effects, level, due) => {
      const out = apply(open('emergency'), DUE, T0 + late);
      expect(withoutCalls(out.effects)).toEqual(effects);
      expect(out.alert.level).toBe(level);
      expect(out.alert.dueAt).toBe(T0 + due);
      expect(out.alert.dueAt).toBeGreaterThan(T0 + late);
      // Escalations are not reminders: no reminder in the same sweep as the escalation.
      expect(out.alert.remindersSent).toBe(0);
      expect(out.records).toEqual(effects.map((_, i) => escalated((i + 2) as Tier)));
    },
  );

  it.each<[string, number]>([
    ['a minute late', 19 * MIN],
    ['five hours late', 5 * HOUR],
    ['three days late', 3 * 24 * HOUR],
  ])(
    'when a reminder at tier 3 is swept %s, then it is sent once and the next is 15 min after the sweep',
    (_name, when) => {
      const atTier3 = emergencyAtLevel(3);
      expect(atTier3.dueAt).toBe(T0 + 18 * MIN);
      const out = apply(atTier3, DUE, T0 + when);
      expect(withoutCalls(out.effects)).toEqual([notify([1, 2, 3], 'alert.reminder')]);
      expect(out.records).toEqual([reminded(3)]);
      expect(out.alert.remindersSent).toBe(1);
      expect(out.alert.dueAt).toBe(T0 + when + 15 * MIN);
    },
  );

  it('when the same late due is swept twice at the same instant, then the second sweep sends nothing', () => {
    const now = T0 + 5 * HOUR;
    const first = apply(emergencyAtLevel(3), DUE, now);
    const second = apply(first.alert, DUE, now);
    expect(second.effects).toEqual([]);
    expect(second.records).toEqual([]);
    expect(second.alert).toEqual(first.alert);
  });

  it('when an escalation sweep is late and the next sweep is on time, then the repeat is 15 min after the late sweep', () => {
    const results = sweeps(open('emergency'), [T0 + 10 * MIN, T0 + 24 * MIN, T0 + 25 * MIN]);
    expect(results.map((r) => r.effects)).toEqual([
      [notify([2], 'alert.escalated'), notify([3], 'alert.escalated')],
      [],
      [notify([1, 2, 3], 'alert.reminder')],
    ]);
  });
});

describe('emergency, acknowledged', () => {
  it.each<[string, Tier, number, Tier[]]>([
    ['at tier 1 (+30 s)', 1, 30 * SEC, [1]],
    ['at tier 2 (+90 s)', 2, 90 * SEC, [1, 2]],
    ['at tier 3 (+5 min)', 3, 5 * MIN, [1, 2, 3]],
  ])(
    'when it is acknowledged %s, then the button and every tier reached are told and a reminder is due in 45 min',
    (_name, level, when, tiers) => {
      const alert = emergencyAtLevel(level);
      const out = apply(alert, { type: 'acknowledge', by: 'wang', note: '我去处理' }, T0 + when);
      expect(out.effects).toEqual([tellDevice('acknowledged'), notify(tiers, 'alert.acknowledged')]);
      expect(out.records).toEqual([{ action: 'acknowledged', by: 'wang', note: '我去处理', level }]);
      expect(out.alert).toEqual({
        ...alert,
        status: 'acknowledged',
        acknowledgedAt: T0 + when,
        dueAt: T0 + when + 45 * MIN,
        callDueAt: null,
      });
    },
  );

  it.each<[string, number]>([
    ['+60 s (tier 2 would have been due)', 60 * SEC],
    ['+180 s (tier 3 would have been due)', 180 * SEC],
    ['+10 min', 10 * MIN],
    ['+18 min (a repeat would have been due)', 18 * MIN],
    ['1 ms before the reminder', 30 * SEC + 45 * MIN - 1],
  ])('when acknowledged at +30 s and swept at %s, then nobody else is told', (_name, when) => {
    const acknowledged = inState('emergency', 'acknowledged');
    const out = apply(acknowledged, DUE, T0 + when);
    expect(out.effects).toEqual([]);
    expect(out.records).toEqual([]);
    expect(out.alert).toEqual(acknowledged);
    expect(out.alert.level).toBe(1);
  });

  it('when acknowledged and not resolved, then reminders come at +45 min and every 15 min after', () => {
    const ackAt = T0 + 30 * SEC;
    const times = [ackAt + 45 * MIN, ackAt + 50 * MIN, ackAt + 60 * MIN, ackAt + 75 * MIN, ackAt + 90 * MIN];
    const results = sweeps(inState('emergency', 'acknowledged'), times);
    expect(
      results.map((r) => [r.effects, r.dueAt === null ? null : r.dueAt - ackAt, r.remindersSent, r.status]),
    ).toEqual([
      [[notify([1], 'alert.reminder')], 60 * MIN, 1, 'acknowledged'],
      [[], 60 * MIN, 1, 'acknowledged'],
      [[notify([1], 'alert.reminder')], 75 * MIN, 2, 'acknowledged'],
      [[notify([1], 'alert.reminder')], 90 * MIN, 3, 'acknowledged'],
      [[notify([1], 'alert.reminder')], 105 * MIN, 4, 'acknowledged'],
    ]);
    expect(results.flatMap((r) => r.records)).toEqual([reminded(1), reminded(1), reminded(1), reminded(1)]);
  });

  it('when acknowledged after tier 3, then the reminders go to all three tiers', () => {
    const acknowledged = run(emergencyAtLevel(3), [[T0 + 5 * MIN, ACK]]);
    const out = apply(acknowledged, DUE, T0 + 50 * MIN);
    expect(out.effects).toEqual([notify([1, 2, 3], 'alert.reminder')]);
    expect(out.alert.level).toBe(3);
  });

  it.each<[string, number]>([
    ['a minute late', 46 * MIN],
    ['four hours late', 4 * HOUR],
  ])(
    'when the acknowledged reminder is swept %s, then one reminder is sent and the next is 15 min after the sweep',
    (_name, when) => {
      const out = apply(inState('emergency', 'acknowledged'), DUE, T0 + when);
      expect(out.effects).toEqual([notify([1], 'alert.reminder')]);
      expect(out.alert.remindersSent).toBe(1);
      expect(out.alert.dueAt).toBe(T0 + when + 15 * MIN);
    },
  );

  it('when the policy changes the reminder times, then they follow the policy', () => {
    const policy = policyWith({ acknowledgedRemindAfterSec: 600, acknowledgedRepeatSec: 120 });
    const acknowledged = apply(open('emergency', T0, policy), ACK, T0, policy).alert;
    expect(acknowledged.dueAt).toBe(T0 + 10 * MIN);
    const results = sweeps(acknowledged, [T0 + 10 * MIN, T0 + 12 * MIN], policy);
    expect(results.map((r) => r.dueAt)).toEqual([T0 + 12 * MIN, T0 + 14 * MIN]);
  });
});

describe('arrive', () => {
  it.each<[string, Tier, Tier[]]>([
    ['at tier 1', 1, [1]],
    ['at tier 2', 2, [1, 2]],
    ['at tier 3', 3, [1, 2, 3]],
  ])(
    'when a volunteer arrives at an open emergency %s, then it is acknowledged and arrived at once',
    (_name, level, tiers) => {
      const alert = emergencyAtLevel(level);
      const now = T0 + 6 * MIN;
      const out = apply(alert, { type: 'arrive', by: 'li', note: ' 到达, door open ' }, now);
      expect(out.alert).toEqual({
        ...alert,
        status: 'acknowledged',
        acknowledgedAt: now,
        arrivedAt: now,
        dueAt: now + 45 * MIN,
        callDueAt: null,
      });
      expect(out.effects).toEqual([tellDevice('acknowledged'), notify(tiers, 'alert.acknowledged')]);
      expect(out.records).toEqual([
        { action: 'acknowledged', by: 'li', note: null, level },
        { action: 'arrived', by: 'li', note: '到达, door open', level },
      ]);
    },
  );

  it('when a volunteer arrives at an acknowledged emergency, then only the arrival is recorded and the reminder stays due', () => {
    const acknowledged = inState('emergency', 'acknowledged');
    const now = T0 + 10 * MIN;
    const out = apply(acknowledged, { type: 'arrive', by: 'li' }, now);
    expect(out.alert).toEqual({ ...acknowledged, arrivedAt: now });
    expect(out.alert.acknowledgedAt).toBe(T0 + 30 * SEC);
    expect(out.alert.dueAt).toBe(T0 + 30 * SEC + 45 * MIN);
    expect(out.effects).toEqual([]);
    expect(out.records).toEqual([{ action: 'arrived', by: 'li', note: null, level: 1 }]);
  });

  it('when someone has arrived but nobody resolved, then the reminder still comes (an arrival is not an outcome)', () => {
    const out = apply(inState('emergency', 'arrived'), DUE, T0 + 30 * SEC + 45 * MIN);
    expect(out.effects).toEqual([notify([1], 'alert.reminder')]);
  });

  it.each<[string, AlertView]>([
    ['after acknowledge then arrive', inState('emergency', 'arrived')],
    ['after an arrival that acknowledged', run(open('emergency'), [[T0 + 5 * MIN, { type: 'arrive', by: 'li' }]])],
  ])('when someone arrives again %s, then it is refused', (_name, alert) => {
    expect(refuse(alert, { type: 'arrive', by: 'zhao' }, T0 + 20 * MIN)).toBe(ALERT_ERRORS.alreadyArrived);
  });

  it.each<[AlertKind, 'open' | 'acknowledged']>([
    ['service', 'open'],
    ['service', 'acknowledged'],
    ['missed_checkin', 'open'],
    ['missed_checkin', 'acknowledged'],
    ['device', 'open'],
    ['device', 'acknowledged'],
  ])('when someone arrives at a %s alert (%s), then it is refused: only an emergency has an arrival', (kind, state) => {
    expect(refuse(inState(kind, state), { type: 'arrive', by: 'li' }, T0 + 5 * MIN)).toBe(ALERT_ERRORS.notEmergency);
  });
});

describe('acknowledge', () => {
  it.each<[AlertKind, Effect[], number | null]>([
    ['emergency', [tellDevice('acknowledged'), notify([1], 'alert.acknowledged')], 45 * MIN],
    // A claimed service request waits for its volunteer: no more reminders.
    ['service', [tellDevice('acknowledged'), notify([1], 'alert.acknowledged')], null],
    ['missed_checkin', [notify([1], 'alert.acknowledged')], 45 * MIN],
    ['device', [notify([1], 'alert.acknowledged')], null],
  ])('when an open %s alert is acknowledged, then the effects and next due are fixed', (kind, effects, dueIn) => {
    const alert = open(kind);
    const now = T0 + 20 * MIN;
    const out = apply(alert, ACK, now);
    expect(out.alert).toEqual({
      ...alert,
      status: 'acknowledged',
      acknowledgedAt: now,
      dueAt: dueIn === null ? null : now + dueIn,
      callDueAt: null,
    });
    expect(out.effects).toEqual(effects);
    expect(out.records).toEqual([{ action: 'acknowledged', by: 'wang', note: null, level: 1 }]);
  });

  it.each<[AlertKind, 'acknowledged' | 'arrived']>([
    ['emergency', 'acknowledged'],
    ['emergency', 'arrived'],
    ['service', 'acknowledged'],
    ['missed_checkin', 'acknowledged'],
    ['device', 'acknowledged'],
  ])('when a %s alert (%s) is acknowledged again, then it is refused', (kind, state) => {
    expect(refuse(inState(kind, state), { type: 'acknowledge', by: 'zhao' }, T0 + 5 * MIN)).toBe(
      ALERT_ERRORS.alreadyAcknowledged,
    );
  });
});

describe('resolve', () => {
  const BLANK_NOTES = ['', ' ', '   ', '\n\t ', '\u3000'];
  it.each<[AlertKind, 'open' | 'acknowledged', string]>(
    KINDS.flatMap((kind) =>
      (['open', 'acknowledged'] as const).flatMap((state) =>
        BLANK_NOTES.map((note): [AlertKind, 'open' | 'acknowledged', string] => [kind, state, note]),
      ),
    ),
  )('when a %s alert (%s) is resolved with the note %j, then a note is required', (kind, state, note) => {
    expect(refuse(inState(kind, state), { type: 'resolve', by: 'wang', note }, T0 + 5 * MIN)).toBe(
      ALERT_ERRORS.noteRequired,
    );
  });

  it.each<[string, () => AlertView, Effect[]]>([
    [
      'an open emergency (resolved straight away)',
      () => open('emergency'),
      [tellDevice('resolved'), notify([1], 'alert.resolved')],
    ],
    [
      'an emergency at tier 3, never acknowledged',
      () => emergencyAtLevel(3),
      [tellDevice('resolved'), notify([1, 2, 3], 'alert.resolved')],
    ],
    [
      'an emergency acknowledged at tier 2 and arrived',
      () =>
        run(emergencyAtLevel(2), [
          [T0 + 90 * SEC, ACK],
          [T0 + 5 * MIN, { type: 'arrive', by: 'wang' }],
        ]),
      [tellDevice('resolved'), notify([1, 2], 'alert.resolved')],
    ],
    ['an unclaimed service request', () => open('service'), [tellDevice('resolved'), notify([1], 'alert.resolved')]],
    [
      'a service request after a reminder to tier 2',
      () => run(open('service'), [[at('2026-11-25T14:00:00+08:00'), DUE]]),
      [tellDevice('resolved'), notify([1, 2], 'alert.resolved')],
    ],
    [
      'a claimed service request',
      () => inState('service', 'acknowledged'),
      [tellDevice('resolved'), notify([1], 'alert.resolved')],
    ],
    ['an open missed check-in', () => open('missed_checkin'), [notify([1], 'alert.resolved')]],
    [
      'a missed check-in at tier 2',
      () => run(open('missed_checkin'), [[T0 + HOUR, DUE]]),
      [notify([1, 2], 'alert.resolved')],
    ],
    [
      'an acknowledged missed check-in',
      () => inState('missed_checkin', 'acknowledged'),
      [notify([1], 'alert.resolved')],
    ],
    ['an open device fault', () => open('device'), [notify([1], 'alert.resolved')]],
    ['an acknowledged device fault', () => inState('device', 'acknowledged'), [notify([1], 'alert.resolved')]],
  ])('when %s is resolved with a note, then it is resolved and the tiers reached are told', (_name, build, effects) => {
    const alert = build();
    const now = T0 + 3 * HOUR;
    const out = apply(alert, { type: 'resolve', by: 'zhao', note: '  送医, family told  ' }, now);
    expect(out.alert).toEqual({ ...alert, status: 'resolved', resolvedAt: now, dueAt: null, callDueAt: null });
    expect(out.effects).toEqual(effects);
    expect(out.records).toEqual([{ action: 'resolved', by: 'zhao', note: '送医, family told', level: alert.level }]);
  });
});

describe('a resolved alert', () => {
  const COMMANDS: [string, AlertCommand][] = [
    ['report', { type: 'report' }],
    ['acknowledge', { type: 'acknowledge', by: 'zhao' }],
    ['arrive', { type: 'arrive', by: 'zhao' }],
    ['resolve', { type: 'resolve', by: 'zhao', note: 'again' }],
    ['resolve without a note', { type: 'resolve', by: 'zhao', note: '' }],
    ['clear', { type: 'clear', note: 'blue press' }],
    ['due', { type: 'due' }],
  ];
  const RESOLVED: [string, () => AlertView][] = [
    ...KINDS.map((kind): [string, () => AlertView] => [
      `${kind}, resolved by a person`,
      () => inState(kind, 'resolved'),
    ]),
    [
      'missed_checkin, cleared',
      () => run(open('missed_checkin'), [[T0 + 5 * MIN, { type: 'clear', note: 'blue press' }]]),
    ],
    ['device, cleared', () => run(open('device'), [[T0 + 5 * MIN, { type: 'clear', note: 'back online' }]])],
  ];
  it.each<[string, string, AlertCommand, () => AlertView]>(
    RESOLVED.flatMap(([alertName, build]) =>
      COMMANDS.map(([name, command]): [string, string, AlertCommand, () => AlertView] => [
        name,
        alertName,
        command,
        build,
      ]),
    ),
  )('when %s is sent to a %s alert, then it is refused as resolved', (_name, _alertName, command, build) => {
    expect(refuse(build(), command, T0 + 2 * HOUR)).toBe(ALERT_ERRORS.resolved);
  });
});

describe('clear (the system resolves it when the cause is gone)', () => {
  it.each<[AlertKind, string, () => AlertView]>([
    ['emergency', 'open', () => open('emergency')],
    ['emergency', 'at tier 3', () => emergencyAtLevel(3)],
    ['emergency', 'acknowledged', () => inState('emergency', 'acknowledged')],
    ['emergency', 'arrived', () => inState('emergency', 'arrived')],
    ['service', 'open', () => open('service')],
    ['service', 'acknowledged', () => inState('service', 'acknowledged')],
  ])('when a %s alert (%s) is cleared, then it is refused: a person must resolve it', (_kind, _state, build) => {
    expect(refuse(build(), { type: 'clear', note: 'blue press' }, T0 + 5 * MIN)).toBe(ALERT_ERRORS.needsPerson);
  });

  it.each<[string, () => AlertView, Effect[]]>([
    // Whoever was told hears it is over, so nobody walks over for nothing.
    ['an open missed check-in at tier 1', () => open('missed_checkin'), [notify([1], 'alert.resolved')]],
    [
      'a missed check-in at tier 2',
      () => run(open('missed_checkin'), [[T0 + HOUR, DUE]]),
      [notify([1, 2], 'alert.resolved')],
    ],
    [
      'an acknowledged missed check-in',
      () => inState('missed_checkin', 'acknowledged'),
      [notify([1], 'alert.resolved')],
    ],
    ['an open device fault', () => open('device'), [notify([1], 'alert.resolved')]],
    ['an acknowledged device fault', () => inState('device', 'acknowledged'), [notify([1], 'alert.resolved')]],
  ])('when %s is cleared, then it is resolved by nobody and the effects are fixed', (_name, build, effects) => {
    const alert = build();
    const now = T0 + 2 * HOUR;
    const out = apply(alert, { type: 'clear', note: '  blue press  ' }, now);
    expect(out.alert).toEqual({ ...alert, status: 'resolved', resolvedAt: now, dueAt: null, callDueAt: null });
    expect(out.effects).toEqual(effects);
    expect(out.records).toEqual([{ action: 'cleared', by: null, note: 'blue press', level: alert.level }]);
  });

  it('when a clear has a blank note, then it is still cleared, with no note', () => {
    const out = apply(open('device'), { type: 'clear', note: '   ' }, T0 + MIN);
    expect(out.alert.status).toBe('resolved');
    expect(out.records).toEqual([{ action: 'cleared', by: null, note: null, level: 1 }]);
  });
});

describe('report (another press joins the open alert)', () => {
  it.each<[AlertKind, string, () => AlertView]>([
    ...KINDS.map((kind): [AlertKind, string, () => AlertView] => [kind, 'open', () => open(kind)]),
    ...KINDS.map((kind): [AlertKind, string, () => AlertView] => [
      kind,
      'acknowledged',
      () => inState(kind, 'acknowledged'),
    ]),
    ['emergency', 'at tier 3', () => emergencyAtLevel(3)],
    ['emergency', 'arrived', () => inState('emergency', 'arrived')],
  ])(
    'when a %s alert (%s) gets another report, then only the count grows: no effect, no record',
    (_kind, _state, build) => {
      const alert = build();
      const out = apply(alert, { type: 'report' }, T0 + 7 * MIN);
      expect(out.alert).toEqual({ ...alert, reportCount: alert.reportCount + 1 });
      expect(out.effects).toEqual([]);
      expect(out.records).toEqual([]);
    },
  );

  it('when three more presses come, then the count is four', () => {
    const alert = run(open('emergency'), [
      [T0 + SEC, { type: 'report' }],
      [T0 + 2 * SEC, { type: 'report' }],
      [T0 + 3 * SEC, { type: 'report' }],
    ]);
    expect(alert.reportCount).toBe(4);
    expect(alert.dueAt).toBe(T0 + 60 * SEC);
  });
});

describe('service (yellow): unclaimed reminders in daytime', () => {
  it('when nobody claims it, then tier 2 alone is reminded after every 4 h of daytime', () => {
    const times = [
      '2026-11-25T12:00:00+08:00',
      '2026-11-25T14:00:00+08:00',
      '2026-11-25T18:00:00+08:00',
      '2026-11-26T10:00:00+08:00',
      '2026-11-26T14:00:00+08:00',
    ];
    const results = sweeps(open('service'), times.map(at));
    expect(results.map((r) => [r.effects, r.level, iso(r.dueAt), r.remindersSent])).toEqual([
      [[], 1, iso(at('2026-11-25T14:00:00+08:00')), 0],
      [[notify([2], 'alert.reminder')], 2, iso(at('2026-11-25T18:00:00+08:00')), 1],
      // 2 h left today (18:00–20:00), 2 h tomorrow from 08:00.
      [[notify([2], 'alert.reminder')], 2, iso(at('2026-11-26T10:00:00+08:00')), 2],
      [[notify([2], 'alert.reminder')], 2, iso(at('2026-11-26T14:00:00+08:00')), 3],
      [[notify([2], 'alert.reminder')], 2, iso(at('2026-11-26T18:00:00+08:00')), 4],
    ]);
    expect(results.flatMap((r) => r.records)).toEqual([reminded(2), reminded(2), reminded(2), reminded(2)]);
  });

  it('when a yellow press comes at 19:00, then the reminder is at 11:00 the next day and the next 4 daytime hours later', () => {
    const alert = open('service', at('2026-11-25T19:00:00+08:00'));
    expect(iso(alert.dueAt)).toBe(iso(at('2026-11-26T11:00:00+08:00')));
    const out = apply(alert, DUE, at('2026-11-26T11:00:00+08:00'));
    expect(out.effects).toEqual([notify([2], 'alert.reminder')]);
    expect(iso(out.alert.dueAt)).toBe(iso(at('2026-11-26T15:00:00+08:00')));
  });

  it.each<[string, string, string]>([
    ['the same evening at 23:00', '2026-11-25T23:00:00+08:00', '2026-11-26T12:00:00+08:00'],
    ['two days later at 09:00', '2026-11-27T09:00:00+08:00', '2026-11-27T13:00:00+08:00'],
  ])(
    'when the 14:00 reminder is swept late (%s), then one reminder is sent and the next is 4 daytime hours after the sweep',
    (_name, sweepAt, next) => {
      const out = apply(open('service'), DUE, at(sweepAt));
      expect(out.effects).toEqual([notify([2], 'alert.reminder')]);
      expect(out.records).toEqual([reminded(2)]);
      expect(out.alert.remindersSent).toBe(1);
      expect(iso(out.alert.dueAt)).toBe(iso(at(next)));
    },
  );

  it.each<[string, string]>([
    ['at the old due time', '2026-11-25T14:00:00+08:00'],
    ['days later', '2026-11-30T14:00:00+08:00'],
  ])('when it has been claimed, then nothing is due %s', (_name, when) => {
    const claimed = run(open('service'), [[at('2026-11-25T11:00:00+08:00'), ACK]]);
    expect(claimed.dueAt).toBeNull();
    const out = apply(claimed, DUE, at(when));
    expect(out.effects).toEqual([]);
    expect(out.alert).toEqual(claimed);
  });
});

describe('missed check-in: tier 2, then reminders', () => {
  it('when nobody takes it up, then tier 2 is told after an hour and tiers 1–2 are reminded every hour', () => {
    const results = sweeps(open('missed_checkin'), [
      T0 + 30 * MIN,
      T0 + HOUR,
      T0 + 90 * MIN,
      T0 + 2 * HOUR,
      T0 + 3 * HOUR,
    ]);
    expect(results.map((r) => [r.effects, r.level, r.dueAt === null ? null : r.dueAt - T0, r.remindersSent])).toEqual([
      [[], 1, HOUR, 0],
      [[notify([2], 'alert.escalated')], 2, 2 * HOUR, 0],
      [[], 2, 2 * HOUR, 0],
      [[notify([1, 2], 'alert.reminder')], 2, 3 * HOUR, 1],
      [[notify([1, 2], 'alert.reminder')], 2, 4 * HOUR, 2],
    ]);
    expect(results.flatMap((r) => r.records)).toEqual([escalated(2), reminded(2), reminded(2)]);
  });

  it('when the first sweep is five hours late, then only the escalation is sent and the next due is an hour later', () => {
    const out = apply(open('missed_checkin'), DUE, T0 + 5 * HOUR);
    expect(out.effects).toEqual([notify([2], 'alert.escalated')]);
    expect(out.alert.dueAt).toBe(T0 + 6 * HOUR);
  });

  it('when a reminder at tier 2 is swept ten hours late, then one reminder is sent', () => {
    const atTier2 = run(open('missed_checkin'), [[T0 + HOUR, DUE]]);
    const out = apply(atTier2, DUE, T0 + 12 * HOUR);
    expect(out.effects).toEqual([notify([1, 2], 'alert.reminder')]);
    expect(out.alert.dueAt).toBe(T0 + 13 * HOUR);
  });

  it('when it is acknowledged and not cleared, then the acknowledged reminders apply (45 min, then every 15 min)', () => {
    const ackAt = T0 + 20 * MIN;
    const acknowledged = run(open('missed_checkin'), [[ackAt, ACK]]);
    const results = sweeps(acknowledged, [T0 + HOUR, ackAt + 45 * MIN, ackAt + 60 * MIN]);
    expect(results.map((r) => [r.effects, r.dueAt])).toEqual([
      [[], ackAt + 45 * MIN],
      [[notify([1], 'alert.reminder')], ackAt + 60 * MIN],
      [[notify([1], 'alert.reminder')], ackAt + 75 * MIN],
    ]);
  });
});

describe('device fault', () => {
  it.each<[string, number]>([
    ['at once', 0],
    ['a day later', 24 * HOUR],
  ])('when swept %s, then nothing happens: a device fault has no timed step', (_name, when) => {
    const alert = open('device');
    const out = apply(alert, DUE, T0 + when);
    expect(out).toEqual({ ok: true, alert, effects: [], records: [] });
  });

  it('when a device alert carries a due time anyway (an older row), then the sweep drops it and tells nobody', () => {
    const alert = Object.freeze({ ...open('device'), dueAt: T0 + MIN });
    const out = apply(alert, DUE, T0 + HOUR);
    expect(out).toEqual({ ok: true, alert: { ...alert, dueAt: null }, effects: [], records: [] });
  });
});

describe('due before its time', () => {
  it.each<[string, () => AlertView, number]>([
    ['a fresh emergency at +59.999 s', () => open('emergency'), 60 * SEC - 1],
    ['an emergency at tier 2 at +179 s', () => emergencyAtLevel(2), 179 * SEC],
    ['an emergency at tier 3 at +17 min', () => emergencyAtLevel(3), 17 * MIN],
    [
      'an acknowledged emergency at +44 min after acknowledgement',
      () => inState('emergency', 'acknowledged'),
      30 * SEC + 44 * MIN,
    ],
    ['a service request at 13:59:59', () => open('service'), 4 * HOUR - SEC],
    ['a missed check-in at +59 min', () => open('missed_checkin'), 59 * MIN],
    ['a device fault', () => open('device'), 0],
  ])('when %s is swept, then nothing changes and nobody is told', (_name, build, when) => {
    const alert = build();
    const out = apply(alert, DUE, T0 + when);
    // A round of calls may be due meanwhile ("calls until acknowledged"): the tiers' steps are not.
    expect(withoutCalls(out.effects)).toEqual([]);
    expect(out.records).toEqual([]);
    expect({ ...out.alert, callDueAt: null }).toEqual({ ...alert, callDueAt: null });
  });
});

describe('notes', () => {
  const LONG = 'a'.repeat(2_500);
  const NOTE_CASES: [string, string, string | null][] = [
    ['padded', '  on my way  ', 'on my way'],
    ['Chinese with ideographic and control spaces', '\n\t我去处理\u3000', '我去处理'],
    ['over the cap', LONG, 'a'.repeat(2_000)],
    ['over the cap after padding', `   ${LONG}`, 'a'.repeat(2_000)],
    ['exactly the cap', 'b'.repeat(2_000), 'b'.repeat(2_000)],
    ['blank', ' \n ', null],
  ];
  type NoteCommand = (note: string) => AlertCommand;
  const COMMANDS: [string, AlertKind, NoteCommand, 'acknowledged' | 'arrived' | 'resolved' | 'cleared'][] = [
    ['acknowledge', 'emergency', (note) => ({ type: 'acknowledge', by: 'wang', note }), 'acknowledged'],
    ['arrive', 'emergency', (note) => ({ type: 'arrive', by: 'wang', note }), 'arrived'],
    ['resolve', 'service', (note) => ({ type: 'resolve', by: 'wang', note }), 'resolved'],
    ['clear', 'missed_checkin', (note) => ({ type: 'clear', note }), 'cleared'],
  ];
  it.each<[string, string, AlertKind, NoteCommand, string, string, string | null]>(
    COMMANDS.flatMap(([name, kind, make, action]) =>
      NOTE_CASES.filter(([, , expected]) => !(name === 'resolve' && expected === null)).map(
        ([noteName, note, expected]): [string, string, AlertKind, NoteCommand, string, string, string | null] => [
          name,
          noteName,
          kind,
          make,
          action,
          note,
          expected,
        ],
      ),
    ),
  )(
    'when %s carries a note that is %s, then the recorded note is trimmed and capped',
    (_name, _noteName, kind, make, action, note, expected) => {
      const out = apply(open(kind), make(note), T0 + MIN);
      expect(out.records.find((r) => r.action === action)?.note).toBe(expected);
    },
  );

  it.each<[string, AlertCommand]>([
    ['acknowledge without a note', { type: 'acknowledge', by: 'wang' }],
    ['acknowledge with a null note', { type: 'acknowledge', by: 'wang', note: null }],
    ['arrive without a note', { type: 'arrive', by: 'wang' }],
    ['arrive with a null note', { type: 'arrive', by: 'wang', note: null }],
  ])('when %s, then the recorded note is null', (_name, command) => {
    const out = apply(open('emergency'), command, T0 + MIN);
    expect(out.records.map((r) => r.note)).toEqual(out.records.map(() => null));
  });

  it('when a note is capped in the middle of a character outside the BMP, then no half character is kept', () => {
    // 1,999 letters then an emoji (two UTF-16 units): a cut at 2,000 units would keep a lone
    // high surrogate, which SQLite and JSON turn into U+FFFD.
    const note = `${'a'.repeat(1_999)}😀 and more`;
    const out = apply(open('service'), { type: 'resolve', by: 'wang', note }, T0 + MIN);
    const stored = out.records[0]?.note ?? '';
    expect(stored.length).toBeLessThanOrEqual(2_000);
    expect(stored.startsWith('a'.repeat(1_999))).toBe(true);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(stored)).toBe(false);
  });
});

describe('the transition table: every kind, state and command', () => {
  type Expected = AlertStatus | AlertErrorCode;
  type Row = {
    report: Expected;
    acknowledge: Expected;
    arrive: Expected;
    resolve: Expected;
    clear: Expected;
    due: Expected;
  };
  const {
    resolved: RESOLVED,
    alreadyAcknowledged: ACKED,
    alreadyArrived: ARRIVED,
    notEmergency: NOT_RED,
    needsPerson: PERSON,
  } = ALERT_ERRORS;
  const ALL_RESOLVED: Row = {
    report: RESOLVED,
    acknowledge: RESOLVED,
    arrive: RESOLVED,
    resolve: RESOLVED,
    clear: RESOLVED,
    due: RESOLVED,
  };

  const TABLE: [AlertKind, 'open' | 'acknowledged' | 'arrived' | 'resolved', Row][] = [
    [
      'emergency',
      'open',
      {
        report: 'open',
        acknowledge: 'acknowledged',
        arrive: 'acknowledged',
        resolve: 'resolved',
        clear: PERSON,
        due: 'open',
      },
    ],
    [
      'emergency',
      'acknowledged',
      {
        report: 'acknowledged',
        acknowledge: ACKED,
        arrive: 'acknowledged',
        resolve: 'resolved',
        clear: PERSON,
        due: 'acknowledged',
      },
    ],
    [
      'emergency',
      'arrived',
      {
        report: 'acknowledged',
        acknowledge: ACKED,
        arrive: ARRIVED,
        resolve: 'resolved',
        clear: PERSON,
        due: 'acknowledged',
      },
    ],
    ['emergency', 'resolved', ALL_RESOLVED],
    [
      'service',
      'open',
      { report: 'open', acknowledge: 'acknowledged', arrive: NOT_RED, resolve: 'resolved', clear: PERSON, due: 'open' },
    ],
    [
      'service',
      'acknowledged',
      {
        report: 'acknowledged',
        acknowledge: ACKED,
        arrive: NOT_RED,
        resolve: 'resolved',
        clear: PERSON,
        due: 'acknowledged',
      },
    ],
    ['service', 'resolved', ALL_RESOLVED],
    [
      'missed_checkin',
      'open',
      {
        report: 'open',
        acknowledge: 'acknowledged',
        arrive: NOT_RED,
        resolve: 'resolved',
        clear: 'resolved',
        due: 'open',
      },
    ],
    [
      'missed_checkin',
      'acknowledged',
      {
        report: 'acknowledged',
        acknowledge: ACKED,
        arrive: NOT_RED,
        resolve: 'resolved',
        clear: 'resolved',
        due: 'acknowledged',
      },
    ],
    ['missed_checkin', 'resolved', ALL_RESOLVED],
    [
      'device',
      'open',
      {
        report: 'open',
        acknowledge: 'acknowledged',
        arrive: NOT_RED,
        resolve: 'resolved',
        clear: 'resolved',
        due: 'open',
      },
    ],
    [
      'device',
      'acknowledged',
      {
        report: 'acknowledged',
        acknowledge: ACKED,
        arrive: NOT_RED,
        resolve: 'resolved',
        clear: 'resolved',
        due: 'acknowledged',
      },
    ],
    ['device', 'resolved', ALL_RESOLVED],
  ];
  const COMMANDS: Record<keyof Row, AlertCommand> = {
    report: { type: 'report' },
    acknowledge: { type: 'acknowledge', by: 'zhao' },
    arrive: { type: 'arrive', by: 'zhao' },
    resolve: { type: 'resolve', by: 'zhao', note: 'done' },
    clear: { type: 'clear', note: 'cause gone' },
    due: { type: 'due' },
  };

  it.each<[AlertKind, string, keyof Row, Expected]>(
    TABLE.flatMap(([kind, state, row]) =>
      (Object.keys(row) as (keyof Row)[]).map((command): [AlertKind, string, keyof Row, Expected] => [
        kind,
        state,
        command,
        row[command],
      ]),
    ),
  )('when an alert of kind %s that is %s gets %s, then the outcome is %s', (kind, state, command, expected) => {
    const alert = inState(kind, state as 'open' | 'acknowledged' | 'arrived' | 'resolved');
    const out = transition(alert, COMMANDS[command], ctx(T0 + 2 * HOUR));
    expect(out.ok ? out.alert.status : out.code).toBe(expected);
  });
});

describe('calls until acknowledged', () => {
  it('when an open emergency is swept every minute, then the phones of every tier told so far are called again each minute', () => {
    let alert = open('emergency');
    const seen: Array<[number, Effect[], Tier, number | null]> = [];
    for (const t of [30, 60, 120, 180, 240]) {
      const out = apply(alert, DUE, T0 + t * SEC);
      alert = out.alert;
      seen.push([t, out.effects, alert.level, alert.callDueAt === null ? null : (alert.callDueAt - T0) / SEC]);
    }
    expect(seen).toEqual([
      [30, [], 1, 60],
      // The tier told in this sweep is told by its own notification (SMS and call), not twice.
      [60, [notify([2], 'alert.escalated'), call([1])], 2, 120],
      [120, [call([1, 2])], 2, 180],
      [180, [notify([3], 'alert.escalated'), call([1, 2])], 3, 240],
      [240, [call([1, 2, 3])], 3, 300],
    ]);
  });

  it('when a sweep comes late, then one round of calls is made, not one per missed minute', () => {
    const out = apply(emergencyAtLevel(3), DUE, T0 + 10 * MIN);
    expect(out.effects.filter((e) => e.type === 'call')).toEqual([call([1, 2, 3])]);
    expect(out.alert.callDueAt).toBe(T0 + 11 * MIN);
  });

  it.each<[string, AlertCommand]>([
    ['acknowledged', ACK],
    ['arrived at', { type: 'arrive', by: 'li' }],
    ['resolved', { type: 'resolve', by: 'li', note: 'ok' }],
  ])('when it is %s, then no more calls are due', (_name, command) => {
    const after = apply(emergencyAtLevel(2), command, T0 + 90 * SEC).alert;
    expect(after.callDueAt).toBeNull();
    if (after.status !== 'resolved') {
      const out = apply(after, DUE, T0 + 10 * MIN);
      expect(out.effects.filter((e) => e.type === 'call')).toEqual([]);
    }
  });

  it('when the 15-minute reminder of an unanswered red comes, then that minute’s calls are made too (a reminder is an SMS)', () => {
    const out = apply(emergencyAtLevel(3), DUE, T0 + 18 * MIN);
    expect(out.effects).toEqual([notify([1, 2, 3], 'alert.reminder'), call([1, 2, 3])]);
  });

  it('when the policy says every 30 s, then the calls follow it', () => {
    const policy = policyWith({ callRepeatSec: 30 });
    const alert = open('emergency', T0, policy);
    expect(alert.callDueAt).toBe(T0 + 30 * SEC);
    const out = apply(alert, DUE, T0 + 30 * SEC, policy);
    expect(out.effects).toEqual([call([1])]);
    expect(out.alert.callDueAt).toBe(T0 + 60 * SEC);
  });

  it.each(['service', 'missed_checkin', 'device'] as const)(
    'when a %s alert is swept, then no phone is called',
    (kind) => {
      const alert = open(kind);
      expect(alert.callDueAt).toBeNull();
      expect(apply(alert, DUE, T0 + 5 * HOUR).effects.filter((e) => e.type === 'call')).toEqual([]);
    },
  );
});

describe('escalate (nobody reachable at the tier)', () => {
  const NOTE = 'nobody reachable at tier 1';

  it('when tier 1 of an open emergency has nobody to reach, then tier 2 is told now and tier 3 stays on its timer', () => {
    const out = apply(open('emergency'), { type: 'escalate', note: NOTE }, T0 + 2 * SEC);
    expect(out.effects).toEqual([notify([2], 'alert.escalated')]);
    expect(out.records).toEqual([{ action: 'escalated', by: null, note: NOTE, level: 2 }]);
    expect(out.alert.level).toBe(2);
    expect(out.alert.dueAt).toBe(T0 + 180 * SEC);
  });

  it('when tier 2 has nobody either, then tier 3 is told now and the 15-minute repeat follows', () => {
    const at2 = apply(open('emergency'), { type: 'escalate', note: NOTE }, T0).alert;
    const out = apply(at2, { type: 'escalate', note: NOTE }, T0 + SEC);
    expect(out.effects).toEqual([notify([3], 'alert.escalated')]);
    expect(out.alert.level).toBe(3);
    expect(out.alert.dueAt).toBe(T0 + SEC + 15 * MIN);
  });

  it.each<[string, () => AlertView]>([
    ['an emergency at tier 3', () => emergencyAtLevel(3)],
    ['an acknowledged emergency', () => inState('emergency', 'acknowledged')],
    ['a service request', () => open('service')],
    ['a missed check-in', () => open('missed_checkin')],
  ])('when %s is escalated, then nothing changes', (_name, build) => {
    const alert = build();
    const out = apply(alert, { type: 'escalate', note: NOTE }, T0 + 5 * MIN);
    expect(out).toEqual({ ok: true, alert, effects: [], records: [] });
  });
});
