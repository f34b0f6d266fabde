import type { Ctx, View } from '../context.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

/** One household: to be filled in (issue 5). */
export function householdView(_ctx: Ctx, params: readonly string[]): View {
  return { el: h('section', null, h('h1', null, `${t('household.title')} ${params[0] ?? ''}`)), destroy() {} };
}
