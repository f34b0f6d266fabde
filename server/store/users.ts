import type { UserRole } from '../domain/community.js';
import type { ScopeEntry, ScopeLevel } from '../domain/places.js';
import type { ApiToken, AuditEntry, NewUser, Session, User, UsersStore } from '../app/ports.js';
import type { Db } from './db.js';
import { createAuditReader } from './audit-log.js';

type UserRow = {
  id: number;
  username: string;
  display_name: string;
  role: UserRole;
  password_hash: string;
  person_id: number | null;
  disabled_at: number | null;
};

/** Users, their compounds, sessions, API tokens and the (append-only) audit log. */
export function createUsersStore(db: Db): UsersStore {
  const insert = db.prepare<[string, string, UserRole, string, number | null, number]>(
    'INSERT INTO users (username, display_name, role, password_hash, person_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const byName = db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?');
  const byId = db.prepare<[number], UserRow>('SELECT * FROM users WHERE id = ?');
  const all = db.prepare<[], UserRow>('SELECT * FROM users ORDER BY id');
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users');
  // The scope as set, and the compounds it covers: a compound is read-only when every entry
  // covering it is (an editable entry anywhere above or at it lets the user edit there).
  const scopeRows = db.prepare<[number, number], { level: ScopeLevel; id: number; read_only: 0 | 1 }>(
    `SELECT 'compound' AS level, compound_id AS id, read_only FROM user_compounds WHERE user_id = ?
     UNION ALL SELECT a.level, a.id, ua.read_only FROM user_areas ua JOIN areas a ON a.id = ua.area_id WHERE ua.user_id = ?
     ORDER BY 1, 2`,
  );
  const covered = db.prepare<[number, number], { id: number; read_only: 0 | 1 }>(
    `SELECT c.id, min(s.read_only) AS read_only
     FROM compounds c JOIN areas cm ON cm.id = c.community_id JOIN areas st ON st.id = cm.parent_id
     JOIN (SELECT 'compound' AS level, compound_id AS id, read_only FROM user_compounds WHERE user_id = ?
           UNION ALL SELECT a.level, a.id, ua.read_only FROM user_areas ua JOIN areas a ON a.id = ua.area_id WHERE ua.user_id = ?) s
       ON (s.level = 'compound' AND s.id = c.id) OR (s.level = 'community' AND s.id = cm.id)
       OR (s.level = 'street' AND s.id = st.id) OR (s.level = 'district' AND s.id = st.parent_id)
     GROUP BY c.id ORDER BY c.id`,
  );
  const clearAreas = db.prepare<[number]>('DELETE FROM user_areas WHERE user_id = ?');
  const addArea = db.prepare<[number, number, number]>(
    'INSERT OR REPLACE INTO user_areas (user_id, area_id, read_only) VALUES (?, ?, ?)',
  );
  const addScopedCompound = db.prepare<[number, number, number]>(
    'INSERT OR REPLACE INTO user_compounds (user_id, compound_id, read_only) VALUES (?, ?, ?)',
  );
  const clearCompounds = db.prepare<[number]>('DELETE FROM user_compounds WHERE user_id = ?');
  const addCompound = db.prepare<[number, number]>(
    'INSERT OR IGNORE INTO user_compounds (user_id, compound_id) VALUES (?, ?)',
  );
  const setProfile = db.prepare<[string, UserRole, number]>('UPDATE users SET display_name = ?, role = ? WHERE id = ?');
  const setPassword = db.prepare<[string, number]>('UPDATE users SET password_hash = ? WHERE id = ?');
  const setDisabled = db.prepare<[number | null, number]>('UPDATE users SET disabled_at = ? WHERE id = ?');

  const insertSession = db.prepare<[Buffer, number, string, number, number, number]>(
    'INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const session = db.prepare<
    [Buffer],
    { user_id: number; csrf_token: string; created_at: number; expires_at: number; last_seen_at: number }
  >('SELECT user_id, csrf_token, created_at, expires_at, last_seen_at FROM sessions WHERE id_hash = ?');
  const touchSession = db.prepare<[number, number, Buffer]>(
    'UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?',
  );
  const deleteSession = db.prepare<[Buffer]>('DELETE FROM sessions WHERE id_hash = ?');
  const deleteUserSessions = db.prepare<[number]>('DELETE FROM sessions WHERE user_id = ?');
  const deleteExpired = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?');

  const insertToken = db.prepare<[Buffer, number, string, number]>(
    'INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES (?, ?, ?, ?)',
  );
  const token = db.prepare<[Buffer], { id: number; user_id: number; revoked_at: number | null }>(
    'SELECT id, user_id, revoked_at FROM api_tokens WHERE token_hash = ?',
  );
  const touchToken = db.prepare<[number, number]>('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  const revokeToken = db.prepare<[number, number]>(
    'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  );
  const tokens = db.prepare<
    [],
    {
      id: number;
      user_id: number;
      name: string;
      created_at: number;
      revoked_at: number | null;
      last_used_at: number | null;
    }
  >('SELECT id, user_id, name, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY id');

  const insertAudit = db.prepare<
    [number, number | null, string | null, string, string, string | null, number, string | null]
  >(
    'INSERT INTO audit_log (at, user_id, username, method, route, record, status, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const auditPage = createAuditReader(db);

  function scopeOf(userId: number): Pick<User, 'compoundIds' | 'readOnlyCompoundIds' | 'scope'> {
    const seen = covered.all(userId, userId);
    return {
      compoundIds: seen.map((c) => c.id),
      readOnlyCompoundIds: seen.filter((c) => c.read_only === 1).map((c) => c.id),
      scope: scopeRows.all(userId, userId).map((r) => ({ level: r.level, id: r.id, readOnly: r.read_only === 1 })),
    };
  }

  function toUser(row: UserRow): User {
    return {
      id: row.id,
      username: row.username,
      displayName: row.display_name,
      role: row.role,
      personId: row.person_id,
      ...scopeOf(row.id),
      disabled: row.disabled_at !== null,
    };
  }

  return {
    create(u: NewUser, now: number): number {
      const id = Number(
        insert.run(u.username, u.displayName, u.role, u.passwordHash, u.personId ?? null, now).lastInsertRowid,
      );
      for (const c of u.compoundIds ?? []) addCompound.run(id, c);
      return id;
    },
    count(): number {
      return count.get()?.n ?? 0;
    },
    /** The user and the stored password hash, for a login; null when unknown. */
    forLogin(username: string): { user: User; passwordHash: string } | null {
      const row = byName.get(username);
      return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
    },
    get(id: number): User | null {
      const row = byId.get(id);
      return row ? toUser(row) : null;
    },
    list(): User[] {
      return all.all().map(toUser);
    },
    setProfile(userId: number, displayName: string, role: UserRole): void {
      setProfile.run(displayName, role, userId);
    },
    setCompounds(userId: number, compoundIds: readonly number[]): void {
      clearCompounds.run(userId);
      clearAreas.run(userId);
      for (const c of compoundIds) addCompound.run(userId, c);
    },
    setScope(userId: number, scope: readonly ScopeEntry[]): void {
      clearCompounds.run(userId);
      clearAreas.run(userId);
      for (const e of scope) {
        if (e.level === 'compound') addScopedCompound.run(userId, e.id, e.readOnly ? 1 : 0);
        else addArea.run(userId, e.id, e.readOnly ? 1 : 0);
      }
    },
    setPassword(userId: number, hash: string): void {
      setPassword.run(hash, userId);
      deleteUserSessions.run(userId);
    },
    setDisabled(userId: number, disabledAt: number | null): void {
      setDisabled.run(disabledAt, userId);
      if (disabledAt !== null) deleteUserSessions.run(userId);
    },

    createSession(idHash: Buffer, userId: number, csrfToken: string, now: number, expiresAt: number): void {
      insertSession.run(idHash, userId, csrfToken, now, expiresAt, now);
    },
    session(idHash: Buffer): Session | null {
      const row = session.get(idHash);
      return row
        ? {
            userId: row.user_id,
            csrfToken: row.csrf_token,
            createdAt: row.created_at,
            expiresAt: row.expires_at,
            lastSeenAt: row.last_seen_at,
          }
        : null;
    },
    touchSession(idHash: Buffer, now: number, expiresAt: number): void {
      touchSession.run(now, expiresAt, idHash);
    },
    deleteSession(idHash: Buffer): void {
      deleteSession.run(idHash);
    },
    deleteExpiredSessions(now: number): number {
      return deleteExpired.run(now).changes;
    },

    createToken(tokenHash: Buffer, userId: number, name: string, now: number): number {
      return Number(insertToken.run(tokenHash, userId, name, now).lastInsertRowid);
    },
    token(tokenHash: Buffer): { id: number; userId: number; revoked: boolean } | null {
      const row = token.get(tokenHash);
      return row ? { id: row.id, userId: row.user_id, revoked: row.revoked_at !== null } : null;
    },
    touchToken(id: number, now: number): void {
      touchToken.run(now, id);
    },
    revokeToken(id: number, now: number): boolean {
      return revokeToken.run(now, id).changes === 1;
    },
    tokens(): ApiToken[] {
      return tokens.all().map((t) => ({
        id: t.id,
        userId: t.user_id,
        name: t.name,
        createdAt: t.created_at,
        revokedAt: t.revoked_at,
        lastUsedAt: t.last_used_at,
      }));
    },

    audit(entry: Omit<AuditEntry, 'id'>): void {
      insertAudit.run(
        entry.at,
        entry.userId,
        entry.username,
        entry.method,
        entry.route,
        entry.record,
        entry.status,
        entry.address,
      );
    },
    /** Newest first; `before` is the id to continue below (an opaque cursor to clients). */
    auditPage,
  };
}
