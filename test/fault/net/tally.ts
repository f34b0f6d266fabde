// What the network-fault test reads out of the events the guest sent (control.ts): the presses
// that got a PUBACK, the reconnects after the heal and how bunched they were.
import type { FarmEvent, NetEvent } from './plan.js';
import type { Received } from './control.js';

export type Acked = { id: string; boot: number; seq: number; state: string };

type Ev<K extends FarmEvent['ev']> = Extract<NetEvent, { ev: K }>;

function ofKind<K extends NetEvent['ev']>(events: readonly Received[], ev: K): Array<Extract<NetEvent, { ev: K }>> {
  return events.map((r) => r.e).filter((e): e is Extract<NetEvent, { ev: K }> => e.ev === ev);
}

export function ackedPresses(events: readonly Received[]): Acked[] {
  return ofKind(events, 'ack').map(({ id, boot, seq, state }) => ({ id, boot, seq, state }));
}

/** The guest's time of a phase mark (the conductor's clock, which the farms share). */
export function guestPhaseTime(events: readonly Received[], phase: string): number | undefined {
  return ofKind(events, 'phase').find((p) => p.phase === phase)?.t;
}

/**
 * For each device of `group`, the start of the attempt that got it back after `since` (its first
 * CONNACK after then): the moment it knocked, which is what a herd is made of.
 */
export function returnsAfter(events: readonly Received[], group: string, since: number): Map<string, number> {
  const back = new Map<string, number>();
  for (const c of ofKind(events, 'connect')) {
    if (c.group !== group || c.t < since || back.has(c.id)) continue;
    back.set(c.id, c.attemptAt ?? c.t);
  }
  return back;
}

/** The most of `times` within one sliding window of `windowMs`: [count, at]. */
export function busiestWindow(times: readonly number[], windowMs: number): { count: number; at: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = { count: 0, at: Number.NaN };
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo += 1;
    if (hi - lo + 1 > best.count) best = { count: hi - lo + 1, at: sorted[lo] as number };
  }
  return best;
}

/** How often each group's devices lost their link and came back (for the report). */
export function linkChurn(events: readonly Received[]): Record<string, { lost: number; back: number }> {
  const churn: Record<string, { lost: number; back: number }> = {};
  for (const e of events.map((r) => r.e)) {
    if (e.ev !== 'lost' && e.ev !== 'connect') continue;
    const c = (churn[e.group] ??= { lost: 0, back: 0 });
    if (e.ev === 'lost') c.lost += 1;
    else c.back += 1;
  }
  return churn;
}

export function farmErrors(events: readonly Received[]): string[] {
  return [
    ...ofKind(events, 'error').map((e) => `${e.group}: ${e.message}`),
    ...ofKind(events, 'fail').map((e) => `conductor: ${e.message}`),
  ];
}

export function drained(events: readonly Received[]): Array<Ev<'drained'>> {
  return ofKind(events, 'drained');
}
