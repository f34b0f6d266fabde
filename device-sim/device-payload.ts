// What a simulated button writes and reads on the wire (docs/protocol.md §2–3): the JSON of a
// press, the acks on `ribbon/{id}/ack`, and the local time with its offset that a press carries.
// Pure: no client, no clock of its own.
import type { DeviceAck, PressExtra, RibbonState } from './device.js';

/** A press's JSON: `{"state","seq","boot","at","battery"}`, boot and battery only when known, at unless null. */
export function pressPayload(
  state: RibbonState,
  seq: number,
  boot: number | undefined,
  extra: PressExtra,
  now: () => Date,
): string {
  const body: Record<string, unknown> = { state, seq };
  if (boot !== undefined) body.boot = boot;
  const at = extra.at === undefined ? formatLocalIso(now()) : extra.at;
  if (at !== null) body.at = at;
  if (extra.battery !== undefined) body.battery = extra.battery;
  return JSON.stringify(body);
}

export function matcherFromFields(fields: Partial<DeviceAck>): (ack: DeviceAck) => boolean {
  return (ack) =>
    (fields.seq === undefined || ack.seq === fields.seq) &&
    (fields.status === undefined || ack.status === fields.status);
}

/** A message from the server as a JSON object; undefined for anything else (a device ignores it). */
export function jsonObject(payload: Buffer | string): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
  return typeof data === 'object' && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : undefined;
}

export function parseAck(payload: Buffer | string): DeviceAck | undefined {
  const data = jsonObject(payload);
  if (data === undefined) return undefined;
  const { seq, status } = data;
  if (typeof status !== 'string' || status === '') return undefined;
  if (seq === undefined || seq === null) return { seq: null, status };
  if (typeof seq !== 'number' || !Number.isInteger(seq)) return undefined;
  return { seq, status };
}

/** `2026-11-25T08:00:00+08:00`: local time with its offset, as the contract's example. */
export function formatLocalIso(date: Date): string {
  const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0');
  const offsetMin = -date.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.trunc(offsetMin / 60))}:${pad(offsetMin % 60)}`
  );
}
