import { describe, expect, it } from 'vitest';
import { setLang } from '../../../dashboard/src/i18n.js';
import { reached } from '../../../dashboard/src/views/alarms.js';

const row = (status: 'pending' | 'sent' | 'failed', names: string[], lastError: string | null = null) => ({
  event: 'alert.opened',
  target: (names.length > 0 ? 'channel' : 'none') as 'channel' | 'none',
  status,
  attempts: 1,
  sentAt: null,
  lastError,
  recipients: names.map((name) => ({ name, phone: null, role: 'volunteer' })),
});

describe('reached: whom an alert reached, from its notification rows', () => {
  it('a name sent once counts as reached even if another row to them is pending or failed', () => {
    expect(
      reached({
        notifications: [
          row('sent', ['李志愿']),
          row('failed', ['李志愿', '王网格'], 'HTTP 500'),
          row('pending', ['李志愿', '赵值班']),
        ],
      }),
    ).toEqual({
      sent: ['李志愿'],
      pending: ['赵值班'],
      failed: ['王网格'],
      problems: ['对方返回错误 HTTP 500'],
    });
  });

  it('says why nobody was notified when no channel is set up', () => {
    setLang('zh-CN');
    const r = reached({
      notifications: [
        row('failed', [], 'no notification channel configured'),
        row('failed', [], 'no notification channel configured'),
      ],
    });
    expect(r).toEqual({ sent: [], pending: [], failed: [], problems: ['没有配置通知渠道'] });
  });
});
