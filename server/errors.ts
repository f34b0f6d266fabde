import { ERRORS, type ErrorCode, type ErrorName, type FieldProblem } from '../protocol/errors.js';

/**
 * The error the API throws: one entry of the catalogue (protocol/errors.ts), which gives it its
 * stable code and HTTP status. Expected outcomes are return values in the use cases; the API
 * turns them into these. One fastify error handler (api/build-app.ts) maps AppError (and
 * validation errors) to the catalogue's JSON shape; 5xx hide internals.
 */
export { ERRORS, type ErrorCode, type ErrorName, type FieldProblem };

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  constructor(
    kind: ErrorName,
    message?: string,
    readonly fields?: readonly FieldProblem[],
    readonly retryAfterSec?: number,
    /** What a client may act on (a 409's household: `[{householdId}]`), answered as `details`. */
    readonly details?: ReadonlyArray<Record<string, unknown>>,
  ) {
    super(message ?? ERRORS[kind].message);
    this.code = ERRORS[kind].code;
    this.status = ERRORS[kind].status;
  }
}

const NAME_OF_CODE = new Map<ErrorCode, ErrorName>(
  (Object.keys(ERRORS) as ErrorName[]).map((name) => [ERRORS[name].code, name]),
);

/**
 * The AppError for a code a use case returned, as a client sees it: a finer refusal is answered
 * as the entry it names in `answeredAs` (with the refusal's own message).
 */
export function appErrorFor(code: ErrorCode, message?: string): AppError {
  const name = NAME_OF_CODE.get(code);
  if (name === undefined) throw new Error(`${code} is not in the error catalogue`);
  const spec: (typeof ERRORS)[ErrorName] = ERRORS[name];
  const answer: ErrorName = 'answeredAs' in spec ? spec.answeredAs : name;
  return new AppError(answer, message ?? spec.message);
}
