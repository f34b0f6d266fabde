// The credentials file on disk for the admin tool and the demo, which write it at provisioning
// for the device simulator to read. Its format is the contract's (protocol/credentials.ts).
// It holds device secrets in clear: written 0600, atomically.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import {
  type CredentialsFile,
  parseCredentialsFile,
  serialiseCredentials,
  unreadableCredentials,
} from '../../protocol/credentials.js';

export async function loadCredentials(path: string): Promise<CredentialsFile> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw unreadableCredentials(path, err);
  });
  return parseCredentialsFile(path, text);
}

/**
 * Writes to a temporary file in the same directory, fsyncs it and renames it over `path`, so a
 * reader sees the old file or the new one, never half of one. Mode 0600: it holds secrets.
 */
export async function writeCredentials(path: string, file: CredentialsFile): Promise<void> {
  // Throws before anything is written: never a file the simulator would refuse to read.
  const text = serialiseCredentials(file);
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
