import './styles/index.css';
import { createAlarm } from './alarm.js';
import { createBanners } from './banners.js';
import { ApiError, currentSession, login, logout, setCsrfToken, whenSessionEnds, type User } from './api.js';
import type { Ctx, View, ViewFactory } from './context.js';
import { h, icon, replace } from './dom.js';
import { installIcons } from './icons.js';
import { clock, lang, t } from './i18n.js';
import { langButton } from './lang-button.js';
import { connectLive, type LiveStatus } from './live.js';
import {
  cachedSession,
  forget,
  keepPicture,
  registerServiceWorker,
  rememberSession,
  restorePicture,
} from './offline.js';
import { address } from './ribbon.js';
import { stats, Store } from './store.js';
import { startSync, stopSync, syncStats, waitingCount } from './sync.js';
import { wallStats } from './views/wall.js';
import { currentRoute, initialView, NAV, viewFactory } from './router.js';

/**
 * The dashboard: log in, then the wall (big screen), the alarms, a household, the patrol (phone),
 * the figures and the duty roster, as `#/…` routes. One live feed keeps the store current for every view.
 */
declare global {
  interface Window {
    ribbonStats: typeof stats & { alarmsPlayed: () => number; wall: typeof wallStats; sync: typeof syncStats };
  }
}

const root = document.getElementById('app') as HTMLElement;
installIcons();
document.documentElement.lang = lang();

const liveRegion = h('div', {
  class: 'sr-only',
  role: 'alert',
  'aria-live': 'assertive',
  'aria-atomic': 'true',
  id: 'alarm-announce',
});
const toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
document.body.append(liveRegion, toastRegion);

function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const item = h('div', { class: `toast toast-${kind}` }, text);
  toastRegion.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

const alarm = createAlarm(liveRegion, () => (lang() === 'en' ? 'Ribbon Pact' : '彩带之约 · Ribbon Pact'));
window.ribbonStats = Object.assign(stats, { alarmsPlayed: () => alarm.played(), wall: wallStats, sync: syncStats });

let session: { user: User; store: Store; live: ReturnType<typeof connectLive>; stopSaving: () => void } | null = null;
let view: View | null = null;

const LOGOUT_PENDING = 'ribbon.logoutPending';

function logoutPending(): boolean {
  try {
    return localStorage.getItem(LOGOUT_PENDING) === '1';
  } catch {
    return false;
  }
}

function setLogoutPending(pending: boolean): void {
  try {
    if (pending) localStorage.setItem(LOGOUT_PENDING, '1');
    else localStorage.removeItem(LOGOUT_PENDING);
  } catch {
    // Nothing to remember it in: the session then ends at its idle expiry.
  }
}

async function start(): Promise<void> {
  registerServiceWorker();
  // A logout that could not reach the server is finished before anyone is let in.
  if (logoutPending()) {
    try {
      // The session's CSRF token first (a DELETE needs it); no session left means it is done.
      const found = await currentSession();
      if (found !== null) {
        setCsrfToken(found.csrfToken);
        await logout();
        setCsrfToken(null);
      }
      setLogoutPending(false);
      await forget();
      renderLogin(null);
    } catch {
      renderLogin(t('logout.pending'));
    }
    return;
  }
  let found: Awaited<ReturnType<typeof currentSession>>;
  try {
    found = await currentSession();
  } catch (err) {
    if (err instanceof ApiError && (err.offline || err.status >= 500)) {
      // No network, or the server restarting behind a proxy: open with what this phone saw
      // last, marked stale until the server answers (the status line keeps asking).
      const cached = await cachedSession();
      if (cached) {
        enter(cached.user, cached.csrfToken, true);
        return;
      }
      renderLogin(t('error.offline'));
      setTimeout(() => {
        if (!session) void start();
      }, 10_000);
      return;
    }
    renderLogin(String(err));
    return;
  }
  if (found === null) {
    await forget();
    renderLogin(null);
  } else enter(found.user, found.csrfToken);
}

function renderLogin(message: string | null): void {
  view?.destroy();
  view = null;
  const error = h('p', { class: 'form-error', role: 'alert', id: 'login-error' }, message ?? '');
  const username = h('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    autocapitalize: 'none',
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    // The product's name for every role: staff and admins log in here too (issue 15).
    h('h1', { id: 'login-title' }, t('login.product'), h('small', null, t('login.title'))),
    h('label', { for: 'username' }, t('login.username')),
    username,
    h('label', { for: 'password' }, t('login.password')),
    password,
    error,
    submit,
    langButton(() => renderLogin(null)),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    login(username.value.trim(), password.value)
      .then((r) => {
        // A new shift starts with the alarm on: a mute left from a drill must not silence it.
        alarm.setMuted(false);
        setLogoutPending(false);
        enter(r.user, r.csrfToken);
      })
      .catch((err: unknown) => {
        submit.disabled = false;
        if (err instanceof ApiError && (err.status === 429 || err.status === 503))
          error.textContent = t(err.status === 429 ? 'login.throttled' : 'login.busy', {
            s: err.retryAfter ?? 60,
            m: Math.ceil((err.retryAfter ?? 60) / 60),
          });
        else if (err instanceof ApiError && err.offline) error.textContent = t('error.offline');
        else error.textContent = t('login.failed');
        password.select();
      });
  });
  replace(root, h('main', { class: 'login-page' }, form));
  username.focus();
}

