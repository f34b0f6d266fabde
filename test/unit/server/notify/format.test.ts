import { describe, expect, it } from 'vitest';
import { KIND_LABELS, duration, formatMessage, type MessageInput } from '../../../../server/notify/format.js';
import { NOTIFY_EVENTS, type NotificationMessage } from '../../../../server/notify/types.js';

type Kind = NonNullable<NotificationMessage['alert']>['kind'];
type Status = NonNullable<NotificationMessage['alert']>['status'];

const OPENED_AT = '2026-11-25T00:00:00.000Z'; // 08:00 in Asia/Shanghai

function input(
  event: MessageInput['event'],
  kind: Kind = 'emergency',
  overrides: Partial<NonNullable<MessageInput['alert']>> = {},
  at = '2026-11-25T00:01:05.000Z',
): MessageInput {
  const status: Status =
    event === 'alert.resolved' ? 'resolved' : event === 'alert.acknowledged' ? 'acknowledged' : 'open';
  return {
    id: 'o-1',
    event,
    alert: {
      id: 1,
      kind,
      status,
      tier: event === 'alert.escalated' ? 2 : 1,
      openedAt: OPENED_AT,
      reportCount: 3,
      ...overrides,
    },
    household: { id: 7, name: '张桂兰', compound: '阳光小区', building: '3号楼', room: '201' },
    recipients: [{ name: '李明', phone: '13800000001', role: 'volunteer' }],
    at,
  };
}

const CJK = /[\u4e00-\u9fff]/;

