import { type TSchema, Type } from '@fastify/type-provider-typebox';

/**
 * The OpenAPI answers of the data's lifecycle (issue 15: docs/api.md "Personal data",
 * docs/privacy.md), apart from openapi-responses.ts to keep that file under the size rule; spread
 * into its SUCCESS table. Documentation only, as there.
 */
export function lifecycleOperations(s: { Household: TSchema }): Record<string, Record<number, unknown>> {
  const Months = Type.Integer({ minimum: 1 });
  // Everything stored about one person, as a file to hand over (PIPL): its parts are the
  // records of the other operations, listed in docs/api.md.
  const PersonalData = {
    description: 'a JSON file (Content-Disposition: attachment) with everything stored about them',
    content: {
      'application/json': {
        schema: Type.Object({ exportedAt: Type.String({ format: 'date-time' }) }, { additionalProperties: true }),
      },
    },
  };
  return {
    'GET /api/settings/retention': {
      200: Type.Object({
        eventsMonths: Months,
        visitsMonths: Months,
        rejectedMonths: Months,
        auditMonths: Months,
        householdChangesKept: Type.Integer({ minimum: 1 }),
        time: Type.String({ pattern: '^[0-2][0-9]:[0-5][0-9]$' }),
        timeZone: Type.String(),
      }),
    },
    'GET /api/households/:id/personal-data': { 200: PersonalData },
    'GET /api/people/:id/personal-data': { 200: PersonalData },
    'POST /api/households/:id/anonymise': { 200: s.Household },
    ...deviceSettingsOperations(),
  };
}

/** The answers of device settings (issue 16: docs/api.md "Device settings"). */
function deviceSettingsOperations(): Record<string, Record<number, unknown>> {
  const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
  const Row = {
    compoundId: Nullable(Type.Integer()),
    compoundName: Nullable(Type.String()),
    model: Nullable(Type.String()),
    heartbeatSec: Nullable(Type.Integer({ minimum: 60, maximum: 86_400 })),
    graceSec: Nullable(Type.Integer({ minimum: 60, maximum: 3_600 })),
    updatedAt: Type.String({ format: 'date-time' }),
    updatedBy: Type.String(),
    editable: Type.Boolean(),
  };
  const Pair = Type.Object({ heartbeatSec: Type.Integer(), graceSec: Type.Integer() });
  const Bound = Type.Object({ min: Type.Integer(), max: Type.Integer() });
  const Source = Type.Union(['compound+model', 'compound', 'model', 'default', 'built-in'].map((s) => Type.Literal(s)));
  return {
    'GET /api/device-settings': {
      200: Type.Object({
        items: Type.Array(Type.Object(Row)),
        next: Type.Null(),
        builtIn: Pair,
        bounds: Type.Object({ heartbeatSec: Bound, graceSec: Bound }),
      }),
    },
    'GET /api/device-settings/effective': {
      200: Type.Object({
        heartbeatSec: Type.Integer(),
        graceSec: Type.Integer(),
        from: Type.Object({ heartbeatSec: Source, graceSec: Source }),
      }),
    },
    'PUT /api/device-settings': { 200: Type.Object({ ...Row, devicesTold: Type.Integer({ minimum: 0 }) }) },
    'DELETE /api/device-settings': { 204: { description: 'removed', type: 'null' } },
  };
}
