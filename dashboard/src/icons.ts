/**
 * The ribbon icons, one SVG sprite in the page (no outside files). Each state has its own shape
 * as well as its colour, so the wall reads in black and white and for colour-blind eyes:
 * red = a triangle with "!", yellow = a bell, blue = a circle with a tick, missed check-in = a
 * clock, device offline = a crossed plug, another device fault = a battery with "!", away = a
 * suitcase, nothing yet = a dash.
 */
const SPRITE = `<svg xmlns="http://www.w3.org/2000/svg" class="sprite" aria-hidden="true">
<symbol id="i-red" viewBox="0 0 24 24"><path fill-rule="evenodd" d="M12 2 23 21H1zM11 8v7h2V8zm0 9v2h2v-2z" fill="currentColor"/></symbol>
<symbol id="i-yellow" viewBox="0 0 24 24"><path d="M12 2a2 2 0 0 1 2 2v.6A7 7 0 0 1 19 11v5l2 2v1H3v-1l2-2v-5a7 7 0 0 1 5-6.4V4a2 2 0 0 1 2-2zm-2.5 18h5a2.5 2.5 0 0 1-5 0z" fill="currentColor"/></symbol>
<symbol id="i-blue" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10" stroke="currentColor" stroke-width="2.4" fill="none"/><path d="m7 12.5 3.5 3.5 6.5-7.5" stroke="currentColor" stroke-width="2.6" fill="none"/></symbol>
<symbol id="i-missed" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10" stroke="currentColor" stroke-width="2.5" fill="none"/><path d="M12 6v6l4 3" stroke="currentColor" stroke-width="2.5" fill="none"/></symbol>
<symbol id="i-offline" viewBox="0 0 24 24"><path d="M8 2v5M16 2v5M5 7h14v4a7 7 0 0 1-14 0zM12 18v4" stroke="currentColor" stroke-width="2.2" fill="none"/><path d="M3 3l18 18" stroke="currentColor" stroke-width="2.6"/></symbol>
<symbol id="i-fault" viewBox="0 0 24 24"><path fill-rule="evenodd" d="M3 7h16v3h2v4h-2v3H3zm2 2v6h12V9zM10 10h2v3h-2zm0 4h2v1h-2z" fill="currentColor"/></symbol>
<symbol id="i-away" viewBox="0 0 24 24"><path d="M9 3h6v3h5a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h5zm2 3h2V5h-2z" fill="currentColor"/></symbol>
<symbol id="i-none" viewBox="0 0 24 24"><path d="M5 12h14" stroke="currentColor" stroke-width="3"/></symbol>
<symbol id="i-handled" viewBox="0 0 24 24"><path d="m4 12.5 5 5L20 6.5" stroke="currentColor" stroke-width="3" fill="none"/></symbol>
<symbol id="i-sound" viewBox="0 0 24 24"><path d="M3 9h4l5-4v14l-5-4H3z" fill="currentColor"/><path d="M16 8a5 5 0 0 1 0 8M19 5a9 9 0 0 1 0 14" stroke="currentColor" stroke-width="2" fill="none"/></symbol>
<symbol id="i-muted" viewBox="0 0 24 24"><path d="M3 9h4l5-4v14l-5-4H3z" fill="currentColor"/><path d="m16 9 6 6m0-6-6 6" stroke="currentColor" stroke-width="2"/></symbol>
<symbol id="i-sync" viewBox="0 0 24 24"><path d="M4 12a8 8 0 0 1 14-5.3L20 5v6h-6l2.3-2.3A5.5 5.5 0 0 0 6.5 12zM20 12a8 8 0 0 1-14 5.3L4 19v-6h6l-2.3 2.3a5.5 5.5 0 0 0 9.8-3.3z" fill="currentColor"/></symbol>
</svg>`;

export function installIcons(): void {
  const holder = document.createElement('div');
  holder.innerHTML = SPRITE;
  const svg = holder.firstElementChild;
  if (svg) document.body.prepend(svg);
}
