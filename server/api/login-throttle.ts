/**
 * Failed logins, counted so that a passer-by cannot lock anyone out everywhere (issue 15, point 6;
 * docs/api.md, "Logging in"). Three counters, each a sliding window of 15 minutes:
 *
 * - per username AND address (5): five wrong passwords typed at a shared wall lock that name from
 *   that wall only; the admin still logs in from the office.
 * - per address (20, any names): one machine guessing many names is stopped.
 * - per username across all addresses (100): against guessing one name from many machines. Each
 *   address may spend only 5 on a name, so this takes at least 20 addresses acting together —
 *   a deliberate, distributed attack, never a passer-by — and it bounds what such an attack learns
 *   (100 guesses a quarter hour, not 5 × its addresses). The price, a name locked everywhere for
 *   the rest of the window during such an attack, is paid only under it.
 *
 * In memory: a restart forgives.
 */
export const LOGIN_LIMITS = {
  perUserAtAddress: 5,
  perAddress: 20,
  perUserEverywhere: 100,
  windowMs: 15 * 60_000,
} as const;

/**
 * Attempts counted in a sliding window, per key. An attempt is counted when it starts, before its
 * password is hashed: counted after, concurrent attempts all passed the check together (issue
 * 12). A successful login takes its own attempt back.
 */
export function createAttemptCounter(limit: number, windowMs: number) {
  const attempts = new Map<string, number[]>();
  return {
    /** Seconds until the key may try again; 0: now. */
    blockedFor(key: string, now: number): number {
      const recent = (attempts.get(key) ?? []).filter((t) => now - t < windowMs);
      if (recent.length === 0) attempts.delete(key);
      else attempts.set(key, recent);
      if (recent.length < limit) return 0;
      return Math.ceil((windowMs - (now - (recent[0] ?? now))) / 1000);
    },
    count(key: string, now: number): void {
      const list = attempts.get(key) ?? [];
      list.push(now);
      attempts.set(key, list.slice(-limit));
      if (attempts.size > 100_000) attempts.clear();
    },
    /** Takes back one attempt counted at `at` (one that was not a failure). */
    uncount(key: string, at: number): void {
      const list = attempts.get(key);
      const i = list?.lastIndexOf(at) ?? -1;
      if (i >= 0) list?.splice(i, 1);
    },
    clear(key: string): void {
      attempts.delete(key);
    },
  };
}

/** One attempt, to be settled once its password is checked (or not). */
export type LoginAttempt = {
  /** Nothing was checked (hashing busy): as if it never was. */
  undo(): void;
  /** The password was right: the name's failures at this address are forgiven. */
  succeeded(): void;
};

export type LoginThrottle = {
  /** Seconds to wait (> 0: refused, nothing counted), or the attempt, counted. */
  begin(username: string, address: string, now: number): number | LoginAttempt;
};

export function createLoginThrottle(limits: typeof LOGIN_LIMITS = LOGIN_LIMITS): LoginThrottle {
  const pairs = createAttemptCounter(limits.perUserAtAddress, limits.windowMs);
  const addresses = createAttemptCounter(limits.perAddress, limits.windowMs);
  const names = createAttemptCounter(limits.perUserEverywhere, limits.windowMs);
  return {
    begin(username, address, now) {
      const name = username.toLowerCase();
      // JSON keeps a name holding any character apart from its address.
      const pair = JSON.stringify([name, address]);
      const wait = Math.max(
        pairs.blockedFor(pair, now),
        addresses.blockedFor(address, now),
        names.blockedFor(name, now),
      );
      if (wait > 0) return wait;
      pairs.count(pair, now);
      addresses.count(address, now);
      names.count(name, now);
      return {
        undo() {
          pairs.uncount(pair, now);
          addresses.uncount(address, now);
          names.uncount(name, now);
        },
        succeeded() {
          // A success is no failure of its address nor of its name; it forgives the name's
          // failures here, not those elsewhere (they may be someone else's guesses).
          pairs.clear(pair);
          addresses.uncount(address, now);
          names.uncount(name, now);
        },
      };
    },
  };
}

/** The wait in whole minutes, rounded up: "请 15 分钟后再试 / try again in 15 minutes". */
export function lockedOutMessage(waitSec: number): string {
  const minutes = Math.max(1, Math.ceil(waitSec / 60));
  return `尝试次数过多，请 ${minutes} 分钟后再试 / too many attempts; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`;
}
