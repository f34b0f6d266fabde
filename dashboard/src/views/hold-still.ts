import { h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * Lists that hold still (issue 14, point 5): tried as a volunteer would, claiming a service
 * request moved its card to the bottom and slid the next one under the finger, so the next tap
 * on 完成 completed another household's request. While someone is using a list — the mouse over
 * it, a tap, a key or a dialog in the last HOLD_MS, an action on its way — the view keeps every
 * card where it is: a changed card is redrawn in place, a card whose item is gone stays as a
 * blank of its height (`leaveBlank`), a new card goes to the end, and the page is scrolled so the
 * card the person is at stays where it was on screen (`keepInPlace`). Once the list is left
 * alone, `settle` is called and the view puts it back in order. Touch has no hover (pointerleave
 * comes right after the tap), so a tap holds the order for HOLD_MS rather than "until the
 * pointer leaves".
 */
export const HOLD_MS = 8000;

export type HoldStill = {
  /** Whether the list must not be reordered now. */
  held(): boolean;
  /** Holds for `ms` more from now (after a dialog, after an action's answer). */
  holdFor(ms?: number): void;
  /** Holds while `work` runs (a dialog, a request), and HOLD_MS after. */
  during<T>(work: () => Promise<T>): Promise<T>;
  /** Call before changing the list, and the returned function after: the card the person is at stays put on screen. */
  keepInPlace(): () => void;
  destroy(): void;
};

export function holdStill(el: HTMLElement, opts: { cardSelector: string; settle: () => void }): HoldStill {
  let pointerInside = false;
  let heldUntil = 0;
  let working = 0;
  let lastPointer: { x: number; y: number } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let destroyed = false;

  const held = () => pointerInside || working > 0 || Date.now() < heldUntil;
  function schedule(): void {
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        // The pointer leaving and the end of a dialog or a request each schedule this again.
        if (destroyed || pointerInside || working > 0) return;
        if (Date.now() < heldUntil) schedule();
        else opts.settle();
      },
      Math.max(50, heldUntil - Date.now()),
    );
  }
  function holdFor(ms = HOLD_MS): void {
    heldUntil = Math.max(heldUntil, Date.now() + ms);
    schedule();
  }

  el.addEventListener('pointerenter', (e) => {
    if (e.pointerType !== 'touch') pointerInside = true;
  });
  el.addEventListener('pointerleave', () => {
    pointerInside = false;
    schedule();
  });
  el.addEventListener('pointermove', (e) => {
    lastPointer = { x: e.clientX, y: e.clientY };
  });
  el.addEventListener('pointerdown', (e) => {
    lastPointer = { x: e.clientX, y: e.clientY };
    holdFor();
  });
  el.addEventListener('keydown', () => holdFor());

  /** The card the person is at: under the pointer, else the one holding the focus. */
  function anchor(): HTMLElement | null {
    const at = lastPointer ? document.elementFromPoint(lastPointer.x, lastPointer.y) : null;
    const card =
      at?.closest<HTMLElement>(opts.cardSelector) ??
      document.activeElement?.closest<HTMLElement>(opts.cardSelector) ??
      null;
    return card && el.contains(card) ? card : null;
  }

  return {
    held,
    holdFor,
    async during(work) {
      working += 1;
      try {
        return await work();
      } finally {
        working -= 1;
        holdFor();
      }
    },
    keepInPlace() {
      const card = held() ? anchor() : null;
      const top = card?.getBoundingClientRect().top ?? 0;
      if (held()) schedule();
      return () => {
        if (!card?.isConnected) return;
        // What grew above the card is scrolled away: it stays where it was on screen.
        const moved = card.getBoundingClientRect().top - top;
        if (Math.abs(moved) >= 1) window.scrollBy(0, moved);
      };
    },
    destroy() {
      destroyed = true;
      clearTimeout(timer);
    },
  };
}

/**
 * Turns a card whose item is gone into a blank of the same height saying so, with nothing to
 * act on (`gone` replaces its class: it no longer matches the list's card selector).
 */
export function leaveBlank(card: HTMLElement, gone: string): void {
  if (card.classList.contains(gone)) return;
  card.style.minHeight = `${card.getBoundingClientRect().height}px`;
  card.className = gone;
  card.querySelector('.actions, .receipt')?.replaceWith(h('p', { class: 'gone-note' }, t('alarms.gone')));
  for (const b of card.querySelectorAll('button')) b.remove();
}
