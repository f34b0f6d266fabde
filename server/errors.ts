/**
 * The error catalogue: every error a client can see has a stable code, an HTTP status and a
 * message. Expected outcomes are return values in the use cases; the API turns them into these.
 * One fastify error handler maps AppError (and validation errors) to the same JSON shape:
 * `{"error":{"code","message","fields"?}}`; 5xx hide internals.
 */
export const ERRORS = {
  validation: { code: 'RIBBON_ERR_VALIDATION', status: 400, message: 'the request is not valid' },
  badJson: { code: 'RIBBON_ERR_BAD_JSON', status: 400, message: 'the body is not valid JSON' },
  badCsv: { code: 'RIBBON_ERR_BAD_CSV', status: 400, message: 'the file is not a readable CSV' },
  unauthenticated: { code: 'RIBBON_ERR_UNAUTHENTICATED', status: 401, message: 'log in first' },
  badCredentials: { code: 'RIBBON_ERR_BAD_CREDENTIALS', status: 401, message: 'wrong username or password' },
  csrf: { code: 'RIBBON_ERR_CSRF', status: 403, message: 'missing or wrong x-csrf-token' },
  forbidden: { code: 'RIBBON_ERR_FORBIDDEN', status: 403, message: 'your role may not do this' },
  notFound: { code: 'RIBBON_ERR_NOT_FOUND', status: 404, message: 'not found' },
  conflict: { code: 'RIBBON_ERR_CONFLICT', status: 409, message: 'the record changed or already exists' },
  alertState: { code: 'RIBBON_ERR_ALERT_STATE', status: 409, message: 'the alert cannot do that in its state' },
  noteRequired: { code: 'RIBBON_ERR_NOTE_REQUIRED', status: 400, message: 'resolving needs an outcome note' },
  tooLarge: { code: 'RIBBON_ERR_TOO_LARGE', status: 413, message: 'the body is too large' },
  unsupportedMedia: { code: 'RIBBON_ERR_UNSUPPORTED_MEDIA', status: 415, message: 'unsupported content type' },
  rateLimited: { code: 'RIBBON_ERR_RATE_LIMITED', status: 429, message: 'too many attempts; wait and try again' },
  internal: { code: 'RIBBON_ERR_INTERNAL', status: 500, message: 'internal error' },
} as const;

export type ErrorName = keyof typeof ERRORS;
export type FieldProblem = { path: string; message: string };

export class AppError extends Error {
  override name = 'AppError';
  readonly code: string;
  readonly status: number;
  constructor(
    kind: ErrorName,
    message?: string,
    readonly fields?: readonly FieldProblem[],
    readonly retryAfterSec?: number,
  ) {
    super(message ?? ERRORS[kind].message);
    this.code = ERRORS[kind].code;
    this.status = ERRORS[kind].status;
  }
}
