import { describe, expect, it } from 'vitest';
import { setLang } from '../../../dashboard/src/i18n.js';
import { communitiesShown, daysText, wallInput, whenText } from '../../../dashboard/src/views/duty.js';

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

describe('the communities the duty page offers', () => {
  const areas = [
    { id: 1, level: 'district', name: '本区', parentId: null },
    { id: 2, level: 'street', name: '本街道', parentId: 1 },
    { id: 3, level: 'community', name: '本社区', parentId: 2 },
    { id: 4, level: 'street', name: '东街道', parentId: 1 },
    { id: 5, level: 'community', name: '东社区', parentId: 4 },
  ];
  it.each<[string, string, Array<{ level: string; id: number; readOnly: boolean }>, Array<[number, boolean]>]>([
    [
      'an admin',
      'admin',
      [],
      [
        [3, true],
        [5, true],
      ],
    ],
    ['staff of a street', 'staff', [{ level: 'street', id: 4, readOnly: false }], [[5, true]]],
    ['a read-only watcher of a community', 'staff', [{ level: 'community', id: 3, readOnly: true }], [[3, false]]],
    ['staff of one compound', 'staff', [{ level: 'compound', id: 1, readOnly: false }], []],
    [
      'a volunteer of the district',
      'volunteer',
      [{ level: 'district', id: 1, readOnly: false }],
      [
        [3, false],
        [5, false],
      ],
    ],
  ])(
    'when %s opens the page, then the communities listed (and editable) are those of the scope',
    (_who, role, scope, shown) => {
      expect(communitiesShown(role, scope, areas).map((c) => [c.id, c.editable])).toEqual(shown);
    },
  );
});
