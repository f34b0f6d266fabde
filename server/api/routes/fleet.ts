import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { provisionFleet } from '../../app/fleet/provision.js';
import { fleetCsv, fleetXlsx } from '../../app/fleet/sheet.js';
import type { Stores } from '../../app/ports.js';
import { bothLanguages } from '../../app/roster/format.js';
import type { RosterFormat } from '../../app/roster/import.js';
import { XLSX_TYPE } from '../../app/roster/sheets.js';
import { AppError, ERRORS } from '../../errors.js';
import { refuseOnlyWatching, requireRole } from '../auth.js';
import type { RosterChecker } from '../roster-check-pool.js';
import { connectFor } from './devices.js';

type App = Parameters<FastifyPluginAsyncTypebox>[0];

export type FleetDeps = {
  stores: Stores;
  now: () => number;
  checker: RosterChecker;
  mqtt: { host: string | null; port: number; tls: boolean };
  /** Where an import's 503 is logged (at a bounded rate, by the caller). */
  busy: (request: { log: { warn: (o: object, m: string) => void } }) => void;
  formatOf: (contentType: string | undefined, bytes: Buffer) => RosterFormat;
};

const Query = Type.Object(
  {
    dryRun: Type.String({
      pattern: '^(true|false)$',
      description: '"true": check only, issue nothing; "false": issue a device for every row (all or none)',
    }),
  },
  { additionalProperties: false },
);

/**
 * Fleet provisioning (issue 16): a CSV or .xlsx of households (住户编号, or 小区 楼栋 房号 [姓名])
 * in, a device for each out — in ONE transaction and one audit row (no secrets in it). The file is
 * read and checked on a roster checker's thread (roster-check-pool.ts), as a roster import is; a
 * dry run answers the report of every row. The real answer is the only place the secrets exist:
 * each device with its label text (protocol/label.ts), and the sheet as CSV and .xlsx (base64).
 * Registered by rosterRoutes, whose content-type parsers take the file.
 */
export function fleetRoutes(app: App, deps: FleetDeps): void {
  const { stores, now, checker } = deps;
  app.post(
    '/devices/batch',
    {
      schema: {
        tags: ['devices'],
        summary:
          'Provision a device for each household of a CSV or .xlsx (staff: their editable compounds; admin), at most 2,000 rows; dryRun=true checks only. The secrets are in this answer only',
        querystring: Query,
        consumes: ['text/csv', 'application/octet-stream', XLSX_TYPE],
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      refuseOnlyWatching(user);
      if (request.body !== undefined && request.body !== null && !Buffer.isBuffer(request.body))
        throw new AppError('unsupportedMedia', '请以 CSV 或 .xlsx 文件上传 / send a CSV or .xlsx file');
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const dryRun = request.query.dryRun === 'true';
      const checking = checker.checkDevices({
        user,
        format: deps.formatOf(request.headers['content-type'], bytes),
        bytes,
        dryRun,
      });
      if (checking === 'busy') {
        deps.busy(request);
        throw new AppError('busy', undefined, undefined, checker.retryAfterSec());
      }
      const outcome = await checking;
      if (!outcome.ok) throw new AppError(outcome.kind, bothLanguages(outcome));
      const { report, plan } = outcome;
      if (!report.ok) {
        request.auditRecord = `devices:batch${dryRun ? ':dry-run' : ''}:${report.errors.length + report.errorsOmitted} errors`;
        if (dryRun) return reply.code(200).send(report);
        const bad = new Set(report.errors.map((e) => e.line)).size;
        return reply.code(400).send({
          error: {
            code: ERRORS.validation.code,
            message: `${bad}${report.errorsOmitted > 0 ? '+' : ''} 行有误，未创建任何设备 / ${bad}${report.errorsOmitted > 0 ? '+' : ''} row${bad === 1 ? ' is' : 's are'} not valid; no device was created`,
          },
          ...report,
        });
      }
      if (plan === null) {
        request.auditRecord = `devices:batch:dry-run:${report.created} households`;
        return reply.code(200).send(report);
      }
      const connect = connectFor(deps.mqtt, request.hostname);
      const issued = provisionFleet(stores, plan, connect, now());
      if (!issued.ok) {
        request.auditRecord = `devices:batch:conflict at line ${issued.line}`;
        throw new AppError('conflict', bothLanguages(issued));
      }
      const { devices } = issued;
      // The workbook on a checker's thread (~0.3 s for 2,000 rows); the devices exist already, so a
      // full queue does not refuse them: then it is written here.
      const sheetXlsx = async (rows: typeof devices): Promise<Uint8Array> => {
        const writing = checker.fleetXlsx(rows);
        return writing === 'busy' ? fleetXlsx(rows) : (await writing).xlsx;
      };
      // One row for the batch: how many, and the first and last device ids — never a secret.
      request.auditRecord = `devices:batch:created ${devices.length}${devices.length > 0 ? ` (${devices[0]?.deviceId} … ${devices.at(-1)?.deviceId})` : ''}`;
      return reply.code(201).send({
        ...report,
        connect,
        devices,
        sheet: { csv: fleetCsv(devices), xlsx: Buffer.from(await sheetXlsx(devices)).toString('base64') },
      });
    },
  );
}
