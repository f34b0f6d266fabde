import { describe, expect, it } from 'vitest';
import { setLang } from '../../../dashboard/src/i18n.js';
import { daysText, wallInput, whenText } from '../../../dashboard/src/views/duty.js';

describe('the duty page’s words for times', () => {
  it.each<[number[], string, string]>([
    [[1, 2, 3, 4, 5], '周一至周五', 'Mon–Fri'],
    [[7, 6], '周六、周日', 'Sat, Sun'],
    [[1, 3, 5], '周一、周三、周五', 'Mon, Wed, Fri'],
    [[1, 2, 3, 4, 5, 6, 7], '周一至周日', 'Mon–Sun'],
  ])('when a shift is on weekdays %j, then it reads %s / %s', (days, zh, en) => {
    setLang('zh-CN');
    expect(daysText(days)).toBe(zh);
    setLang('en');
    expect(daysText(days)).toBe(en);
    setLang('zh-CN');
  });

  it('when a moment is shown for a roster, then it is the wall clock of the roster’s zone, not the browser’s', () => {
    const ms = Date.parse('2026-11-23T12:30:00Z');
    expect(wallInput(ms, 'Asia/Shanghai')).toBe('2026-11-23T20:30');
    expect(wallInput(ms, 'Europe/Berlin')).toBe('2026-11-23T13:30');
    expect(whenText(ms, 'Asia/Shanghai')).toContain('20:30');
  });
});
