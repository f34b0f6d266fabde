import { describe, expect, it } from 'vitest';
import type { Alert, AlertDetail } from '../../../dashboard/src/api.js';
import { setLang, t } from '../../../dashboard/src/i18n.js';
import { personReach, reachesAPhone, unreachedEmergencies } from '../../../dashboard/src/views/reach-helper.js';
import { buildTimeline } from '../../../dashboard/src/views/timeline-helper.js';

// Whom an alert reached and how, and the warnings every screen shows (issue 13). Pure helpers.

type N = AlertDetail['notifications'][number];
const WANG = { name: '王芳', phone: null, role: 'volunteer' };
const LI = { name: '李志愿', phone: null, role: 'volunteer' };
const row = (over: Partial<N>): N => ({
  event: 'alert.opened',
  target: 'channel',
  recipients: [WANG],
  status: 'sent',
  attempts: 1,
  sentAt: '2026-12-02T03:00:01.000Z',
  lastError: null,
  medium: null,
  callResult: null,
  ...over,
});

describe('personReach: per person, how they were told', () => {
  it.each([
    ['an SMS sent', [row({ medium: 'sms' })], [['sms', 'reach.sms.sent', true]]],
    [
      'an SMS failed',
      [row({ medium: 'sms', status: 'failed', lastError: '签名不可用' })],
      [['sms', 'reach.sms.failed', false]],
    ],
    ['a call placed, no result yet', [row({ medium: 'call' })], [['call', 'reach.call.sent', true]]],
    [
      'a call not answered',
      [row({ medium: 'call', callResult: { result: 'no_answer', detail: '用户未接听', at: '2026-12-02T03:00:40Z' } })],
      [['call', 'reach.call.no_answer', false]],
    ],
    [
      'a repeated call: the last one counts',
      [
        row({ medium: 'call', callResult: { result: 'no_answer', detail: '', at: '2026-12-02T03:00:40Z' } }),
        row({ medium: 'call', status: 'pending', sentAt: null }),
      ],
      [['call', 'reach.call.pending', null]],
    ],
    [
      'an SMS and a call, and a group robot',
      [
        row({ medium: 'call', callResult: { result: 'busy', detail: '', at: '2026-12-02T03:00:40Z' } }),
        row({ medium: 'sms' }),
        row({ medium: null, recipients: [WANG, LI] }),
      ],
      [
        ['sms', 'reach.sms.sent', true],
        ['call', 'reach.call.busy', false],
        ['group', 'reach.group.sent', true],
      ],
    ],
  ])('when %s, then 王芳 shows that', (_what, rows, items) => {
    const people = personReach({ notifications: rows });
    expect(people[0]?.name).toBe('王芳');
    expect(people[0]?.items.map((i) => [i.medium, i.word, i.ok])).toEqual(items);
  });

  it('when a row went to a device or to nobody, then it is not a person', () => {
    expect(
      personReach({
        notifications: [row({ target: 'device', recipients: [] }), row({ target: 'none', status: 'failed' })],
      }),
    ).toEqual([]);
  });

  it('every word it names is in both languages', () => {
    const words = [
      ...['sms', 'call', 'group'].flatMap((m) => ['sent', 'pending', 'failed'].map((s) => `reach.${m}.${s}`)),
      ...['answered', 'busy', 'no_answer', 'unreachable', 'failed', 'throttled'].map((r) => `reach.call.${r}`),
    ];
    for (const lang of ['zh-CN', 'en'] as const) {
      setLang(lang);
      for (const w of words) expect(t(w as Parameters<typeof t>[0]), w).not.toBe(undefined);
    }
    setLang('zh-CN');
  });
});

const alert = (over: Partial<Alert>): Alert =>
  ({
    id: 1,
    kind: 'emergency',
    status: 'open',
    level: 1,
    householdId: 7,
    compoundId: 1,
    openedAt: '2026-12-02T03:00:00.000Z',
    reach: 'unreached',
    household: { name: '王奶奶', compound: '幸福里', building: '1号楼', room: '101' },
    ...over,
  }) as Alert;

describe('unreachedEmergencies: the banner on every screen', () => {
  it.each([
    ['an open emergency that reached nobody', alert({}), true],
    ['one still being tried', alert({ reach: 'pending' }), false],
    ['one that reached someone', alert({ reach: 'reached' }), false],
    ['one acknowledged', alert({ status: 'acknowledged' }), false],
    ['a missed check-in that reached nobody', alert({ kind: 'missed_checkin' }), false],
    ['a press still being recorded', alert({ receipt: 'recording' }), false],
  ])('when %s, then it shows: %s', (_what, a, shown) => {
    expect(unreachedEmergencies([a]).length > 0).toBe(shown);
  });

  it('when several, then the oldest first', () => {
    const later = alert({ id: 2, openedAt: '2026-12-02T03:05:00.000Z' });
    expect(unreachedEmergencies([later, alert({})]).map((a) => a.id)).toEqual([1, 2]);
  });
});

describe('reachesAPhone: the setup banner', () => {
  it.each([
    [[], false],
    [[{ medium: 'group' as const }], false],
    [[{ medium: 'group' as const }, { medium: 'sms' as const }], true],
    [[{ medium: 'call' as const }], true],
  ])('when the channels are %j, then a phone is reached: %s', (channels, yes) => {
    expect(reachesAPhone(channels)).toBe(yes);
  });
});

describe('the household timeline', () => {
  it('when a call has a result, then it is an entry of its own at the provider’s time, after the call', () => {
    const detail = {
      ...alert({ status: 'acknowledged' }),
      transitions: [{ action: 'opened' as const, by: null, note: null, level: 1, at: '2026-12-02T03:00:00.000Z' }],
      notifications: [
        row({
          medium: 'call',
          callResult: { result: 'no_answer', detail: '用户未接听', at: '2026-12-02T03:00:40.000Z' },
        }),
      ],
    } as AlertDetail;
    const entries = buildTimeline([], [], [detail]);
    expect(entries.map((e) => e.type)).toEqual(['call-result', 'notified', 'alert']);
    expect(entries[0]).toMatchObject({
      result: 'no_answer',
      detail: '用户未接听',
      recipients: ['王芳'],
      at: '2026-12-02T03:00:40.000Z',
    });
    expect(entries[1]).toMatchObject({ medium: 'call' });
  });
});
