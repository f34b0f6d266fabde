import type { Logger } from 'pino';
import type { Tier } from '../domain/alert.js';
import { mainlandMobile } from '../domain/phone.js';
import { localDateTime } from '../domain/zoned-time.js';
import { mediumOf, type PhoneMedium, type PhoneNotice } from '../notify/phone.js';
import type { NotificationMessage } from '../notify/types.js';
import type { Alert, Recipient, Stores } from './ports.js';

export type PhoneChannels = { group: number[]; sms: number[]; call: number[] };

/**
 * A person's own phone, for the alerting use cases (server/app/alerting.ts): whom a tier reaches
 * now (the duty roster), the compound's channels by medium, and one SMS and call row per person.
 * In the caller's transaction.
 */
export function createPhoneNotices(deps: {
  stores: Stores;
  log: Logger;
  ackLink?: (alertId: number, recipient: Recipient, now: number) => { link: string; code: string | null } | null;
  onDuty?: (compoundId: number, tier: Tier, now: number) => readonly number[] | null;
}) {
  const { stores, log } = deps;
  /** SMS and call rows written by this process (save() brings `reach` up to date only when it wrote some). */
  let written = 0;

  /**
   * An extra of a person's notification (their roster, their link) that fails must not fail the
   * press it is part of (the device would resend it into the same failure): logged, and the
   * notification goes without it — to everyone of the tier, or with no link.
   */
  function guarded<T>(what: string, work: () => T, fallback: T): T {
    try {
      return work();
    } catch (err) {
      log.error({ err, what }, 'could not work out part of a notification; sent without it');
      return fallback;
    }
  }

  /** Whom a tier reaches for this household now: its people (those on duty, if it has a roster), and at tier 3 the family. */
  function tierPeople(householdId: number, compoundId: number, tier: Tier, now: number): Recipient[] {
    const all = stores.people.recipients(householdId, [tier]);
    const duty = guarded('duty roster', () => deps.onDuty?.(compoundId, tier, now) ?? null, null);
    if (duty === null) return all;
    const onDuty = new Set(duty);
    return all.filter((r) => r.personId === undefined || onDuty.has(r.personId));
  }

  /**
   * One SMS (and, for an emergency, one call) per person with a mobile number, each its own
   * outbox row on the compound's first channel of that medium (the others are its fallbacks).
   * SMS for service requests and missed check-ins wait for the daytime window. Returns the
   * tiers at which no phone could be tried at all.
   */
  function enqueue(
    alert: Alert,
    perTier: ReadonlyArray<{ tier: Tier; people: readonly Recipient[] }>,
    payload: Omit<NotificationMessage, 'id'>,
    channels: PhoneChannels,
    calls: boolean,
    context: { timezone: string; ctx: { addDaytime: (from: number, seconds: number) => number } },
    now: number,
  ): Tier[] {
    const unreachable: Tier[] = [];
    const notBefore = alert.kind === 'emergency' ? now : context.ctx.addDaytime(now, 0);
    for (const { tier, people } of perTier) {
      let tried = 0;
      for (const person of people) {
        if (person.phone === null || mainlandMobile(person.phone) === null) continue;
        const row = (
          medium: PhoneMedium,
          ids: readonly number[],
          ack: { link: string; code: string | null } | null,
        ): void => {
          const phone: PhoneNotice = {
            medium,
            tier,
            link: ack?.link ?? null,
            code: ack?.code ?? null,
            time: localDateTime(alert.openedAt, context.timezone).slice(11, 16),
            fallbacks: ids.slice(1),
          };
          stores.outbox.insert(
            {
              target: 'channel',
              channelId: ids[0] as number,
              deviceId: null,
              alertId: alert.id,
              event: payload.event,
              recipients: [person],
              payload: { ...payload, recipients: [person], phone },
              notBefore: medium === 'call' ? now : notBefore,
            },
            now,
          );
          tried += 1;
          written += 1;
        };
        if (channels.sms.length > 0)
          row(
            'sms',
            channels.sms,
            guarded('one-tap link', () => deps.ackLink?.(alert.id, person, now) ?? null, null),
          );
        if (calls && channels.call.length > 0) row('call', channels.call, null);
      }
      if (tried === 0) unreachable.push(tier);
    }
    return unreachable;
  }

  function channelsOf(compoundId: number): PhoneChannels {
    const out: PhoneChannels = { group: [], sms: [], call: [] };
    for (const c of stores.channels.forCompound(compoundId)) {
      const medium = mediumOf(c.kind);
      (medium === null ? out.group : out[medium]).push(c.id);
    }
    return out;
  }

  return { tierPeople, channelsOf, enqueue, written: () => written };
}

/** Recipients without repeats (one person reached through two tiers, or also a family contact). */
export function distinct(recipients: readonly Recipient[]): Recipient[] {
  const seen = new Set<string>();
  return recipients.filter((r) => {
    const key = `${r.name}\u0000${r.phone ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
