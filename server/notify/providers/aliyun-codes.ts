import { classifyStatus } from '../http.js';

/**
 * What Alibaba Cloud's `Code` means for a retry. Two sources of codes reach us:
 * - the API gateway (POP), for every product, with an HTTP 4xx/5xx status
 *   (https://help.aliyun.com/en/document_detail/434846.html and the V3 signature page):
 *   SignatureDoesNotMatch, InvalidAccessKeyId.NotFound, InvalidTimeStamp.Expired (more than 15
 *   minutes off), SignatureNonceUsed, Throttling.User, InternalError, ServiceUnavailable, …
 * - the product, with HTTP 200: SMS's "API错误码" list
 *   (https://help.aliyun.com/zh/sms/developer-reference/api-error-codes) and the voice service's
 *   (Dyvmsapi shares the isv.* vocabulary, https://help.aliyun.com/document_detail/393519.html).
 *   `isv.` codes are the caller's own fault (number, template, sign name, account, balance);
 *   `isp.` codes are the platform's.
 *
 * isv.BUSINESS_LIMIT_CONTROL is the per-number flow control (SMS: per minute, hour and day; voice:
 * 1 a minute, 5 an hour, 20 a day per called number): transient, and not before the minute window
 * has passed. The daily and monthly quotas set in the console (DAY_/MONTH_LIMIT_CONTROL) do not
 * pass within an alarm's lifetime: final, so escalation moves on at once instead of waiting.
 */

export type CodeClass = { permanent: boolean; retryAfterMs?: number; meaning: string };

/** The shortest documented flow-control window for one number. */
export const ALIYUN_NUMBER_THROTTLE_MS = 60_000;

