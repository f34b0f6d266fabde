import { api, type Alert, type ChannelSummary, type User } from './api.js';
import { h, icon, replace } from './dom.js';
import { lang, t } from './i18n.js';
import { address } from './ribbon.js';
import { reachesAPhone, unreachedEmergencies } from './views/reach-helper.js';

/** How often staff's screens ask again whether a channel reaches a phone. */
export const CHANNELS_RECHECK_MS = 5 * 60_000;
/** How many households the reach banner names; the rest are counted (fifty names would fill a wall). */
const BANNER_NAMES = 3;

/**
 * The two warnings above every view (issue 13, "nobody reached is itself an alarm"): an open
 * emergency that reached nobody's phone (role=alert, an icon and words, the households named)
 * until someone acknowledges it; and, for staff and admins, while no channel reaches a phone, a
 * setup banner saying what to do. Each is rewritten only when what it says changes: a region
 * with role=alert is read out on every rewrite.
 */
export function createBanners() {
  const unreached = h('div', { class: 'reach-banner', id: 'reach-banner', role: 'alert', hidden: true });
  const setup = h('p', { class: 'setup-banner', id: 'setup-banner', role: 'status', hidden: true });
  let noPhone = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  function renderSetup(): void {
    setup.hidden = !noPhone;
    if (noPhone) replace(setup, icon('muted'), h('strong', null, t('reach.setup')), ' ', t('reach.setupHint'));
  }

  async function checkChannels(): Promise<void> {
    try {
      const { items } = await api<{ items: ChannelSummary[] }>('GET', '/api/channels?limit=1000');
      noPhone = !reachesAPhone(items);
    } catch {
      // Not answered now (offline, a restart): the banner stays as it was, asked again later.
      return;
    }
    renderSetup();
  }

  return {
    els: [unreached, setup] as const,
    /** The open emergencies that reached nobody, from the live store (call on every alerts change). */
    showUnreached(alerts: Iterable<Alert>): void {
      const list = unreachedEmergencies(alerts);
      const who = list.map((a) => (a.household ? `${address(a.household)} ${a.household.name}` : `#${a.householdId}`));
      const key = `${lang()}|${who.join('|')}`;
      if (unreached.dataset.key === key) return;
      unreached.dataset.key = key;
      unreached.dataset.alerts = list.map((a) => a.id).join(',');
      unreached.hidden = list.length === 0;
      if (list.length === 0) replace(unreached);
      else
        replace(
          unreached,
          icon('red'),
          // A few by name, then how many more: fifty names would push the wall off the screen.
          h(
            'strong',
            null,
            t('reach.banner', {
              who:
                who.length <= BANNER_NAMES
                  ? who.join('、')
                  : `${who.slice(0, BANNER_NAMES).join('、')}${t('reach.bannerMore', { n: who.length - BANNER_NAMES })}`,
            }),
          ),
          ' ',
          t('reach.bannerHint'),
        );
    },
    /** Staff and admins: asks now and every few minutes; others never see it. */
    watchChannels(user: User): void {
      this.stop();
      noPhone = false;
      renderSetup();
      if (user.role === 'volunteer') return;
      void checkChannels();
      timer = setInterval(() => void checkChannels(), CHANNELS_RECHECK_MS);
    },
    /** Words again in the current language. */
    relabel(alerts: Iterable<Alert>): void {
      delete unreached.dataset.key;
      this.showUnreached(alerts);
      renderSetup();
    },
    stop(): void {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
