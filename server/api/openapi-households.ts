import { type TObject, type TSchema, Type } from '@fastify/type-provider-typebox';

/**
 * The OpenAPI answers of issue 15's household and device operations (closing, reopening, the
 * devices list, a device moved, where a button connects), apart from openapi-responses.ts to keep
 * that file under the size rule; spread into its SUCCESS table. Documentation only, as there.
 */
export function householdOperations(s: {
  Household: TSchema;
  Device: TObject;
  Id: TSchema;
  Iso: TSchema;
  page: (item: TSchema) => TSchema;
}): Record<string, Record<number, unknown>> {
  const Listed = Type.Object({
    ...s.Device.properties,
    retiredAt: Type.Union([s.Iso, Type.Null()]),
    createdAt: s.Iso,
    model: Type.Union([Type.String(), Type.Null()], {
      description: 'as its heartbeats report it (docs/protocol.md §5)',
    }),
    firmware: Type.Union([Type.String(), Type.Null()]),
    household: Type.Optional(
      Type.Object(
        {
          name: Type.String(),
          compoundId: s.Id,
          compound: Type.String(),
          building: Type.String(),
          room: Type.String(),
        },
        { description: 'its household and address (in the list)' },
      ),
    ),
  });
  const Issued = Type.Object({
    id: Type.String(),
    secret: Type.String({ description: 'shown only here' }),
    householdId: s.Id,
    connect: Type.Object(
      { host: Type.String(), port: Type.Integer(), tls: Type.Boolean() },
      { description: "where the button connects: the installer's QR label, docs/protocol.md §1" },
    ),
    label: Type.String({
      description: 'the QR label\'s text {"v":1,"host","port","tls","id","secret"} (protocol/label.ts)',
    }),
  });
  // POST /api/devices/batch (issue 16): the check's report; a real run adds the devices and the sheet.
  const Row = Type.Object({
    line: Type.Integer(),
    householdId: s.Id,
    name: Type.String(),
    compound: Type.String(),
    building: Type.String(),
    room: Type.String(),
    address: Type.String(),
  });
  const RowError = Type.Object({
    line: Type.Integer(),
    field: Type.Optional(Type.String()),
    reason: Type.String({ description: 'why, in Chinese' }),
    reasonEn: Type.String({ description: 'why, in English' }),
  });
  const FleetReport = {
    ok: Type.Boolean(),
    dryRun: Type.Boolean(),
    format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
    encoding: Type.Union([Type.Literal('utf-8'), Type.Literal('gbk')]),
    rows: Type.Integer(),
    created: Type.Integer({ description: 'devices issued (a dry run: that would be)' }),
    households: Type.Array(Row),
    ignoredColumns: Type.Array(Type.String()),
    errors: Type.Array(RowError),
    errorsOmitted: Type.Integer(),
  };
  const Fleet = Type.Object({
    ...FleetReport,
    connect: Issued.properties.connect,
    devices: Type.Array(
      Type.Object({
        ...Row.properties,
        deviceId: Type.String(),
        secret: Type.String({ description: 'shown only here' }),
        label: Type.String({ description: "the QR label's text" }),
      }),
    ),
    sheet: Type.Object({
      csv: Type.String({ description: 'UTF-8, header 住户编号(household_id) … 密钥(secret) 标签(label)' }),
      xlsx: Type.String({ description: 'the same sheet as an .xlsx workbook, base64' }),
    }),
  });
  const Refused = Type.Object({
    error: Type.Object({ code: Type.String(), message: Type.String() }),
    ...Type.Partial(Type.Object(FleetReport)).properties,
  });
  return {
    'POST /api/households/:id/close': { 200: s.Household },
    'POST /api/households/:id/reopen': { 200: s.Household },
    'GET /api/devices': { 200: s.page(Listed) },
    'PATCH /api/devices/:id': { 200: Listed },
    'POST /api/devices': { 201: Issued },
    'POST /api/devices/:id/rotate': { 200: Issued },
    'GET /api/devices/models': { 200: Type.Object({ items: Type.Array(Type.String()) }) },
    'POST /api/devices/batch': { 200: Type.Object(FleetReport), 201: Fleet, 400: Refused },
  };
}
