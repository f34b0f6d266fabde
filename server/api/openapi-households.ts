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
  });
  const Issued = Type.Object({
    id: Type.String(),
    secret: Type.String({ description: 'shown only here' }),
    householdId: s.Id,
    connect: Type.Object(
      { host: Type.String(), port: Type.Integer(), tls: Type.Boolean() },
      { description: "where the button connects: the installer's QR label, docs/protocol.md §1" },
    ),
  });
  return {
    'POST /api/households/:id/close': { 200: s.Household },
    'POST /api/households/:id/reopen': { 200: s.Household },
    'GET /api/devices': { 200: s.page(Listed) },
    'PATCH /api/devices/:id': { 200: Listed },
    'POST /api/devices': { 201: Issued },
    'POST /api/devices/:id/rotate': { 200: Issued },
  };
}