function enter(user: User, csrfToken: string | null, offline = false): void {
  setCsrfToken(csrfToken);
  if (!offline) void rememberSession(user, csrfToken);
  const store = new Store();
  // The saved copy is read before the feed is opened; a snapshot that still wins the race replaces it.
  if (offline) void restorePicture(store).then(() => renderStatus());
  const live = connectLive({
    store,
    // The first connection already asks for what the page opens on (a wall: its place).
    view: initialView(),
    onStatus: () => renderStatus(),
    onAlerts: (alerts) => alarm.raise(alerts),
    onSessionEnded: () => ended(),
  });
  session = { user, store, live, stopSaving: keepPicture(store) };
  store.listen((change) => {
    if (change.alerts) updateAlarmBadge();
  });
  banners.watchChannels(user);
  renderShell();
  route();
  startSync(user.id);
}

function leave(): void {
  void stopSync();
  banners.stop();
  session?.live.close();
  session?.stopSaving();
  session = null;
  setCsrfToken(null);
  // The last emergency's words leave with the session: the next person's screen reader must not find them.
  alarm.clear();
  // What this phone kept of the compounds goes with the session (the unsent patrol taps stay).
  void forget();
}

function ended(): void {
  leave();
  renderLogin(t('login.ended'));
}
whenSessionEnds(() => {
  if (session) ended();
});

// The shell: header (name, nav with the alarm count, live status, sound, language, logout) and the view.
const main = h('main', { id: 'view', tabindex: '-1' });
const statusBar = h('div', { class: 'live-status', role: 'status' });
const navLinks = new Map<string, HTMLAnchorElement>();
const alarmBadge = h('span', { class: 'badge', 'aria-hidden': 'true' });
const soundButton = h('button', { type: 'button', class: 'sound', id: 'sound-toggle' });
const soundBanner = h('p', { class: 'sound-banner', id: 'sound-banner', hidden: true });
const banners = createBanners();

function renderShell(): void {
  if (!session) return;
  navLinks.clear();
  const nav = h('nav', { 'aria-label': t('nav.main') });
  for (const name of NAV) {
    const a = h('a', { href: `#/${name}`, 'data-route': name }, t(`nav.${name}`));
    if (name === 'alarms') a.append(alarmBadge);
    navLinks.set(name, a);
    nav.append(a);
  }
  const header = h(
    'header',
    { class: 'top' },
    h(
      'span',
      { class: 'brand' },
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
      h('span', { class: 'brand-name' }, t('app')),
    ),
    nav,
    h(
      'div',
      { class: 'tools' },
      soundButton,
      langButton(() => {
        renderShell();
        route();
      }),
      h('span', { class: 'who' }, session.user.displayName || session.user.username),
      h('button', { type: 'button', class: 'link', onclick: () => void doLogout() }, t('logout')),
    ),
  );
  replace(soundBanner, icon('muted'), t('sound.blocked'));
  replace(root, header, statusBar, soundBanner, ...banners.els, main);
  banners.relabel(session.store.alerts.values());
  renderStatus();
  renderSound();
  updateAlarmBadge();
}

soundButton.addEventListener('click', () => alarm.setMuted(!alarm.muted()));
alarm.onChange(() => renderSound());
/**
 * The sound switch says what is true: on, muted, or not allowed yet (a page opened without a
 * touch — a wall that restarted at night — may not make sound until someone touches it; then a
 * banner under the header asks for that touch).
 */
function renderSound(): void {
  const muted = alarm.muted();
  const blocked = !muted && !alarm.audible();
  replace(
    soundButton,
    icon(muted || blocked ? 'muted' : 'sound'),
    h('span', { class: 'sound-label' }, muted ? t('sound.off') : blocked ? t('sound.blocked') : t('sound.on')),
  );
  soundButton.setAttribute('aria-pressed', String(muted));
  soundButton.dataset.played = String(alarm.played());
  soundButton.dataset.state = muted ? 'muted' : blocked ? 'blocked' : 'on';
  soundButton.classList.toggle('muted', muted || blocked);
  soundBanner.hidden = !blocked;
}