const KNOWN: Readonly<Record<string, CodeClass>> = {
  // Gateway: authentication and request form — the same request fails the same way again.
  SignatureDoesNotMatch: { permanent: true, meaning: 'signature refused: check the AccessKey secret' },
  IncompleteSignature: { permanent: true, meaning: 'signature incomplete' },
  'InvalidAccessKeyId.NotFound': { permanent: true, meaning: 'AccessKey ID not found' },
  'InvalidAccessKeyId.Inactive': { permanent: true, meaning: 'AccessKey disabled' },
  'InvalidTimeStamp.Expired': { permanent: true, meaning: 'request time more than 15 minutes off: check the clock' },
  'InvalidTimeStamp.Format': { permanent: true, meaning: 'request time unreadable' },
  'Forbidden.RAM': { permanent: true, meaning: 'RAM user lacks the permission' },
  'isp.RAM_PERMISSION_DENY': { permanent: true, meaning: 'RAM user lacks the permission' },
  'InvalidApi.NotFound': { permanent: true, meaning: 'API not found at this endpoint' },
  'InvalidProduct.NotFound': { permanent: true, meaning: 'product not found at this endpoint' },
  // Gateway: a nonce seen before (a replayed attempt); the next attempt has a fresh one.
  SignatureNonceUsed: { permanent: false, meaning: 'signature nonce already used' },
  // Gateway: load and faults.
  Throttling: { permanent: false, meaning: 'throttled by the gateway' },
  'Throttling.User': { permanent: false, meaning: 'throttled: account flow control' },
  'Throttling.Api': { permanent: false, meaning: 'throttled: API flow control' },
  InternalError: { permanent: false, meaning: 'provider internal error' },
  ServiceUnavailable: { permanent: false, meaning: 'provider unavailable' },
  'isp.SYSTEM_ERROR': { permanent: false, meaning: 'provider system error' },
  'isp.GATEWAY_ERROR': { permanent: false, meaning: 'provider gateway error' },
  'isv.SYSTEM_ERROR': { permanent: false, meaning: 'provider system error' },
  // Product: flow control per number.
  'isv.BUSINESS_LIMIT_CONTROL': {
    permanent: false,
    retryAfterMs: ALIYUN_NUMBER_THROTTLE_MS,
    meaning: 'per-number flow control: too many to this number',
  },
  'isv.DAY_LIMIT_CONTROL': { permanent: true, meaning: 'daily sending quota reached (console setting)' },
  'isv.MONTH_LIMIT_CONTROL': { permanent: true, meaning: 'monthly sending quota reached (console setting)' },
  // Product: the number, the template, the sign name, the parameters.
  'isv.MOBILE_NUMBER_ILLEGAL': { permanent: true, meaning: 'phone number refused' },
  'isv.MOBILE_COUNT_OVER_LIMIT': { permanent: true, meaning: 'too many phone numbers' },
  'isv.BLACK_KEY_CONTROL_LIMIT': { permanent: true, meaning: 'number on the blocklist' },
  'isv.SMS_TEMPLATE_ILLEGAL': { permanent: true, meaning: 'template not approved or not found' },
  'isv.SMS_SIGNATURE_ILLEGAL': { permanent: true, meaning: 'sign name not approved or not found' },
  'isv.SMS_SIGNATURE_SCENE_ILLEGAL': { permanent: true, meaning: 'sign name and template types do not match' },
  'isv.SIGN_STATE_ILLEGAL': { permanent: true, meaning: 'sign name not usable' },
  'isv.SMS_SIGN_ILLEGAL': { permanent: true, meaning: 'sign name forbidden' },
  'isv.SMS_CONTENT_ILLEGAL': { permanent: true, meaning: 'content forbidden' },
  'isv.TEMPLATE_MISSING_PARAMETERS': { permanent: true, meaning: 'template parameters missing' },
  'isv.TEMPLATE_PARAMS_ILLEGAL': { permanent: true, meaning: 'template parameter refused' },
  'isv.INVALID_PARAMETERS': { permanent: true, meaning: 'invalid parameters' },
  'isv.INVALID_JSON_PARAM': { permanent: true, meaning: 'template parameters are not valid JSON' },
  'isv.PARAM_LENGTH_LIMIT': { permanent: true, meaning: 'a parameter is too long' },
  'isv.DOMESTIC_NUMBER_NOT_SUPPORTED': { permanent: true, meaning: 'template cannot send to mainland numbers' },
  'isv.DENY_IP_RANGE': { permanent: true, meaning: 'sending from outside the mainland is refused' },
  // Product: account and billing.
  'isv.OUT_OF_SERVICE': { permanent: true, meaning: 'service stopped: balance exhausted' },
  'isv.AMOUNT_NOT_ENOUGH': { permanent: true, meaning: 'balance too low' },
  'isv.PRODUCT_UN_SUBSCRIPT': { permanent: true, meaning: 'communications service not activated' },
  'isv.PRODUCT_UNSUBSCRIBE': { permanent: true, meaning: 'product not activated' },
  'isv.ACCOUNT_NOT_EXISTS': { permanent: true, meaning: 'account does not exist' },
  'isv.ACCOUNT_ABNORMAL': { permanent: true, meaning: 'account abnormal' },
};

/**
 * A code not listed: an `isv.` code is the caller's fault by Alibaba's own naming, so final;
 * any other (gateway codes such as Missing…/Invalid… come with 4xx) goes by the HTTP status,
 * and an unknown code on HTTP 200 is retried rather than dropped.
 */
export function classifyAliyunCode(code: string, httpStatus: number): CodeClass {
  const known = KNOWN[code];
  if (known !== undefined) return known;
  if (code.startsWith('isv.')) return { permanent: true, meaning: 'refused' };
  if (code.startsWith('isp.')) return { permanent: false, meaning: 'provider error' };
  const byStatus = classifyStatus(httpStatus);
  if (byStatus === 'permanent') return { permanent: true, meaning: `refused with HTTP ${httpStatus}` };
  return { permanent: false, meaning: 'unknown code, retried' };
}
