import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bothLanguages, ROSTER_LIMITS } from '../../app/roster/format.js';
import type { RosterFormat } from '../../app/roster/import.js';
import { XLSX_TYPE } from '../../app/roster/sheets.js';
import { writeRoster } from '../../app/roster/write.js';
import { AppError, ERRORS } from '../../errors.js';
import type { Stores } from '../../app/ports.js';
import { createWindowBudget } from '../../log.js';
import { refuseOnlyWatching, requireRole } from '../auth.js';
import { createInlineRosterChecker, createRosterCheckPool, type RosterChecker } from '../roster-check-pool.js';
import { fleetRoutes } from './fleet.js';
import { rosterFileRoutes } from './roster-files.js';

export type RosterDeps = {
  stores: Stores;
  now: () => number;
  /**
   * Where files are read and checked. Default: worker threads over the stores' database file
   * (a SqliteStores carries its handle), or this thread for a database in memory.
   */
  checker?: RosterChecker;
  /** The work of one write transaction of a real import (default CHUNK_BUDGET_MS). */
  chunkBudgetMs?: number;
  /** Where buttons connect, for the fleet's labels (POST /api/devices/batch, routes/fleet.ts). */
  mqtt?: { host: string | null; port: number; tls: boolean };
};

/** Imports refused as busy are logged at most this often (with how many since the last line). */
const BUSY_LOG_EVERY_MS = 10_000;

function defaultChecker(stores: Stores, onError: (err: Error) => void): RosterChecker {
  const db = (stores as { db?: { name?: unknown; memory?: unknown } }).db;
  return typeof db?.name === 'string' && db.memory === false
    ? createRosterCheckPool({ file: db.name, onError })
    : createInlineRosterChecker(stores);
}

const RowErrorSchema = Type.Object({
  line: Type.Integer(),
  field: Type.Optional(Type.String()),
  reason: Type.String({ description: 'why, in Chinese (zh-CN)' }),
  reasonEn: Type.String({ description: 'why, in English' }),
});
const ChangeSchema = Type.Object({
  line: Type.Integer(),
  householdId: Type.Optional(Type.Integer({ description: 'the household updated (a households roster)' })),
  personId: Type.Optional(Type.Integer({ description: 'the person updated (a people roster)' })),
  fields: Type.Array(Type.String(), {
    description: 'households: name, timezone, checkin, quiet_hours, contacts; people: tier',
  }),
  text: Type.String({ description: 'the change in Chinese: "姓名变更：张三 → 张四", "层级变更：1 → 2"' }),
  textEn: Type.String({ description: 'the change in English: "name: 张三 → 张四"' }),
});
const ReportSchema = Type.Object({
  ok: Type.Boolean(),
  dryRun: Type.Boolean(),
  encoding: Type.Union([Type.Literal('utf-8'), Type.Literal('gbk')]),
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
  rows: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  changes: Type.Array(ChangeSchema),
  unchanged: Type.Integer(),
  ignoredColumns: Type.Array(Type.String()),
  errors: Type.Array(RowErrorSchema),
  errorsOmitted: Type.Integer(),
});

// A real import with bad rows answers 400 with the report under the catalogue's error; the
// other 400s (an unreadable file, a bad query) have the error alone, so the report is optional.
const ErrorSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  fields: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});
const RefusedSchema = Type.Evaluate(Type.Intersect([Type.Object({ error: ErrorSchema }), Type.Partial(ReportSchema)]));

const ImportQuery = Type.Object(
  {
    dryRun: Type.String({
      pattern: '^(true|false)$',
      description: '"true": check only, write nothing; "false": import (all rows or none)',
    }),
  },
  { additionalProperties: false },
);

const SUMMARY = {
  households:
    "Import households from CSV or .xlsx (staff: their compounds; admin): 小区 楼栋 房号 姓名 时区 报平安方式 免打扰时段 紧急联系人 联系电话 关系 (docs/rosters.md); a row at an open household's address updates it",
  people:
    'Import the people who answer alarms from CSV or .xlsx (staff: their compounds; admin): 姓名 电话 角色 层级 小区 楼栋 (docs/rosters.md)',
} as const;

const CSV_TYPES = ['text/csv', 'application/octet-stream'];
const ACCEPTED = [...CSV_TYPES, XLSX_TYPE];
const NOT_A_ROSTER = bothLanguages({
  reason: `名单请以文件上传：CSV（content-type 为 text/csv）或 Excel 工作簿 .xlsx（${XLSX_TYPE}）`,
  reasonEn: `send the roster as a file: CSV (content-type text/csv or application/octet-stream) or an .xlsx workbook (${XLSX_TYPE})`,
});

/** An .xlsx is a zip (PK\x03\x04): read as a workbook whatever type it was sent as (a browser may say octet-stream). */
function formatOf(contentType: string | undefined, bytes: Buffer): RosterFormat {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x504b0304) return 'xlsx';
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === XLSX_TYPE ? 'xlsx' : 'csv';
}

