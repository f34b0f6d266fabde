import type { Tier } from '../domain/alert.js';
import type { Alert, AlertReach, OutboxStatus } from './ports.js';

/** One SMS or call of an alert, as far as its reach is concerned. */
export type PhoneStatus = {
  tier: Tier;
  medium: 'sms' | 'call';
  status: OutboxStatus;
  /** It has failed at least once (a retry is waiting): not a way to a person for now. */
  failing: boolean;
};

/**
 * Whether an alert reached a person's phone (issue 13, "nobody reached is itself an alarm"):
 * `reached` once a provider accepted an SMS or a call for it; `pending` while one is on its way
 * and has not failed yet; `unreached` when every one failed, for good or for now (a provider
 * down: its retries wait, and nobody has been reached meanwhile) — or, for an emergency, when
 * there was no phone to try at all (no person on duty, no mobile number, no SMS or voice
 * channel). Null: no phone was ever tried for a kind that does not need one. Pure.
 */
export function reachOf(alert: Pick<Alert, 'kind' | 'reach'>, phones: readonly PhoneStatus[]): AlertReach | null {
  if (phones.some((p) => p.status === 'sent')) return 'reached';
  if (phones.some((p) => p.status === 'pending' && !p.failing)) return 'pending';
  if (phones.length > 0 || alert.kind === 'emergency') return 'unreached';
  return alert.reach;
}
