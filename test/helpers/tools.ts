import fs from 'node:fs';

/**
 * Some tests need a program from Debian (mosquitto, chromium). On a developer's machine without
 * it they are skipped with a plain reason; under CI (CI=true) a missing program is a failure,
 * because .ci/run installs it and a silent skip would hide that the test never ran.
 */
export function requireProgram(path: string, debianPackage: string): { available: boolean; reason: string } {
  const available = fs.existsSync(path);
  const reason = `${path} not found (apt-get install ${debianPackage})`;
  if (!available && process.env.CI) {
    throw new Error(`CI must run these tests, but ${reason}`);
  }
  if (!available) process.stderr.write(`skipping tests that need ${path}: ${reason}\n`);
  return { available, reason };
}
