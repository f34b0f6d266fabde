/**
 * The installer's label (docs/protocol.md §1): the QR code the dashboard prints for a new device,
 * one JSON object `{"v":1,"host","port","tls","id","secret"}`. The dashboard writes it from
 * `POST /api/devices`' answer; a device's setup (and the simulator's `--label FILE`) reads it.
 * It comes from outside, so it is checked field by field; keys this version does not know are
 * ignored (a later server may add some without breaking older readers). No I/O here.
 */
import { describeBadDeviceId } from './credentials.js';

export type DeviceLabel = { v: 1; host: string; port: number; tls: boolean; id: string; secret: string };

export function parseDeviceLabel(text: string): DeviceLabel {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`label: not valid JSON (${(err as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new Error('label: the top level must be a JSON object');
  const { v, host, port, tls, id, secret } = data as Record<string, unknown>;
  if (v !== 1) throw new Error(`label: v must be 1 (the label's version), got ${JSON.stringify(v)}`);
  if (typeof host !== 'string' || !/^[A-Za-z0-9.:[\]-]{1,255}$/.test(host))
    throw new Error('label: host must be a host name or address');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error('label: port must be a whole number from 1 to 65535');
  if (typeof tls !== 'boolean') throw new Error('label: tls must be true or false');
  if (typeof id !== 'string') throw new Error('label: id must be a string');
  const badId = describeBadDeviceId(id);
  if (badId) throw new Error(`label: id ${badId}`);
  if (typeof secret !== 'string' || secret === '') throw new Error('label: secret must be a non-empty string');
  return { v, host, port, tls, id, secret };
}

/** Where the label says to connect, as a broker URL: mqtts:// when `tls`, else mqtt://. */
export function labelUrl(label: Pick<DeviceLabel, 'host' | 'port' | 'tls'>): string {
  const host = label.host.includes(':') && !label.host.startsWith('[') ? `[${label.host}]` : label.host;
  return `${label.tls ? 'mqtts' : 'mqtt'}://${host}:${label.port}`;
}

/** Where to connect, as the label says it. One function builds the label's text for a single device
 * (POST /api/devices, …/rotate, the dashboard's card) and for a batch (the fleet's sheet and
 * labels page), so a button configured from either reads the same thing. */ export type LabelConnect = {
  host: string;
  port: number;
  tls: boolean;
};

/** The label's text for a device and where it connects. */
export function labelPayload(connect: LabelConnect, device: { id: string; secret: string }): string {
  return JSON.stringify({
    v: 1,
    host: connect.host,
    port: connect.port,
    tls: connect.tls,
    id: device.id,
    secret: device.secret,
  });
}
