/**
 * What Tencent Cloud's error codes mean for a retry. Sources:
 *   https://cloud.tencent.com/document/api/382/52075   SMS error codes (common codes: AuthFailure.*,
 *     RequestLimitExceeded, InternalError, …, then the SMS ones)
 *   https://cloud.tencent.com/document/api/382/59177   SMS API 3.0 send error codes, with advice
 *   https://cloud.tencent.com/document/api/1128/51567  voice message (VMS) error codes
 * and the per-product code lists of the official SDK (tencentcloud-sdk-go: sms/v20210111/errors.go,
 * vms/v20200902/errors.go), which match those pages.
 *
 * A code is `Class.Detail`. Exact codes first, then the class: a failed key, signature, template,
 * sign name, parameter or permission answers the same next time (permanent); throttling and
 * Tencent's own internal errors may pass (transient). A code we do not know is retried, as the
 * group robots do: a wrongly retried message costs a retry, a wrongly dropped one may cost a person.
 */

export type TencentCodeClass = { permanent: boolean; meaning: string; retryAfterMs?: number };

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
/** China Standard Time, no daylight saving: the SMS console's daily limits count natural days there. */
const BEIJING_OFFSET_MS = 8 * HOUR;

const EXACT: Readonly<Record<string, (nowMs: number) => TencentCodeClass>> = {
  // Common codes (all products).
  'AuthFailure.SignatureExpire': () => ({
    permanent: true,
    meaning: 'signature expired: this server clock is more than 5 minutes from Tencent, check NTP',
  }),
  'AuthFailure.SecretIdNotFound': () => ({ permanent: true, meaning: 'SecretId does not exist or is disabled' }),
  'AuthFailure.SignatureFailure': () => ({ permanent: true, meaning: 'signature refused: check the SecretKey' }),
  'AuthFailure.UnauthorizedOperation': () => ({ permanent: true, meaning: 'the key may not use this API (CAM)' }),
  RequestLimitExceeded: () => ({ permanent: false, retryAfterMs: SECOND, meaning: 'API rate limit: slow down' }),
  LimitExceeded: () => ({ permanent: false, meaning: 'quota exceeded' }),
  InternalError: () => ({ permanent: false, meaning: 'Tencent internal error' }),
  // SMS and VMS: the server clock is more than 10 minutes off.
  'InternalError.RequestTimeException': () => ({
    permanent: true,
    meaning: 'request time refused: this server clock is more than 10 minutes off, check NTP',
  }),
  'InternalError.SigVerificationFail': () => ({ permanent: true, meaning: 'signature refused by the backend' }),
  'InternalError.SigFieldMissing': () => ({ permanent: true, meaning: 'signature missing' }),
  'InternalError.RestApiInterfaceNotExist': () => ({ permanent: true, meaning: 'no such API' }),
  'FailedOperation.AccessUpstreamTimeout': () => ({ permanent: false, meaning: 'Tencent upstream timed out' }),
  'FailedOperation.ParametersOtherError': () => ({ permanent: false, meaning: 'unknown error at Tencent' }),
  // The per-number frequency policy set in the SMS console; the window is in the code's name.
  'LimitExceeded.PhoneNumberThirtySecondLimit': () => ({
    permanent: false,
    retryAfterMs: 30 * SECOND,
    meaning: 'this number had an SMS in the last 30 seconds',
  }),
  'LimitExceeded.PhoneNumberOneHourLimit': () => ({
    permanent: false,
    retryAfterMs: HOUR,
    meaning: 'hourly SMS limit for this number reached',
  }),
  'LimitExceeded.PhoneNumberDailyLimit': (now) => dailyLimit(now, 'daily SMS limit for this number reached'),
  'LimitExceeded.PhoneNumberSameContentDailyLimit': (now) =>
    dailyLimit(now, 'daily limit of the same text to this number reached'),
  'LimitExceeded.AppDailyLimit': (now) => dailyLimit(now, 'daily SMS limit of the application reached'),
  'LimitExceeded.DailyLimit': (now) => dailyLimit(now, 'daily SMS limit reached'),
  'LimitExceeded.DeliveryFrequencyLimit': () => ({ permanent: false, meaning: 'frequency limit policy hit' }),
  'LimitExceeded.PhoneNumberCountLimit': () => ({ permanent: true, meaning: 'more than 200 numbers in one request' }),
  // Money and templates: someone has to act in the console before anything goes out.
  'FailedOperation.InsufficientBalanceInSmsPackage': () => ({ permanent: true, meaning: 'SMS package used up' }),
  'FailedOperation.InsufficientBalanceInVoicePackage': () => ({ permanent: true, meaning: 'voice package used up' }),
  'FailedOperation.PhonenumberUnappliedOrExpired': () => ({
    permanent: true,
    meaning: 'no calling number applied for, or it expired',
  }),
  'FailedOperation.SignatureIncorrectOrUnapproved': () => ({
    permanent: true,
    meaning: 'SMS sign name (签名) not approved or malformed',
  }),
  'FailedOperation.TemplateIncorrectOrUnapproved': () => ({
    permanent: true,
    meaning: 'template not approved, or the parameters do not fit it',
  }),
  'FailedOperation.ContainSensitiveWord': () => ({ permanent: true, meaning: 'text contains a sensitive word' }),
  'FailedOperation.PhoneNumberInBlacklist': () => ({
    permanent: true,
    meaning: 'number is on the do-not-disturb list (unsubscribed)',
  }),
  'FailedOperation.MarketingSendTimeConstraint': () => ({
    permanent: true,
    meaning: 'marketing SMS only 08:00–22:00: use a notification template',
  }),
  'UnauthorizedOperation.ServiceSuspendDueToArrears': () => ({ permanent: true, meaning: 'account in arrears' }),
  // Sic: the SMS API spells it so (tencentcloud-sdk-go sms/v20210111); VMS spells it right.
  'UnauthorizedOperation.SerivceSuspendDueToArrears': () => ({ permanent: true, meaning: 'account in arrears' }),
};

