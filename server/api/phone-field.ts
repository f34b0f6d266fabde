import { mainlandMobile, NOT_A_MOBILE } from '../domain/phone.js';
import { AppError } from '../errors.js';

/**
 * A phone number as the API takes it: any text up to 40 characters by the schema, then the one
 * rule (server/domain/phone.ts), so the refusal names the field and says what a number must be.
 */
export const PHONE_SCHEMA = { minLength: 1, maxLength: 40 } as const;

/** The 11 digits to store; a 400 validation error (AppError 'validation') naming `path` when it is not a mainland mobile. */
export function mobileAt(path: string, value: string): string {
  const phone = mainlandMobile(value);
  if (phone === null) throw new AppError('validation', undefined, [{ path, message: NOT_A_MOBILE }]);
  return phone;
}
