import { api, ApiError, type Alert, type AlertDetail, type Household, type RibbonState } from '../api.js';
import type { Ctx, View } from '../context.js';
import { h, icon, replace } from '../dom.js';
import { clock, t, type WordKey } from '../i18n.js';
import { localDay, statusLabel, statusOf } from '../ribbon.js';
import { buildTimeline, type EventItem, type TimelineEntry, type VisitItem } from './timeline-helper.js';
import { serverText } from '../server-text.js';

/**
 * One household (`#/household/:id`): who and where, its contacts (for those allowed), its
 * devices, its check-in rule and absence, and a timeline of everything that happened to it —
 * presses, people's reports, patrol visits, every step of its alerts and whom they reached —
 * newest first, each with who did it. Re-read when the live store says this household changed,
 * at most once a second.
 */
export type HouseholdDetail = Household & {
  checkInDueAt: string | null;
  checkin: { everySec: number; graceSec: number } | { deadline: string } | null;
  timezone: string;
  quietHours: { start: string; end: string } | null;
  awayUntil: string | null;
  devices: Array<{ id: string; online: boolean; battery: number | null; lastSeenAt: string | null }>;
  /** Present only for staff and admins (family phone numbers are personal data). */
  contacts?: Array<{ name: string; phone: string; relation: string }>;
};

const REFETCH_MS = 1000;
const ALERTS_SHOWN = 30;
const ID = /^[1-9][0-9]{0,14}$/;

type Loaded = { household: HouseholdDetail; events: EventItem[]; visits: VisitItem[]; alerts: AlertDetail[] };

async function loadAll(id: string): Promise<Loaded> {
  const [household, events, visits, alerts] = await Promise.all([
    api<HouseholdDetail>('GET', `/api/households/${id}`),
    api<{ items: EventItem[] }>('GET', `/api/households/${id}/events?limit=100`),
    api<{ items: VisitItem[] }>('GET', `/api/households/${id}/visits?limit=100`),
    api<{ items: Alert[] }>('GET', `/api/alerts?householdId=${id}&limit=${ALERTS_SHOWN}`),
  ]);
  // Each alert's history and notifications; one that vanished meanwhile is left out.
  const details = await Promise.all(
    alerts.items.map((a) => api<AlertDetail>('GET', `/api/alerts/${a.id}`).catch(() => null)),
  );
  return {
    household,
    events: events.items,
    visits: visits.items,
    alerts: details.filter((d): d is AlertDetail => d !== null),
  };
}

export function householdView(ctx: Ctx, params: readonly string[]): View {
  const id = params[0] ?? '';
  const back = h('a', { href: '#/wall', class: 'back-link', id: 'household-back' }, '← ', t('household.back'));
  const status = h('p', { class: 'hh-status', id: 'household-status', role: 'status' }, t('hh.loading'));
  const content = h('div', { id: 'household-content' });
  const el = h(
    'section',
    { class: 'household-view', id: 'household-view', 'aria-labelledby': 'household-name' },
    back,
    h('h1', { id: 'household-name' }, t('household.title'), ' ', id),
    status,
    content,
  );

  let destroyed = false;
  let inFlight = false;
  let again = false;
  let lastStart = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last: Loaded | null = null;

  if (!ID.test(id)) {
    status.textContent = t('hh.badId');
    return { el, destroy() {} };
  }

  async function refresh(): Promise<void> {
    if (destroyed) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    lastStart = Date.now();
    try {
      last = await loadAll(id);
      if (destroyed) return;
      render(last);
      status.textContent = '';
    } catch (err) {
      if (destroyed) return;
      if (err instanceof ApiError && err.status === 404) {
        last = null;
        replace(el.querySelector('#household-name') as HTMLElement, t('household.title'), ' ', id);
        replace(content);
        status.textContent = t('hh.notFound');
        status.classList.add('hh-missing');
      } else {
        // Keep what is on screen (it may be stale) and say why it was not updated.
        status.textContent = t('hh.loadFailed', {
          m:
            err instanceof ApiError && err.offline
              ? t('error.offline')
              : err instanceof Error
                ? err.message
                : String(err),
        });
      }
    } finally {
      inFlight = false;
      if (again && !destroyed) {
        again = false;
        schedule();
      }
    }
  }

  /** At most one read per REFETCH_MS, however many changes arrive. */
  function schedule(): void {
    if (destroyed || timer !== null) return;
    if (inFlight) {
      again = true;
      return;
    }
    const wait = Math.max(0, lastStart + REFETCH_MS - Date.now());
    timer = setTimeout(() => {
      timer = null;
      void refresh();
    }, wait);
  }

  const unlisten = ctx.store.listen((change) => {
    if (change.reset || change.households.has(Number(id))) schedule();
  });

  function render(data: Loaded): void {
    const hh = data.household;
    const devices = hh.devices.map((d) => ({ ...d, householdId: hh.id }));
    // The live store once it has had a snapshot; until then, the alerts this page fetched.
    const state = statusOf(
      hh,
      ctx.store.liveSnapshots > 0 ? ctx.store.alertsFor(hh.id) : data.alerts,
      devices,
      localDay(),
    );
    replace(
      el.querySelector('#household-name') as HTMLElement,
      hh.name,
      ' ',
      h(
        'span',
        { class: `hh-chip s-${state}`, id: 'household-state', 'data-status': state },
        icon(state),
        statusLabel(state),
      ),
    );
    replace(content, facts(hh), contacts(hh), timeline(buildTimeline(data.events, data.visits, data.alerts)));
  }

  void refresh();
  return {
    el,
    destroy() {
      destroyed = true;
      unlisten();
      if (timer !== null) clearTimeout(timer);
    },
  };
}

