import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The never-rules of the layout, checked on the source text: use cases (server/app/) see the
// stores only through app/ports.ts, and the domain (server/domain/) is pure, importing nothing
// but itself and the wire contract (protocol/). A rule only a reviewer remembers is soon broken.

const ROOT = path.resolve(import.meta.dirname, '../../../..');

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Every module specifier a file names: static and type imports, re-exports, import() and require(). */
function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return [...new Set(patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1] as string)))];
}

/** Where a specifier points from `file` (root-relative, '/'-separated), or the package name if bare. */
function target(file: string, specifier: string): { relative: boolean; to: string } {
  if (!specifier.startsWith('.')) return { relative: false, to: specifier };
  return { relative: true, to: path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)) };
}

/** Why `file` may not import `specifier`, or null when it may. */
function appProblem(file: string, specifier: string): string | null {
  const t = target(file, specifier);
  if (t.relative && t.to.startsWith('server/store/')) return 'a use case reaches the stores only through app/ports.ts';
  if (!t.relative && (t.to === 'better-sqlite3' || t.to.startsWith('better-sqlite3/')))
    return 'a use case knows no database driver';
  return null;
}

function domainProblem(file: string, specifier: string): string | null {
  const t = target(file, specifier);
  if (!t.relative) return 'the domain imports no package and no node:* module';
  if (t.to.startsWith('server/domain/') || t.to.startsWith('protocol/')) return null;
  return 'the domain imports only domain/ and protocol/';
}

function problems(dir: string, rule: (file: string, specifier: string) => string | null): string[] {
  return sourceFiles(dir).flatMap((file) =>
    specifiers(fs.readFileSync(path.join(ROOT, file), 'utf8')).flatMap((s) => {
      const why = rule(file, s);
      return why === null ? [] : [`${file} imports ${s}: ${why}`];
    }),
  );
}

describe('layering', () => {
  it('when server/app/ is read, then no file imports server/store/ or better-sqlite3', () => {
    expect(sourceFiles('server/app').length).toBeGreaterThan(5);
    expect(problems('server/app', appProblem)).toEqual([]);
  });

  it('when server/domain/ is read, then no file imports outside domain/ and protocol/', () => {
    expect(sourceFiles('server/domain').length).toBeGreaterThan(5);
    expect(problems('server/domain', domainProblem)).toEqual([]);
  });

  // The checks above pass only if they can fail: the same rules on lines that break them.
  it.each([
    ['server/app/sweep.ts', "import type { Stores } from '../store/index.js';", 'app', true],
    ['server/app/roster/plan.ts', "import type { User } from '../../store/users.js';", 'app', true],
    ['server/app/backup.ts', "import Database from 'better-sqlite3';", 'app', true],
    ['server/app/x.ts', "export type { Alert } from '../store/alerts.js';", 'app', true],
    ['server/app/x.ts', "const m = await import('../store/db.js');", 'app', true],
    ['server/app/sweep.ts', "import type { Stores } from './ports.js';", 'app', false],
    ['server/app/x.ts', "import fs from 'node:fs';", 'app', false],
    ['server/domain/alert.ts', "import fs from 'node:fs';", 'domain', true],
    ['server/domain/alert.ts', "import Fastify from 'fastify';", 'domain', true],
    ['server/domain/alert.ts', "import mqtt from 'mqtt';", 'domain', true],
    ['server/domain/alert.ts', "import { WebSocket } from 'ws';", 'domain', true],
    ['server/domain/alert.ts', "import type { Stores } from '../app/ports.js';", 'domain', true],
    [
      'server/domain/alert.ts',
      "import {\n  isRibbonState,\n  type RibbonState,\n} from './ribbon.js';",
      'domain',
      false,
    ],
    ['server/domain/ribbon.ts', "export { RIBBON_STATES } from '../../protocol/ribbon.js';", 'domain', false],
  ] as const)('when %s has %j (%s rule), then it is refused: %s', (file, line, rule, refused) => {
    const check = rule === 'app' ? appProblem : domainProblem;
    const found = specifiers(line).map((s) => check(file, s));
    expect(found).toHaveLength(1);
    expect(found[0] !== null).toBe(refused);
  });
});
