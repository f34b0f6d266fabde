import type { Ctx, View } from '../context.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

/** The response figures: to be filled in (issue 5). */
export function figuresView(_ctx: Ctx): View {
  return { el: h('section', null, h('h1', null, t('figures.title'))), destroy() {} };
}