/** A rule's interval in its own units, without zero parts: "24 小时", "1 小时 30 分", "0 秒". */
function span(sec: number): string {
  const parts: string[] = [];
  const d = Math.floor(sec / 86_400);
  const hours = Math.floor((sec % 86_400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  // Whole days read better as hours up to two days ("48 小时"), as a rule is usually written.
  if (d >= 2 && sec % 86_400 === 0) return t('time.d', { n: d });
  const h = d * 24 + hours;
  if (h > 0) parts.push(t('time.h', { n: h }));
  if (m > 0) parts.push(t('time.m', { n: m }));
  if (s > 0 || parts.length === 0) parts.push(t('time.s', { n: s }));
  return parts.join(' ');
}

function stateWord(s: RibbonState): string {
  return `${t(`state.${s}` as WordKey)} · ${t(`state.${s}.long` as WordKey)}`;
}

function facts(hh: HouseholdDetail): HTMLElement {
  const row = (label: string, id: string, ...value: Array<Node | string>) =>
    h('div', { class: 'hh-fact', id }, h('dt', null, label), h('dd', null, ...value));
  const rule =
    hh.checkin === null
      ? t('hh.noRule')
      : 'deadline' in hh.checkin
        ? t('hh.deadline', { time: hh.checkin.deadline })
        : t('hh.every', { every: span(hh.checkin.everySec), grace: span(hh.checkin.graceSec) });
  const today = localDay();
  const away =
    hh.awayUntil === null
      ? t('hh.notAway')
      : hh.awayUntil >= today
        ? t('household.away', { d: hh.awayUntil })
        : t('hh.awayPast', { d: hh.awayUntil });
  const deviceList =
    hh.devices.length === 0
      ? h('span', null, t('household.noDevice'))
      : h(
          'ul',
          { class: 'hh-devices', id: 'household-devices' },
          ...hh.devices.map((d) =>
            h(
              'li',
              { class: `hh-device ${d.online ? 'is-online' : 'is-offline'}`, 'data-device': d.id },
              icon(d.online ? 'blue' : 'offline'),
              h('span', { class: 'hh-device-id' }, t('hh.deviceLine', { id: d.id })),
              ' · ',
              h('strong', { class: 'hh-device-online' }, d.online ? t('household.online') : t('household.offline')),
              ' · ',
              h(
                'span',
                { class: 'hh-device-battery' },
                d.battery === null ? t('hh.batteryUnknown') : t('household.battery', { n: d.battery }),
              ),
              ' · ',
              h(
                'span',
                { class: 'hh-device-seen' },
                t('hh.lastSeen', { t: d.lastSeenAt === null ? t('hh.never') : clock(d.lastSeenAt) }),
              ),
            ),
          ),
        );
  return h(
    'dl',
    { class: 'hh-facts card', id: 'household-facts' },
    row(t('household.address'), 'household-address', `${hh.compound} ${hh.building} ${hh.room}`),
    row(t('household.device'), 'household-device', deviceList),
    row(t('household.policy'), 'household-policy', rule),
    row(
      t('hh.quiet'),
      'household-quiet',
      hh.quietHours === null ? t('hh.quietNone') : `${hh.quietHours.start}–${hh.quietHours.end}`,
    ),
    row(t('hh.timezone'), 'household-timezone', hh.timezone),
    row(t('hh.awayLabel'), 'household-away', away),
    row(
      t('hh.lastCheckIn'),
      'household-last-checkin',
      hh.lastCheckInAt === null ? t('hh.never') : timeEl(hh.lastCheckInAt),
    ),
    row(t('hh.nextDue'), 'household-due', hh.checkInDueAt === null ? '—' : timeEl(hh.checkInDueAt)),
  );
}

function contacts(hh: HouseholdDetail): HTMLElement | null {
  // Volunteers do not get the contacts at all (the API leaves the field out): show nothing.
  if (hh.contacts === undefined) return null;
  return h(
    'section',
    { class: 'hh-contacts', id: 'household-contacts', 'aria-labelledby': 'household-contacts-title' },
    h('h2', { id: 'household-contacts-title' }, t('household.contacts')),
    hh.contacts.length === 0
      ? h('p', null, t('hh.noContacts'))
      : h(
          'ul',
          null,
          ...hh.contacts.map((c) =>
            h(
              'li',
              null,
              h('span', { class: 'hh-contact-name' }, c.name),
              c.relation ? ` （${c.relation}） ` : ' ',
              h(
                'a',
                {
                  href: `tel:${c.phone.replace(/[^0-9+]/g, '')}`,
                  class: 'hh-tel',
                  'aria-label': t('hh.call', { name: c.name, phone: c.phone }),
                },
                c.phone,
              ),
            ),
          ),
        ),
  );
}

function timeEl(at: string): HTMLElement {
  return h('time', { datetime: at, title: new Date(at).toLocaleString() }, clock(at));
}

function timeline(entries: TimelineEntry[]): HTMLElement {
  return h(
    'section',
    { class: 'hh-timeline', 'aria-labelledby': 'household-timeline-title' },
    h('h2', { id: 'household-timeline-title' }, t('household.timeline')),
    h('p', { class: 'hh-hint' }, t('hh.timelineNote')),
    entries.length === 0
      ? h('p', { id: 'household-timeline-empty' }, t('hh.timelineEmpty'))
      : h(
          'ol',
          { class: 'timeline', id: 'household-timeline' },
          ...entries.map((e) =>
            h(
              'li',
              { class: `tl-entry tl-${e.type}`, 'data-type': e.type, ...(e.action ? { 'data-action': e.action } : {}) },
              h('span', { class: `tl-icon tl-icon-${e.icon}` }, icon(e.icon)),
              h(
                'div',
                { class: 'tl-body' },
                h('div', { class: 'tl-what' }, entryText(e)),
                h(
                  'div',
                  { class: 'tl-meta' },
                  timeEl(e.at),
                  ' · ',
                  h('span', { class: 'tl-who' }, t('hh.by', { who: whoOf(e) })),
                ),
                e.note ? h('div', { class: 'tl-note' }, t('hh.note', { n: e.note })) : null,
              ),
            ),
          ),
        ),
  );
}

function whoOf(e: TimelineEntry): string {
  if (e.type === 'press') return t('hh.deviceBy', { id: e.deviceId ?? '?' });
  return e.who ?? t('hh.bySystem');
}

function entryText(e: TimelineEntry): string {
  switch (e.type) {
    case 'press':
      return t('hh.press', { s: stateWord(e.state) });
    case 'report':
      return t('hh.report', { s: stateWord(e.state) });
    case 'visit':
      return t('hh.visit');
    case 'alert': {
      const kind = t(`hh.kind.${e.kind}` as WordKey);
      const act = t(`hh.act.${e.action}` as WordKey, { n: e.level });
      return `${kind} · ${act}`;
    }
    case 'notified': {
      const kind = t(`hh.kind.${e.kind}` as WordKey);
      if (e.target === 'device') return t('hh.notifiedDevice');
      const word = e.medium === 'sms' ? 'hh.notifiedSms' : e.medium === 'call' ? 'hh.notifiedCall' : 'hh.notified';
      return t(word, { kind, who: e.recipients.length > 0 ? e.recipients.join('、') : t('hh.nobody') });
    }
    case 'call-result':
      return t('hh.callResult', {
        who: e.recipients.join('、'),
        what: `${t(`hh.call.${e.result}` as WordKey)}${e.detail && e.detail !== t(`hh.call.${e.result}` as WordKey) ? `（${e.detail}）` : ''}`,
      });
    case 'not-sent': {
      const kind = t(`hh.kind.${e.kind}` as WordKey);
      return t('hh.notSent', {
        kind,
        who: e.recipients.length > 0 ? e.recipients.join('、') : t('hh.nobody'),
        why: serverText(e.reason),
      });
    }
    default:
      return assertNever(e);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected timeline entry ${JSON.stringify(x)}`);
}