describe('formatMessage', () => {
  it('when red is pressed, then the title and first line read as in the brief', () => {
    const { title, text } = formatMessage(input('alert.opened', 'emergency', {}, '2026-11-25T00:00:20.000Z'));
    expect(title).toBe('🔴【红色紧急 RED】阳光小区 3号楼 201 张桂兰');
    expect(text.split('\n')).toEqual([
      '按下红色求助按钮，已通知第1级 / Pressed RED, tier 1 notified',
      '请立即上门 / Go to the door now',
      '开始于 11-25 08:00（20秒前） / Since 11-25 08:00 (20 s ago)',
      '按键 3 次 / Presses: 3',
      '通知 To: 李明(volunteer)',
    ]);
  });

  const alertEvents = NOTIFY_EVENTS.filter((e) => e !== 'report.daily');
  const kinds: Kind[] = ['emergency', 'service', 'missed_checkin', 'device'];
  const cases = alertEvents.flatMap((event) => kinds.map((kind) => [event, kind] as const));

  it.each(cases)(
    'when %s for a %s alert, then the ribbon is told by icon and both words, zh before English on every line',
    (event, kind) => {
      const { title, text } = formatMessage(input(event, kind));
      const label = KIND_LABELS[kind];
      expect(title.startsWith(`${label.icon}【${label.zh} ${label.en}】`)).toBe(true);
      expect(title).toContain('阳光小区 3号楼 201 张桂兰');
      const lines = text.split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines.length).toBeLessThanOrEqual(7);
      for (const line of lines) {
        expect(line).toMatch(CJK);
        expect(line).toMatch(/[A-Za-z]/);
        // The first Chinese character comes before the first English word.
        expect(line.search(CJK)).toBeLessThan(line.search(/[A-Za-z]{2,}/));
      }
      expect(text.length).toBeLessThan(600);
    },
  );

  it.each([
    ['emergency', '按键 3 次 / Presses: 3', true],
    ['service', '按键 3 次 / Presses: 3', true],
    ['missed_checkin', '按键', false],
    ['device', '按键', false],
  ] as const)('when a %s alert opens, then the press count is shown only for presses', (kind, fragment, shown) => {
    expect(formatMessage(input('alert.opened', kind)).text.includes(fragment)).toBe(shown);
  });

  it('when an alert escalates, then the text says which tier and for how long nobody answered', () => {
    const { title, text } = formatMessage(
      input('alert.escalated', 'emergency', { tier: 3 }, '2026-11-25T00:03:00.000Z'),
    );
    expect(title).toContain('升级 ESCALATED');
    expect(text.split('\n')[0]).toBe(
      '3分钟无人响应，已升级通知第3级 / Not acknowledged for 3 min, escalated to tier 3',
    );
  });

  it('when an acknowledged alert is still not resolved, then the reminder says how long since the acknowledgement', () => {
    const { title, text } = formatMessage(
      input(
        'alert.reminder',
        'emergency',
        { status: 'acknowledged', acknowledgedAt: '2026-11-25T00:00:40.000Z' },
        '2026-11-25T00:45:40.000Z',
      ),
    );
    expect(title).toContain('提醒 REMINDER');
    expect(text.split('\n')[0]).toBe('已响应45分钟仍未解决 / Acknowledged 45 min ago, not resolved yet');
  });

  it('when an open alert reminds (nobody acknowledged), then it says how long it has waited', () => {
    const { text } = formatMessage(input('alert.reminder', 'service', {}, '2026-11-25T04:00:00.000Z'));
    expect(text.split('\n')[0]).toBe('4小时仍无人响应（第1级） / Still not acknowledged after 4 h (tier 1)');
  });

  it('when acknowledged and resolved, then the time taken is shown', () => {
    const ack = formatMessage(
      input(
        'alert.acknowledged',
        'emergency',
        { acknowledgedAt: '2026-11-25T00:00:45.000Z' },
        '2026-11-25T00:00:45.000Z',
      ),
    );
    expect(ack.text.split('\n')[0]).toBe(
      '已有人响应，正在处理（用时45秒） / Acknowledged after 45 s, help is on the way',
    );
    const done = formatMessage(input('alert.resolved', 'emergency', {}, '2026-11-25T00:32:10.000Z'));
    expect(done.title).toContain('✅ 已解决 RESOLVED');
    expect(done.text.split('\n')[0]).toBe('已解决（共32分钟） / Resolved after 32 min');
  });

  it('when a device alert has a reason, then the reason is shown', () => {
    expect(formatMessage(input('alert.opened', 'device', { reason: 'battery 12 %' })).text).toContain(
      '原因 / Reason: battery 12 %',
    );
  });

  it('when the time zone is given, then clock times are in it', () => {
    const text = formatMessage(input('alert.opened'), { timeZone: 'UTC' }).text;
    expect(text).toContain('开始于 11-25 00:00');
  });

  it('when the daily report has figures, then each becomes a short bilingual line', () => {
    const { title, text } = formatMessage({
      id: 'r-1',
      event: 'report.daily',
      recipients: [],
      at: '2026-11-25T12:00:00.000Z',
      data: {
        scope: '阳光小区',
        households: 120,
        checkedIn: 115,
        missedCheckins: 3,
        red: 1,
        yellow: 4,
        redAckWithin60sPct: 100,
        openAlerts: 1,
        devicesOffline: 2,
        ignored: 'x',
      },
    });
    expect(title).toBe('📋【每日报告 DAILY REPORT】阳光小区 2026-11-25');
    expect(text.split('\n')).toEqual([
      '🔵 报平安 115/120 户 / Checked in: 115 of 120',
      '⏰ 未报平安 3 户 / No check-in: 3',
      '🔴 红色紧急 1 次，🟡 黄色服务 4 次 / RED 1, YELLOW 4',
      '红色响应：60秒内 100% / RED acknowledged: 100% within 60 s',
      '未结案 1 件 / Open alerts: 1',
      '🔧 设备：离线 2 台 / Devices: 2 offline',
    ]);
  });

  it('when the daily report has no figures, then it says so instead of being empty', () => {
    const { text } = formatMessage({
      id: 'r-2',
      event: 'report.daily',
      recipients: [],
      at: '2026-11-25T12:00:00.000Z',
      data: { red: 'many' },
    });
    expect(text).toBe('暂无数据 / No figures');
  });

  it('when the same input is formatted twice, then the output is the same (pure)', () => {
    const i = input('alert.escalated');
    expect(formatMessage(i)).toEqual(formatMessage(structuredClone(i)));
  });
});

describe('duration', () => {
  it.each([
    [0, '0秒', '0 s'],
    [59_999, '59秒', '59 s'],
    [60_000, '1分钟', '1 min'],
    [3_599_000, '59分钟', '59 min'],
    [3_600_000, '1小时', '1 h'],
    [3_900_000, '1小时5分钟', '1 h 5 min'],
    [86_400_000 * 2 + 3 * 3_600_000, '2天3小时', '2 d 3 h'],
    [-5000, '0秒', '0 s'],
    [Number.NaN, '0秒', '0 s'],
  ])('when %i ms, then %s / %s', (ms, zh, en) => {
    expect(duration(ms)).toEqual({ zh, en });
  });
});
