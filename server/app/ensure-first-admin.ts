import type { Logger } from 'pino';
import { generatePassword, hashPassword } from './passwords.js';
import type { Stores } from './ports.js';

/**
 * On an empty database, the first admin (username "admin"): ADMIN_PASSWORD, or a generated
 * password shown once through `print` (standard output, never the log).
 */
export async function ensureFirstAdmin(deps: {
  stores: Stores;
  adminPassword: string | null;
  now: number;
  log: Logger;
  print: (text: string) => void;
}): Promise<void> {
  const { stores, adminPassword, log } = deps;
  if (stores.users.count() > 0) return;
  const password = adminPassword ?? generatePassword();
  stores.users.create(
    { username: 'admin', displayName: '管理员 admin', role: 'admin', passwordHash: await hashPassword(password) },
    deps.now,
  );
  if (adminPassword === null) {
    deps.print(
      `\nFirst admin created. Username: admin  Password: ${password}\n(shown only now; set ADMIN_PASSWORD to choose it)\n\n`,
    );
  }
  log.info({ username: 'admin', generated: adminPassword === null }, 'first admin created');
}
