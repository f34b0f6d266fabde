import { describe, expect, it } from 'vitest';
import { AppError, appErrorFor, ERRORS, type ErrorCode } from '../../../server/errors.js';

describe('AppError', () => {
  it.each<[ErrorCode, number, ErrorCode]>([
    [ERRORS.notFound.code, 404, 'RIBBON_ERR_NOT_FOUND'],
    [ERRORS.noteRequired.code, 400, 'RIBBON_ERR_NOTE_REQUIRED'],
    [ERRORS.alertState.code, 409, 'RIBBON_ERR_ALERT_STATE'],
    [ERRORS.alertResolved.code, 409, 'RIBBON_ERR_ALERT_STATE'],
    [ERRORS.alertAlreadyAcknowledged.code, 409, 'RIBBON_ERR_ALERT_STATE'],
    [ERRORS.alertAlreadyArrived.code, 409, 'RIBBON_ERR_ALERT_STATE'],
    [ERRORS.alertNotEmergency.code, 409, 'RIBBON_ERR_ALERT_STATE'],
    [ERRORS.alertNeedsPerson.code, 409, 'RIBBON_ERR_ALERT_STATE'],
  ])('when a use case returns %s, then the client gets %i %s', (code, status, answered) => {
    const error = appErrorFor(code, 'why, in words');
    expect(error).toBeInstanceOf(AppError);
    expect([error.status, error.code, error.message]).toEqual([status, answered, 'why, in words']);
  });

  it("when no message is given, then the code's own default message is kept", () => {
    expect(appErrorFor(ERRORS.alertResolved.code).message).toBe('the alert is already resolved');
    expect(new AppError('csrf').message).toBe(ERRORS.csrf.message);
  });
});
