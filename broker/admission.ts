import type { BrokerLimits } from './options.js';
import { createConnectRateLimiter } from './rate-limit.js';

/**
 * Who gets in at the broker's door, in two steps:
 *
 *   accept ──▶ counted against its address (and the global cap) until its CONNECT is judged
 *   CONNECT ─▶ credentials checked first, then the attempt spends from the budget of its kind:
 *              good logins from the CONNECT budget, failed ones from the failed-login budget
 *
 * Both budgets are per source address (token buckets). Keeping them apart is what lets a
 * device behind a carrier NAT connect while another host behind the same address floods bad
 * credentials: the flood empties only the failed-login budget. Checking first is affordable
 * because the check is synchronous and cheap (an indexed lookup and one SHA-256).
 */

/** What happens to a CONNECT whose credentials have been checked. */
export type LoginVerdict =
  /** Good credentials, and the address's CONNECT budget had a token. */
  | 'connect'
  /** Good credentials, but this address CONNECTs faster than its budget allows. */
  | 'over-rate'
  /** Bad credentials, within the address's failed-login budget: refused and logged one by one. */
  | 'refuse'
  /** Bad credentials past the failed-login budget: refused the same way, counted, not logged alone. */
  | 'refuse-quietly';

export function createLoginBudgets(
  limits: Pick<BrokerLimits, 'connectBurst' | 'connectRatePerSec' | 'failedLoginBurst' | 'failedLoginRatePerSec'>,
) {
  const good = createConnectRateLimiter({ burst: limits.connectBurst, ratePerSec: limits.connectRatePerSec });
  const failed = createConnectRateLimiter({
    burst: limits.failedLoginBurst,
    ratePerSec: limits.failedLoginRatePerSec,
  });
  return {
    /** Spends from the budget of the attempt's kind; `credentialsOk` is the verdict of the check. */
    judge(address: string, credentialsOk: boolean, now: number): LoginVerdict {
      if (credentialsOk) return good.take(address, now) ? 'connect' : 'over-rate';
      return failed.take(address, now) ? 'refuse' : 'refuse-quietly';
    },
  };
}

/**
 * Sockets per address that are open but not yet judged (accepted, no CONNECT, or a CONNECT
 * refused and not yet closed). Without it, sockets that never send CONNECT cost an address
 * nothing until the connect timeout closes them.
 */
export function createPendingSockets(perAddress: number) {
  const counts = new Map<string, number>();
  return {
    /** Counts a new socket; false (and nothing counted) when its address already has `perAddress`. */
    open(address: string): boolean {
      const count = counts.get(address) ?? 0;
      if (count >= perAddress) return false;
      counts.set(address, count + 1);
      return true;
    },
    /** The socket was judged or closed; call once per successful `open`. */
    release(address: string): void {
      const count = counts.get(address) ?? 0;
      // An address with nothing pending is forgotten: the map holds only live sockets' addresses.
      if (count <= 1) counts.delete(address);
      else counts.set(address, count - 1);
    },
    count(address: string): number {
      return counts.get(address) ?? 0;
    },
    get addresses() {
      return counts.size;
    },
  };
}

/**
 * Log lines about refusals, at a bounded rate per kind: a flood makes `burst` lines at once and
 * then at most `perSec` a second. The lines left out are counted, and the count rides on the next
 * line of the same kind (`suppressed`), so nothing is lost from the totals.
 */
export function createBoundedLog<Fields extends object>(
  write: (fields: Fields & { suppressed?: number }, msg: string) => void,
  opts: { burst: number; perSec: number },
) {
  const budget = createConnectRateLimiter({ burst: opts.burst, ratePerSec: opts.perSec });
  const suppressed = new Map<string, number>();
  return {
    /** Logs `msg` unless its kind is over budget; returns whether it was written. */
    warn(kind: string, fields: Fields, msg: string, now: number): boolean {
      if (!budget.take(kind, now)) {
        suppressed.set(kind, (suppressed.get(kind) ?? 0) + 1);
        return false;
      }
      const left = suppressed.get(kind);
      suppressed.delete(kind);
      write(left === undefined ? fields : { ...fields, suppressed: left }, msg);
      return true;
    },
    /** Counts a line of this kind that is left out on purpose; it shows in the next one's `suppressed`. */
    skip(kind: string): void {
      suppressed.set(kind, (suppressed.get(kind) ?? 0) + 1);
    },
  };
}
