import { h } from './dom.js';
import { lang, setLang, t } from './i18n.js';

/** The language switch (login page and header): the other language's name, in that language. */
export function langButton(rerender: () => void): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'link',
      lang: lang() === 'en' ? 'zh-CN' : 'en',
      // The visible word is in the name too, for voice control ("click English").
      'aria-label': `${t('lang.switch')} · ${t('lang.switchLabel')}`,
      onclick: () => {
        setLang(lang() === 'en' ? 'zh-CN' : 'en');
        rerender();
      },
    },
    t('lang.switch'),
  );
}