function renderStatus(): void {
  if (!session) return;
  // A picture from the phone's own copy is stale until the server answers, whatever the socket does.
  const live: LiveStatus = session.live.status();
  const s: LiveStatus = live !== 'live' && session.store.fromCache ? 'reconnecting' : live;
  const last = session.store.lastUpdate;
  const text =
    s === 'live'
      ? t('live.live')
      : s === 'connecting'
        ? t('live.connecting')
        : t('live.reconnecting', { t: last ? clock(last) : '—' });
  const key = `${s}|${text}|${session.store.truncated}`;
  // Only a change is written: a status region rewritten every few seconds is read out every time.
  if (statusBar.dataset.key === key) return;
  statusBar.dataset.key = key;
  statusBar.className = `live-status live-${s}`;
  statusBar.dataset.status = s;
  replace(
    statusBar,
    s === 'live' ? h('span', { class: 'dot', 'aria-hidden': 'true' }) : icon('sync', 'spin'),
    text,
    session.store.truncated ? h('span', { class: 'warn' }, ` · ${t('live.truncated')}`) : null,
  );
}

function updateAlarmBadge(): void {
  if (!session) return;
  let waiting = 0;
  let total = 0;
  let first: string | null = null;
  for (const a of session.store.alerts.values()) {
    total += 1;
    if (a.kind === 'emergency' && a.status === 'open') {
      waiting += 1;
      first ??= a.household ? `${address(a.household)} ${a.household.name}` : null;
    }
  }
  alarm.setWaiting(waiting, first);
  banners.showUnreached(session.store.alerts.values());
  alarmBadge.textContent = total > 0 ? String(total) : '';
  alarmBadge.classList.toggle('urgent', waiting > 0);
  const link = navLinks.get('alarms');
  link?.setAttribute('aria-label', `${t('nav.alarms')} (${total})`);
}

async function doLogout(): Promise<void> {
  // Taps not yet sent stay on this phone and go out at this user's next login: say so first.
  const waiting = await waitingCount();
  if (waiting > 0 && !window.confirm(t('logout.waiting', { n: waiting }))) return;
  let message: string | null = null;
  try {
    await logout();
  } catch {
    // The server did not hear it: the session cookie still works. Remember to finish the
    // logout, and let nobody in on this phone until it is done (see start()).
    setLogoutPending(true);
    message = t('logout.pending');
  }
  leave();
  renderLogin(message);
}

/** Which route() call is the latest: a lazy view that loads after a later one is dropped. */
let routing = 0;

function route(): void {
  if (!session) return;
  const { name, params } = currentRoute();
  const turn = ++routing;
  const live = session.live;
  // Every view but the wall watches everything; the wall names its place.
  if (name !== 'wall') live.watch(null);
  const ctx: Ctx = {
    store: session.store,
    user: session.user,
    alarm,
    navigate: (hash) => (location.hash = hash),
    watch: (v) => live.watch(v),
    toast,
  };
  const mount = (factory: ViewFactory): void => {
    if (turn !== routing || !session) return;
    view?.destroy();
    try {
      view = factory(ctx, params);
    } catch (err) {
      view = { el: h('p', { class: 'form-error' }, t('error.generic', { m: String(err) })), destroy() {} };
    }
    replace(main, view.el);
  };
  const factory = viewFactory(name);
  if (typeof factory === 'function') mount(factory);
  else
    factory.then(mount, (err: unknown) =>
      mount(() => ({ el: h('p', { class: 'form-error' }, t('error.generic', { m: String(err) })), destroy() {} })),
    );
  for (const [n, a] of navLinks) {
    if (n === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
// A tab that was hidden gets the frames it missed at once.
document.addEventListener('visibilitychange', () => session?.store.flush());
// While the feed is down, say how stale the screen is, and ask the server whether the session
// still holds: a feed refused for an ended session looks, to the browser, like any dropped link.
setInterval(() => {
  if (!session || session.live.status() === 'live') return;
  renderStatus();
  currentSession()
    .then((found) => {
      if (found === null) {
        if (session) ended();
      } else setCsrfToken(found.csrfToken);
    })
    .catch(() => {});
}, 5000);

/**
 * A wall on duty is in use even when nobody clicks: while its live feed runs, it renews the
 * session (idle expiry slides on any request), so it does not log itself out at 3 a.m. The
 * absolute limit (7 days) still ends it, and a session ended elsewhere shows the login at once.
 */
export const SESSION_RENEW_MS = 15 * 60_000;
setInterval(() => {
  if (session?.live.status() !== 'live') return;
  currentSession()
    .then((found) => {
      if (found === null && session) ended();
    })
    .catch(() => {});
}, SESSION_RENEW_MS);

void start();