/** By class, when no exact code matched. */
const BY_CLASS: ReadonlyArray<readonly [string, TencentCodeClass]> = [
  ['AuthFailure', { permanent: true, meaning: 'authentication failed' }],
  ['RequestLimitExceeded', { permanent: false, retryAfterMs: SECOND, meaning: 'API rate limit: slow down' }],
  ['InternalError', { permanent: false, meaning: 'Tencent internal error' }],
  ['InvalidParameter', { permanent: true, meaning: 'parameter refused' }],
  ['InvalidParameterValue', { permanent: true, meaning: 'parameter value refused' }],
  ['MissingParameter', { permanent: true, meaning: 'parameter missing' }],
  ['UnauthorizedOperation', { permanent: true, meaning: 'not authorized (app id, IP allowlist or account)' }],
  ['UnsupportedOperation', { permanent: true, meaning: 'operation not supported' }],
  ['InvalidAction', { permanent: true, meaning: 'no such API action' }],
  ['NoSuchVersion', { permanent: true, meaning: 'no such API version' }],
  ['NoSuchProduct', { permanent: true, meaning: 'no such product' }],
  ['ActionOffline', { permanent: true, meaning: 'API action retired' }],
  ['IpNotInWhitelist', { permanent: true, meaning: 'this IP is not on the key allowlist' }],
  ['IpInBlacklist', { permanent: true, meaning: 'this IP is blocked' }],
  ['InvalidRequest', { permanent: true, meaning: 'malformed request' }],
  ['FailedOperation', { permanent: true, meaning: 'operation refused' }],
  ['ResourceUnavailable', { permanent: false, meaning: 'resource unavailable' }],
];

export function classifyTencentCode(code: string, nowMs: number): TencentCodeClass {
  const exact = EXACT[code];
  if (exact !== undefined) return exact(nowMs);
  const head = code.split('.', 1)[0] ?? code;
  for (const [prefix, c] of BY_CLASS) if (head === prefix) return c;
  return { permanent: false, meaning: 'unknown code, retried' };
}

/** Until the next midnight in Beijing: a daily limit is per natural day there. */
export function msUntilBeijingMidnight(nowMs: number): number {
  const next = (Math.floor((nowMs + BEIJING_OFFSET_MS) / DAY) + 1) * DAY - BEIJING_OFFSET_MS;
  return next - nowMs;
}

function dailyLimit(nowMs: number, meaning: string): TencentCodeClass {
  return { permanent: false, retryAfterMs: msUntilBeijingMidnight(nowMs), meaning: `${meaning} until midnight` };
}
