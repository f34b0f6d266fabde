import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DB_FILE_NAME, openDatabase, type Db } from '../../../server/store/db.js';
import { LINK_SECRET_NAME, loadLinkSecret } from '../../../server/store/secrets.js';
import { tempDir } from '../../helpers/system.js';

// The key of the one-tap links, in a real SQLite file opened by several connections, as the
// core's thread and the people side open it.

function open(dir: string, options?: Database.Options): Db {
  const db = options === undefined ? openDatabase(dir) : new Database(path.join(dir, DB_FILE_NAME), options);
  onTestFinished(() => {
    db.close();
  });
  return db;
}

describe('loadLinkSecret', () => {
  it('when two connections ask, then the first makes 32 random bytes and both get the same, after a restart too', () => {
    const dir = tempDir();
    const core = open(dir);
    const people = open(dir);
    const first = loadLinkSecret(core, 1000);
    expect(first).toBeInstanceOf(Uint8Array);
    expect(first.byteLength).toBe(32);
    expect(new Set(first).size).toBeGreaterThan(8);
    expect(loadLinkSecret(people, 2000)).toEqual(first);
    core.close();
    people.close();
    expect(loadLinkSecret(open(dir), 3000)).toEqual(first);
    // A read-only connection (a tool, a test) reads it without writing.
    expect(loadLinkSecret(open(dir, { readonly: true, fileMustExist: true }))).toEqual(first);
  });

  it('when another connection stored one first, then this one keeps it (INSERT OR IGNORE, never replaced)', () => {
    const dir = tempDir();
    const a = open(dir);
    const b = open(dir);
    const theirs = Buffer.alloc(32, 9);
    b.prepare('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)').run(LINK_SECRET_NAME, theirs, 1);
    expect(Buffer.from(loadLinkSecret(a))).toEqual(theirs);
    expect(a.prepare('SELECT count(*) AS n FROM server_secrets').get()).toEqual({ n: 1 });
  });

  it('when two databases are made, then their secrets differ', () => {
    expect(loadLinkSecret(open(tempDir()))).not.toEqual(loadLinkSecret(open(tempDir())));
  });

  it('when the stored secret is not 32 bytes (edited by hand), then it is refused, not used', () => {
    const db = open(tempDir());
    db.prepare('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)').run(
      LINK_SECRET_NAME,
      Buffer.alloc(4),
      1,
    );
    expect(() => loadLinkSecret(db)).toThrow(/not 32 bytes/);
  });

  it('when a read-only connection asks before any was made, then it throws rather than invent one', () => {
    const dir = tempDir();
    open(dir).close();
    expect(() => loadLinkSecret(open(dir, { readonly: true, fileMustExist: true }))).toThrow();
  });
});
