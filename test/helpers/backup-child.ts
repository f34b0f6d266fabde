// A process of its own that takes one backup with the server's code (server/app/backup.ts), so a
// test can kill -9 it in the middle: `node --import tsx test/helpers/backup-child.ts DATA_DIR DIR NOW`.
// Says "started" on stdout when the copy begins, then the result as JSON when it is written.
import pino from 'pino';
import { createBackup } from '../../server/app/backup.js';
import { createDatabaseFile } from '../../server/store/database-file.js';
import { openDatabase } from '../../server/store/db.js';

const [dataDir, dir, now] = process.argv.slice(2);
if (dataDir === undefined || dir === undefined || now === undefined) {
  process.stderr.write('usage: backup-child.ts DATA_DIR BACKUP_DIR NOW_MS\n');
  process.exit(2);
}
const db = openDatabase(dataDir);
const backup = createBackup({ database: createDatabaseFile(db), dir, keep: 7, log: pino({ level: 'silent' }) });
process.stdout.write('started\n');
const result = await backup.run(Number(now));
db.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
