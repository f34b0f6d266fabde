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
 * For each device of `group`, its first CONNACK after `since` (guest time: `t`, about when the
 * server let it in) and the start of the attempt that got it (`attemptAt`, which may be before
 * `since`: a SYN sent into the cut and retransmitted after the heal).
 */
export function returnsAfter(
  events: readonly Received[],
  group: string,
  since: number,
): Map<string, { t: number; attemptAt: number }> {
  const back = new Map<string, { t: number; attemptAt: number }>();
  for (const c of ofKind(events, 'connect')) {
    if (c.group !== group || c.t < since || back.has(c.id)) continue;
    back.set(c.id, { t: c.t, attemptAt: c.attemptAt ?? c.t });
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

/** The PUBACKs of `group` that arrived (guest time) within [from, to). */
export function acksBetween(events: readonly Received[], group: string, from: number, to: number): Array<Ev<'ack'>> {
  return ofKind(events, 'ack').filter((a) => a.group === group && a.t >= from && a.t < to);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** netem's counters on the group's outer veth just before the heal (`tc -s qdisc show`). */
export function qdiscStats(
  events: readonly Received[],
  group: string,
): { text: string; dropped: number; sent: number } {
  const text = ofKind(events, 'qdisc').find((q) => q.group === group)?.text ?? '';
  const m = /Sent \d+ bytes (\d+) pkt \(dropped (\d+)/.exec(text);
  return { text, sent: Number(m?.[1] ?? Number.NaN), dropped: Number(m?.[2] ?? Number.NaN) };
}
