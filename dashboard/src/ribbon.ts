import type { AlertKind, RibbonState } from '../../protocol/ribbon.js';
import type { Alert, Device, Household } from './api.js';
import { t, type WordKey } from './i18n.js';

/**
 * What a household's tile shows, most urgent first: an emergency not yet resolved (red), a
 * service request (yellow), a missed check-in, away (nobody is home to press: a device offline
 * then is expected, not news), a device offline, another device fault (low battery, an
 * unreadable message), then the last ribbon.
 * A red or yellow whose alert was resolved shows as handled, not as a live emergency.
 */
export const STATUSES = ['red', 'yellow', 'missed', 'away', 'offline', 'fault', 'blue', 'handled', 'none'] as const;
export type Status = (typeof STATUSES)[number];

export function statusOf(h: Household, alerts: readonly Alert[], devices: readonly Device[], today: string): Status {
  let service = false;
  let missed = false;
  let deviceOffline = devices.some((d) => !d.online);
  let deviceFault = false;
  for (const a of alerts) {
    if (a.status === 'resolved') continue;
    if (a.kind === 'emergency') return 'red';
    if (a.kind === 'service') service = true;
    else if (a.kind === 'missed_checkin') missed = true;
    else if (a.kind === 'device') {
      // Offline is one device problem; a low battery or an unreadable message on a button that is online is another.
      if (a.reason === 'offline') deviceOffline = true;
      else deviceFault = true;
    }
  }
  if (service) return 'yellow';
  if (missed) return 'missed';
  if (h.awayUntil && h.awayUntil >= today) return 'away';
  if (deviceOffline) return 'offline';
  if (deviceFault) return 'fault';
  if (h.state === 'blue') return 'blue';
  if (h.state === null) return 'none';
  return 'handled';
}

export function statusLabel(s: Status): string {
  return t(`status.${s}` as WordKey);
}

/** The icon (icons.ts) of each kind of alert. */
export const KIND_ICON: Record<AlertKind, string> = {
  emergency: 'red',
  service: 'yellow',
  missed_checkin: 'missed',
  device: 'offline',
};

/** The short word of a ribbon seen (红 / 黄 / 蓝), or 无彩带 for none. */
export function ribbonWord(s: RibbonState | 'none'): string {
  return s === 'none' ? t('patrol.noRibbon') : t(`state.${s}`);
}

/** Today as YYYY-MM-DD in the browser's zone (for "away until"). */
export function localDay(now = Date.now()): string {
  const d = new Date(now);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** "3号楼 201" style address. */
export function address(h: { compound: string; building: string; room: string }): string {
  return `${h.compound} ${h.building} ${h.room}`;
}

const collator = new Intl.Collator('zh-CN', { numeric: true });

/** Walking order: building, then room, by natural order ("2" before "10"). */
export function walkingOrder(a: Household, b: Household): number {
  return (
    collator.compare(a.compound, b.compound) ||
    collator.compare(a.building, b.building) ||
    collator.compare(a.room, b.room) ||
    a.id - b.id
  );
}
