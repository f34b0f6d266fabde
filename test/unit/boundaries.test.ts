import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The never-rules of the layout (issue 11), checked on the import specifiers of the source:
// the wire contract imports only itself and does no I/O, the broker knows no server, and the
// admin tool does not import the simulator.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(folder: string): string[] {
  const dir = join(ROOT, folder);
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^'"`;]*?\sfrom\s+['"]([^'"]+)['"]/gm,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1] as string);
  return found;
}

/** Each import of the files in `folder`, with the repository path it resolves to (null: a package). */
function importsOf(folder: string): Array<{ file: string; specifier: string; target: string | null }> {
  return sourceFiles(folder).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8')).map((specifier) => ({
      file: relative(ROOT, file),
      specifier,
      target: specifier.startsWith('.') ? relative(ROOT, resolve(dirname(file), specifier)) : null,
    })),
  );
}

const inside = (folder: string) => (target: string | null) => target?.startsWith(`${folder}/`) === true;

describe('importSpecifiers', () => {
  it.each([
    ["import { a } from '../server/x.js';", ['../server/x.js']],
    ["import type { A } from './a.js';", ['./a.js']],
    ["import {\n  a,\n  type B,\n} from '../server/config.js';", ['../server/config.js']],
    ["export { a } from './a.js';", ['./a.js']],
    ["export * from 'node:fs';", ['node:fs']],
    ["import 'node:fs';", ['node:fs']],
    ["const m = await import('../server/x.js');", ['../server/x.js']],
    ["const x = 'from \\'nowhere\\'';", []],
  ])('when the source is %j, then the specifiers are %j', (source, expected) => {
    expect(importSpecifiers(source)).toEqual(expected);
  });
});

describe('protocol/', () => {
  it('when protocol/ imports anything, then it is protocol/ itself (no package, no node:, no I/O)', () => {
    const outside = importsOf('protocol').filter((i) => !inside('protocol')(i.target));
    expect(outside).toEqual([]);
  });

  it('when protocol/ is read, then it touches no process, file or network global', () => {
    const io = sourceFiles('protocol').filter((file) =>
      /\b(process\.|globalThis\b|(fetch|require|setTimeout|setInterval|queueMicrotask)\(|new (XMLHttpRequest|WebSocket)\b)/.test(
        readFileSync(file, 'utf8'),
      ),
    );
    expect(io.map((f) => relative(ROOT, f))).toEqual([]);
  });
});

describe('broker/', () => {
  it('when broker/ imports a file of this repository, then it is in broker/ or protocol/, never server/', () => {
    const wrong = importsOf('broker').filter(
      (i) => i.target !== null && !inside('broker')(i.target) && !inside('protocol')(i.target),
    );
    expect(wrong).toEqual([]);
  });
});

describe('server/admin/', () => {
  it('when the admin tool imports a file of this repository, then none is in device-sim/', () => {
    const wrong = importsOf('server/admin').filter((i) => inside('device-sim')(i.target));
    expect(wrong).toEqual([]);
  });
});

describe('source file size', () => {
  // A file past this is doing more than one thing (issue 11): split it by concern. Tests are
  // tables and are not held to it.
  const MAX_LINES = 450;
  // bench/ without bench/peers/ (the Node-RED peer's installed packages).
  const SOURCE = ['protocol', 'broker', 'server', 'device-sim', 'dashboard/src', 'bench/lib'];
  const files = () => [
    ...SOURCE.flatMap(sourceFiles),
    ...readdirSync(join(ROOT, 'bench'))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(ROOT, 'bench', name)),
  ];
  const lineCount = (file: string) => readFileSync(file, 'utf8').split('\n').length - 1;

  it('when a source folder is read, then it has files to measure', () => {
    for (const folder of SOURCE) expect(sourceFiles(folder).length, folder).toBeGreaterThan(0);
  });

  it(`when any source file is measured, then it has at most ${MAX_LINES} lines`, () => {
    const long = files()
      .map((file) => ({ file: relative(ROOT, file), lines: lineCount(file) }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
