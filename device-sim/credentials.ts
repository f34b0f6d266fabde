// Reads the credentials file (its format and checks are the contract's: protocol/credentials.ts).
// The admin tool writes it (server/admin/credentials-file.ts); the simulator only reads it.
import { readFile } from 'node:fs/promises';
import {
  type CredentialsFile,
  type DeviceCredential,
  parseCredentialsFile,
  unreadableCredentials,
} from '../protocol/credentials.js';

export {
  type CredentialsFile,
  type DeviceCredential,
  describeBadDeviceId,
  describeBadUrl,
  parseCredentials,
} from '../protocol/credentials.js';

/** What a simulated device needs of its credentials: a label names no household, and none is needed. */
export type SimCredential = Pick<DeviceCredential, 'id' | 'secret'>;

export async function loadCredentials(path: string): Promise<CredentialsFile> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw unreadableCredentials(path, err);
  });
  return parseCredentialsFile(path, text);
}
