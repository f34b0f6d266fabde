// Reads the credentials file (its format and checks are the contract's: protocol/credentials.ts).
// The admin tool writes it (server/admin/credentials-file.ts); the simulator only reads it.
import { readFile } from 'node:fs/promises';
import { type CredentialsFile, parseCredentials } from '../protocol/credentials.js';

export {
  type CredentialsFile,
  type DeviceCredential,
  describeBadDeviceId,
  describeBadUrl,
  parseCredentials,
} from '../protocol/credentials.js';

export async function loadCredentials(path: string): Promise<CredentialsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read credentials file ${path}: ${code ?? (err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return parseCredentials(text);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}
