import fs from 'node:fs';
import tls from 'node:tls';

/**
 * A PEM certificate and key read once, at start, and checked as a pair (tls.createSecureContext
 * refuses a key that does not match its certificate). A problem stops the start with a message
 * naming the variables that chose the files (`names`), as a bad setting does.
 */
export function readTlsFiles(
  files: { certFile: string; keyFile: string },
  names: string,
): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(
        `cannot read the ${what} of ${names} (${file}): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
  const pair = { cert: read(files.certFile, 'certificate'), key: read(files.keyFile, 'key') };
  try {
    tls.createSecureContext(pair);
  } catch (err) {
    throw new Error(
      `${names} (${files.certFile}, ${files.keyFile}) are not a usable PEM certificate and matching key: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return pair;
}