/**
 * Rosters as CSV (server/app/roster/format.ts has the format). Import takes the file as the raw body
 * (text/csv or application/octet-stream, up to 2 MiB), read and checked off the main thread
 * (roster-check-pool.ts); a dry run answers a report and writes nothing; a real import writes
 * every row, in short transactions (app/roster/write.ts), or none and answers 400 with the same
 * report (409 if a row was registered by someone else while it was being written). Export answers the same columns, Chinese headers with the English name in
 * parentheses, for staff and admins (the files hold family phone numbers).
 */
export const rosterRoutes: FastifyPluginAsyncTypebox<RosterDeps> = async (app, opts) => {
  const { stores, now } = opts;
  const checker = opts.checker ?? defaultChecker(stores, (err) => app.log.error({ err }, 'roster checker failed'));
  if (opts.checker === undefined) app.addHook('onClose', () => checker.close());
  const busyLines = createWindowBudget(1, BUSY_LOG_EVERY_MS, now);
  // Real imports write one after another: two interleaved would each find the other's rows.
  let writing: Promise<unknown> = Promise.resolve();
  // Encapsulated in this plugin: the rest of the API keeps JSON only and its 64 KiB limit.
  // The charset parameter is ignored: the bytes decide (UTF-8, else GBK).
  app.addContentTypeParser(
    ACCEPTED,
    { parseAs: 'buffer', bodyLimit: ROSTER_LIMITS.maxBytes },
    (_request, body, done) => {
      done(null, body);
    },
  );
  // Any other type (a PDF, a form): a 415 that names the types a roster may come as.
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new AppError('unsupportedMedia', NOT_A_ROSTER));
  });
  rosterFileRoutes(app, { stores, now, checker });
  const logBusy = (request: { log: { warn: (o: object, m: string) => void } }) => {
    const line = busyLines.take();
    if (line !== null)
      request.log.warn(
        { ...checker.stats(), refusedSinceLastLine: line.refusedBefore + 1 },
        'roster imports refused: the checkers are busy',
      );
  };
  fleetRoutes(app, {
    stores,
    now,
    checker,
    mqtt: opts.mqtt ?? { host: null, port: 1883, tls: false },
    busy: logBusy,
    formatOf,
  });

  for (const kind of ['households', 'people'] as const) {
    app.post(
      `/import/${kind}`,
      {
        schema: {
          tags: ['rosters'],
          summary: SUMMARY[kind],
          querystring: ImportQuery,
          consumes: ACCEPTED,
          response: { 200: ReportSchema, 400: RefusedSchema },
        },
      },
      async (request, reply) => {
        const user = requireRole(request, 'admin', 'staff');
        refuseOnlyWatching(user);
        // A JSON body reaches here through the default parser; a roster is a file.
        if (request.body !== undefined && request.body !== null && !Buffer.isBuffer(request.body)) {
          throw new AppError('unsupportedMedia', NOT_A_ROSTER);
        }
        const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const dryRun = request.query.dryRun === 'true';
        const format = formatOf(request.headers['content-type'], bytes);
        const checking = checker.check({ user, kind, format, bytes, dryRun });
        if (checking === 'busy') {
          logBusy(request);
          throw new AppError('busy', undefined, undefined, checker.retryAfterSec());
        }
        const outcome = await checking;
        if (!outcome.ok) throw new AppError(outcome.kind, bothLanguages(outcome));
        const report = outcome.report;
        if (outcome.plan !== null) {
          const plan = outcome.plan;
          const written = writing.then(() =>
            writeRoster(stores, plan, {
              now: now(),
              ...(opts.chunkBudgetMs !== undefined ? { chunkBudgetMs: opts.chunkBudgetMs } : {}),
            }),
          );
          writing = written.catch(() => undefined);
          const result = await written;
          if (!result.ok) {
            request.auditRecord = `import:${kind}:conflict at line ${result.line}`;
            throw new AppError('conflict', bothLanguages(result));
          }
        }
        request.auditRecord = `import:${kind}${dryRun ? ':dry-run' : ''}:${report.ok ? `created ${report.created}${report.updated > 0 ? `, updated ${report.updated}` : ''}` : `${report.errors.length + report.errorsOmitted} errors`}`;
        if (report.ok || dryRun) return reply.code(200).send(report);
        const bad = new Set(report.errors.map((e) => e.line)).size;
        return reply.code(400).send({
          error: {
            code: ERRORS.validation.code,
            message: `${bad}${report.errorsOmitted > 0 ? '+' : ''} 行有误，未导入任何内容 / ${bad}${report.errorsOmitted > 0 ? '+' : ''} row${bad === 1 ? ' is' : 's are'} not valid; nothing was imported`,
          },
          ...report,
        });
      },
    );
  }
};
