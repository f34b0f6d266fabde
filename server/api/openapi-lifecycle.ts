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
  };
}
