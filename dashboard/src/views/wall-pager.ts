import { h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * Pages for the wall's tiles (issue 14, point 4). The page itself never scrolls on the wall
 * (wall.css): the header, the attention strip and the counts stay put, and the tiles fill the
 * rest of the screen in a box of their own. When they fit, there is one page and nothing
 * moves. When they do not (2,000 households at a legible size are some fifteen screens), the
 * box turns a page every PAGE_MS by itself — a wall on a duty-room screen has nobody scrolling
 * it — and ‹ › turn it by hand. A page overlaps the last by a strip of OVERLAP_PX, so a row cut
 * at the bottom is seen whole on the next. Turning waits while the pointer is over the tiles or
 * the keyboard focus is in them (someone is reading or about to tap), and can be stopped.
 * Paging rather than shrinking to fit: shrinking 2,000 tiles into one screen makes them
 * unreadable from 3 m, which is the point of the wall.
 */
const PAGE_MS = 20_000;
const OVERLAP_PX = 48;

export function wallPager(box: HTMLElement): { el: HTMLElement; update(): void; first(): void; destroy(): void } {
  const label = h('span', { class: 'pager-label', id: 'pager-label', 'aria-live': 'off' });
  const prev = h('button', { type: 'button', class: 'pager-prev', 'aria-label': t('wall.pagePrev') }, '‹');
  const next = h('button', { type: 'button', class: 'pager-next', 'aria-label': t('wall.pageNext') }, '›');
  const auto = h('button', { type: 'button', class: 'pager-auto', id: 'pager-auto', 'aria-pressed': 'true' });
  const el = h('div', { class: 'pager', role: 'group', 'aria-label': t('wall.pages') }, prev, label, next, auto);
  let running = true;
  let over = false;

  const step = () => Math.max(1, box.clientHeight - OVERLAP_PX);
  const last = () => Math.max(0, box.scrollHeight - box.clientHeight);
  const pages = () => (last() <= 1 ? 1 : Math.ceil(last() / step()) + 1);
  const current = () => (box.scrollTop >= last() - 1 ? pages() : Math.floor(box.scrollTop / step()) + 1);

  function update(): void {
    const n = pages();
    el.hidden = n <= 1;
    label.textContent = t('wall.page', { i: current(), n });
    auto.textContent = running ? t('wall.autoOn') : t('wall.autoOff');
    auto.setAttribute('aria-pressed', String(running));
  }

  function turn(by: 1 | -1, wrap: boolean): void {
    const end = last();
    let top = box.scrollTop + by * step();
    if (by > 0 && box.scrollTop >= end - 1) top = wrap ? 0 : end;
    else if (by < 0 && box.scrollTop <= 0) top = wrap ? end : 0;
    box.scrollTo({ top: Math.min(end, Math.max(0, top)) });
    update();
  }

  prev.addEventListener('click', () => turn(-1, true));
  next.addEventListener('click', () => turn(1, true));
  auto.addEventListener('click', () => {
    running = !running;
    update();
  });
  box.addEventListener('pointerenter', (e) => {
    if (e.pointerType !== 'touch') over = true;
  });
  box.addEventListener('pointerleave', () => {
    over = false;
  });
  let pending = false;
  box.addEventListener(
    'scroll',
    () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        update();
      });
    },
    { passive: true },
  );
  const timer = setInterval(() => {
    if (!running || over || box.contains(document.activeElement) || pages() <= 1) return;
    turn(1, true);
  }, PAGE_MS);
  const resized = new ResizeObserver(() => update());
  resized.observe(box);

  return {
    el,
    update,
    first() {
      box.scrollTo({ top: 0 });
      update();
    },
    destroy() {
      clearInterval(timer);
      resized.disconnect();
    },
  };
}
