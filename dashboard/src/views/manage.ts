import type { Ctx, View } from '../context.js';
import { h } from '../dom.js';
import { pick, st } from '../i18n-staff.js';
import { MANAGE_SCREENS } from '../manage-screens.js';
import { isStaff } from './staff-helper.js';

/**
 * 管理 Manage (#/manage): the staff's screens this user's role may open (manage-screens.ts),
 * each a big link with one line of what it is for.
 */
export function manageView(ctx: Ctx): View {
  const mine = MANAGE_SCREENS.filter((s) => s.roles.includes(ctx.user.role));
  const readOnly = (ctx.user as { readOnlyCompoundIds?: number[] }).readOnlyCompoundIds ?? [];
  const onlyWatches =
    ctx.user.role === 'staff' &&
    ctx.user.compoundIds.length > 0 &&
    ctx.user.compoundIds.every((c) => readOnly.includes(c));
  const el = h(
    'section',
    { class: 'staff-view manage-view', id: 'manage-view', 'aria-labelledby': 'manage-title' },
    h('h1', { id: 'manage-title' }, st('m.title')),
    onlyWatches ? h('p', { class: 'staff-note', id: 'manage-read-only' }, st('m.readOnly')) : null,
    mine.length === 0 || !isStaff(ctx.user)
      ? h('p', { id: 'manage-none' }, st('m.none'))
      : h(
          'ul',
          { class: 'manage-list', id: 'manage-list' },
          ...mine.map((s) =>
            h(
              'li',
              null,
              h(
                'a',
                { class: 'manage-link card', href: `#/${s.route}`, 'data-route': s.route },
                h('strong', null, pick(s.words)),
                h('span', null, pick(s.about)),
              ),
            ),
          ),
        ),
  );
  return { el, destroy() {} };
}
