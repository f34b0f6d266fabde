import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERRORS, type ErrorName } from '../../../protocol/errors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CATALOGUE = 'protocol/errors.ts';
const NAMES = Object.keys(ERRORS) as ErrorName[];
const CODES = NAMES.map((name) => ERRORS[name].code);
const CODE = /RIBBON_ERR_[A-Z0-9_]+/g;

/** Every TypeScript source under these folders, as [path from the root, text]. */
function sources(...folders: string[]): [string, string][] {
  return folders.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(ts|tsx)$/.test(file))
      .map((file): [string, string] => {
        const path = join(folder, file).replaceAll('\\', '/');
        return [path, readFileSync(join(ROOT, path), 'utf8')];
      }),
  );
}

describe('the error catalogue', () => {
  it('when the codes are listed, then each appears once and is spelt RIBBON_ERR_ in capitals', () => {
    expect(new Set(CODES).size).toBe(CODES.length);
    for (const code of CODES) expect(code).toMatch(/^RIBBON_ERR_[A-Z_]+$/);
  });

  it('when the catalogue file is read, then each code is written in it exactly once', () => {
    const text = readFileSync(join(ROOT, CATALOGUE), 'utf8');
    const written = text.match(CODE) ?? [];
    expect([...written].sort()).toEqual([...CODES].sort());
  });

  it.each(NAMES.map((name) => [name, ERRORS[name]] as const))(
    'when %s is answered over HTTP, then its status is an error status and it has a message',
    (_name, spec) => {
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      expect(spec.message).not.toBe('');
    },
  );

  it.each(
    NAMES.flatMap((name) => {
      const spec = ERRORS[name];
      return 'answeredAs' in spec ? [[name, spec.answeredAs] as const] : [];
    }),
  )('when %s is answered as %s, then that entry exists, answers as itself and has the same status', (name, target) => {
    expect(NAMES).toContain(target);
    const answer = ERRORS[target as ErrorName];
    expect('answeredAs' in answer).toBe(false);
    expect(answer.status).toBe(ERRORS[name].status);
  });

  it('when server/ and protocol/ are read, then no file but the catalogue writes a RIBBON_ERR_ code', () => {
    const outside = sources('server', 'protocol')
      .filter(([path]) => path !== CATALOGUE)
      .flatMap(([path, text]) => (text.match(CODE) ?? []).map((code) => `${path}: ${code}`));
    expect(outside).toEqual([]);
  });

  it('when the dashboard names a code, then it is one from the catalogue', () => {
    const named = sources('dashboard/src').flatMap(([, text]) => text.match(CODE) ?? []);
    expect(named.filter((code) => !(CODES as string[]).includes(code))).toEqual([]);
  });

  it('when docs/api.md lists the error codes, then it lists exactly those a client can get, with their statuses', () => {
    const doc = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
    const table = [...doc.matchAll(/^\| `(RIBBON_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    const answered = NAMES.filter((name) => !('answeredAs' in ERRORS[name])).map(
      (name) => `${ERRORS[name].code} ${ERRORS[name].status}`,
    );
    expect(table.sort()).toEqual(answered.sort());
    for (const code of doc.match(CODE) ?? []) expect(CODES).toContain(code);
  });
});
