import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CSV_BOM, formatCsv } from '../../app/roster/csv.js';
import { householdRows, peopleRows } from '../../app/roster/export.js';
import { EXPORT_NAME } from '../../app/roster/jobs.js';
import { TEMPLATE_NAME, writeTemplate, XLSX_TYPE } from '../../app/roster/sheets.js';
import type { Stores } from '../../app/ports.js';
import { AppError } from '../../errors.js';
import { requireRole } from '../auth.js';
import type { RosterChecker } from '../roster-check-pool.js';

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/** RFC 6266 / 5987: an ASCII name for old clients, the Chinese one for the rest. */
export function attachment(ascii: string, name: string): string {
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const ExportQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], {
        description: '"csv" (UTF-8 with BOM; the default) or "xlsx" (text cells, Chinese headers)',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The roster files a person downloads (issue 15): the export as CSV or .xlsx, and the .xlsx
 * templates (the headers, an example row, a sheet 说明 explaining each column). Registered by
 * rosterRoutes, under its prefix.
 */
export function rosterFileRoutes(app: App, deps: { stores: Stores; now: () => number; checker: RosterChecker }): void {
  const { stores } = deps;
  for (const kind of ['households', 'people'] as const) {
    app.get(
      `/export/${kind}`,
      {
        schema: {
          tags: ['rosters'],
          summary: `The ${kind} you may see as CSV (UTF-8 with BOM) or .xlsx${kind === 'households' ? ', one row per emergency contact' : ''}; the same columns the import reads`,
          querystring: ExportQuery,
          produces: ['text/csv', XLSX_TYPE],
        },
      },
      async (request, reply) => {
        const user = requireRole(request, 'admin', 'staff');
        const day = new Date(deps.now()).toISOString().slice(0, 10);
        if (request.query.format === 'xlsx') {
          // Written on a roster checker's thread: 20,000 rows take seconds to zip.
          const writing = deps.checker.exportXlsx({ user, kind });
          if (writing === 'busy') throw new AppError('busy', undefined, undefined, deps.checker.retryAfterSec());
          const { xlsx, count } = await writing;
          // Personal data leaving in bulk (PIPL): audited like a change, though it is a GET.
          request.auditRecord = `export:${kind}:${count}`;
          return reply
            .type(XLSX_TYPE)
            .header('content-disposition', attachment(`${kind}-${day}.xlsx`, `${EXPORT_NAME[kind]}.xlsx`))
            .send(Buffer.from(xlsx.buffer, xlsx.byteOffset, xlsx.byteLength));
        }
        const { rows, count } = kind === 'households' ? householdRows(stores, user) : peopleRows(stores, user);
        request.auditRecord = `export:${kind}:${count}`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', attachment(`${kind}-${day}.csv`, `${EXPORT_NAME[kind]}.csv`))
          .send(Buffer.from(CSV_BOM + formatCsv(rows), 'utf8'));
      },
    );

    app.get(
      `/import/${kind}/template.xlsx`,
      {
        schema: {
          tags: ['rosters'],
          summary: `${TEMPLATE_NAME[kind]}: the ${kind} roster's columns, an example row, and a sheet 说明 (each column: required or optional, its format)`,
          produces: [XLSX_TYPE],
        },
      },
      async (request, reply) => {
        requireRole(request, 'admin', 'staff');
        return reply
          .type(XLSX_TYPE)
          .header('content-disposition', attachment(`${kind}-template.xlsx`, TEMPLATE_NAME[kind]))
          .send(await writeTemplate(kind));
      },
    );
  }
}
