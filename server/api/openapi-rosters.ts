import { Type } from '@fastify/type-provider-typebox';

// The roster files' answers for the OpenAPI document (openapi-responses.ts spreads them in):
// exports as CSV or .xlsx, the .xlsx templates (issue 15).

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const Xlsx = { description: 'an .xlsx workbook', content: { [XLSX]: { schema: Type.String({ format: 'binary' }) } } };
const CsvOrXlsx = {
  description: 'CSV, UTF-8 with a BOM (format=csv, the default), or an .xlsx workbook (format=xlsx)',
  content: { 'text/csv': { schema: Type.String() }, ...Xlsx.content },
};

export const ROSTER_FILES: Readonly<Record<string, Record<number, unknown>>> = {
  'GET /api/export/households': { 200: CsvOrXlsx },
  'GET /api/export/people': { 200: CsvOrXlsx },
  'GET /api/import/households/template.xlsx': { 200: Xlsx },
  'GET /api/import/people/template.xlsx': { 200: Xlsx },
};

/** An .xlsx export is written on a roster checker's thread: 503 with retry-after when they are busy. */
export const busyToo = (method: string, url: string): boolean => method === 'GET' && url.startsWith('/api/export/');
