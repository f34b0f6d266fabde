/**
 * The error catalogue (docs/api.md, "Errors"): every `RIBBON_ERR_*` code, the HTTP status it is
 * answered with and its default message, in one place. The codes are part of the public HTTP
 * contract: a client matches on `code`, never on `message`. Constants only, no I/O, so the domain
 * can return these codes and stay pure; server/errors.ts builds the AppError the API throws.
 *
 * Every error answer has one shape: `{"error":{"code","message","fields"?}}` (ErrorBody).
 */

export type ErrorSpec = {
  readonly code: `RIBBON_ERR_${string}`;
  readonly status: number;
  readonly message: string;
  /**
   * Over HTTP, answered with that entry's code and status (and this error's message): the finer
   * code is what the use case returns in process (system.commandAlert) and what the logs show.
   */
  readonly answeredAs?: string;
};

export const ERRORS = {
  validation: { code: 'RIBBON_ERR_VALIDATION', status: 400, message: 'the request is not valid' },
  badJson: { code: 'RIBBON_ERR_BAD_JSON', status: 400, message: 'the body is not valid JSON' },
  badCsv: { code: 'RIBBON_ERR_BAD_CSV', status: 400, message: 'the file is not a readable CSV' },
  noteRequired: { code: 'RIBBON_ERR_NOTE_REQUIRED', status: 400, message: 'resolving needs an outcome note' },
  unauthenticated: { code: 'RIBBON_ERR_UNAUTHENTICATED', status: 401, message: 'log in first' },
  badCredentials: { code: 'RIBBON_ERR_BAD_CREDENTIALS', status: 401, message: 'wrong username or password' },
  csrf: { code: 'RIBBON_ERR_CSRF', status: 403, message: 'missing or wrong x-csrf-token' },
  forbidden: { code: 'RIBBON_ERR_FORBIDDEN', status: 403, message: 'your role may not do this' },
  // A scope entry that only watches (a leader above the compound): seen, never changed.
  readOnly: {
    code: 'RIBBON_ERR_READ_ONLY',
    status: 403,
    message: '只读：您对这个小区只有查看权限，不能修改 (read-only scope)',
  },
  notFound: { code: 'RIBBON_ERR_NOT_FOUND', status: 404, message: 'not found' },
  conflict: { code: 'RIBBON_ERR_CONFLICT', status: 409, message: 'the record changed or already exists' },
  alertState: { code: 'RIBBON_ERR_ALERT_STATE', status: 409, message: 'the alert cannot do that in its state' },
  tooLarge: { code: 'RIBBON_ERR_TOO_LARGE', status: 413, message: 'the body is too large' },
  unsupportedMedia: { code: 'RIBBON_ERR_UNSUPPORTED_MEDIA', status: 415, message: 'unsupported content type' },
  rateLimited: { code: 'RIBBON_ERR_RATE_LIMITED', status: 429, message: 'too many attempts; wait and try again' },
  internal: { code: 'RIBBON_ERR_INTERNAL', status: 500, message: 'internal error' },
  busy: {
    code: 'RIBBON_ERR_BUSY',
    status: 503,
    message: 'the server is busy; try again after retry-after seconds',
  },

  // Why the alert lifecycle (server/domain/alert.ts) refuses a command. A client sees each as
  // alertState (409) with the refusal's message; a missing note is its own 400 above.
  alertResolved: {
    code: 'RIBBON_ERR_ALERT_RESOLVED',
    status: 409,
    message: 'the alert is already resolved',
    answeredAs: 'alertState',
  },
  alertAlreadyAcknowledged: {
    code: 'RIBBON_ERR_ALERT_ALREADY_ACKNOWLEDGED',
    status: 409,
    message: 'the alert is already acknowledged',
    answeredAs: 'alertState',
  },
  alertAlreadyArrived: {
    code: 'RIBBON_ERR_ALERT_ALREADY_ARRIVED',
    status: 409,
    message: 'the arrival is already recorded',
    answeredAs: 'alertState',
  },
  alertNotEmergency: {
    code: 'RIBBON_ERR_ALERT_NOT_EMERGENCY',
    status: 409,
    message: 'only an emergency has an arrival',
    answeredAs: 'alertState',
  },
  alertNeedsPerson: {
    code: 'RIBBON_ERR_ALERT_NEEDS_PERSON',
    status: 409,
    message: 'an emergency or a service request is resolved by a person, never automatically',
    answeredAs: 'alertState',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERRORS;
export type ErrorCode = (typeof ERRORS)[ErrorName]['code'];

/** One problem with one field of a request: `path` such as `body.observedAt`. */
export type FieldProblem = { path: string; message: string };

export type ErrorBody = {
  error: {
    code: ErrorCode;
    message: string;
    fields?: readonly FieldProblem[];
    /** What a client may act on, e.g. a 409's household at a taken address: `[{householdId: 12}]`. */
    details?: ReadonlyArray<Record<string, unknown>>;
  };
};
