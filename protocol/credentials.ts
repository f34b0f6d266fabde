/**
 * The device credentials file: written by the admin tool at provisioning (`npm run admin --
 * add-device --credentials FILE`, README), read by the device simulator (`npm run sim`). Its format
 * and its validation are part of the wire contract; reading and writing the file stay with each
 * user. It comes from outside the process, so it is validated field by field and every error
 * names the field that is wrong. No I/O here: text in, text out.
 */

export type DeviceCredential = { id: string; secret: string; householdId: number };
export type CredentialsFile = { url?: string; devices: DeviceCredential[] };

const TOP_LEVEL_KEYS = ['url', 'devices'] as const;
const DEVICE_KEYS = ['id', 'secret', 'householdId'] as const;
const URL_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'];
const MAX_ID_LENGTH = 128;

/**
 * A device id becomes a client id and one topic level (`ribbon/{id}/state`), so it must not
 * contain `/`, `+` or `#` (MQTT-4.7.1), nor spaces or control characters.
 */
export function describeBadDeviceId(id: string): string | undefined {
  if (id.length === 0) return 'must not be empty';
  if (id.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(id)) return 'must be printable ASCII without spaces';
  if (/[/+#]/.test(id)) return "must not contain '/', '+' or '#' (it is a topic level)";
  return undefined;
}

export function parseCredentials(text: string): CredentialsFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`credentials: not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(data)) throw new Error('credentials: the top level must be a JSON object');
  rejectUnknownKeys(data, TOP_LEVEL_KEYS, 'credentials');

  const file: CredentialsFile = { devices: [] };
  if ('url' in data) {
    if (typeof data.url !== 'string') throw new Error('credentials: url must be a string');
    const problem = describeBadUrl(data.url);
    if (problem) throw new Error(`credentials: url ${problem}`);
    file.url = data.url;
  }

  if (!('devices' in data)) throw new Error('credentials: devices is missing');
  const devices = data.devices;
  if (!Array.isArray(devices)) throw new Error('credentials: devices must be an array');
  if (devices.length === 0) throw new Error('credentials: devices must list at least one device');

  const seen = new Map<string, number>();
  devices.forEach((entry: unknown, i) => {
    const where = `credentials: devices[${i}]`;
    if (!isPlainObject(entry)) throw new Error(`${where} must be an object`);
    rejectUnknownKeys(entry, DEVICE_KEYS, where);
    const { id, secret, householdId } = entry;
    if (typeof id !== 'string') throw new Error(`${where}.id must be a string`);
    const badId = describeBadDeviceId(id);
    if (badId) throw new Error(`${where}.id ${badId}`);
    const first = seen.get(id);
    if (first !== undefined) throw new Error(`${where}.id "${id}" repeats devices[${first}].id`);
    seen.set(id, i);
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new Error(`${where}.secret must be a non-empty string`);
    }
    if (typeof householdId !== 'number' || !Number.isSafeInteger(householdId) || householdId < 1) {
      throw new Error(`${where}.householdId must be a positive integer`);
    }
    file.devices.push({ id, secret, householdId });
  });
  return file;
}

/** The file's text for `file`; throws as parseCredentials would, so no one writes a file the simulator refuses. */
export function serialiseCredentials(file: CredentialsFile): string {
  const text = `${JSON.stringify(file, null, 2)}\n`;
  parseCredentials(text);
  return text;
}

export function describeBadUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (!URL_PROTOCOLS.includes(parsed.protocol)) {
    return `"${url}" must start with one of ${URL_PROTOCOLS.map((p) => `${p}//`).join(', ')}`;
  }
  if (parsed.hostname === '') return `"${url}" has no host`;
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new Error(`${where} has an unknown field "${key}" (allowed: ${allowed.join(', ')})`);
    }
  }
}

/**
 * The file at `path` read as `text`, parsed; a problem names the path. Each reader (the admin
 * tool, the simulator) reads the file itself and hands it here, so both say the same things.
 */
export function parseCredentialsFile(path: string, text: string): CredentialsFile {
  try {
    return parseCredentials(text);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The error for a credentials file that could not be read (`err` from the read). */
export function unreadableCredentials(path: string, err: unknown): Error {
  const code = (err as { code?: string }).code;
  return new Error(`cannot read credentials file ${path}: ${code ?? (err as Error).message}`, { cause: err });
}
