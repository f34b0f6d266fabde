import { createHash, createHmac } from 'node:crypto';

/**
 * Tencent Cloud API 3.0 request signing, "签名方法 v3" (TC3-HMAC-SHA256), step by step as the
 * documentation lays it out:
 *   https://cloud.tencent.com/document/api/213/30654  签名方法 v3 with its worked example (CVM
 *     DescribeInstances; every product's API docs carry a copy of this page)
 *   https://tencentcloud.com/document/api/1150/49447  the same page in English ("Signature v3"), whose
 *     older example signs only content-type;host
 *   https://www.tencentcloud.com/document/product/382/40466  SMS common parameters (X-TC-Action,
 *     X-TC-Region, X-TC-Timestamp, X-TC-Version, Authorization as headers)
 *
 * 1. CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
 *    SignedHeaders \n Lowercase(Hex(SHA256(payload))). For API 3.0 over POST the URI is `/` and
 *    the query string is empty. CanonicalHeaders: each signed header as `key:value\n`, key and
 *    value lowercased and trimmed, sorted by key; `content-type` and `host` are required.
 * 2. StringToSign = "TC3-HMAC-SHA256" \n timestamp \n `${date}/${service}/tc3_request` \n
 *    Lowercase(Hex(SHA256(CanonicalRequest))). `date` is the UTC date of the timestamp: the docs
 *    warn that a local (UTC+8) date fails every night between 00:00 and 08:00 Beijing time.
 * 3. SecretDate = HMAC(`TC3${SecretKey}`, date); SecretService = HMAC(SecretDate, service);
 *    SecretSigning = HMAC(SecretService, "tc3_request"); Signature = Hex(HMAC(SecretSigning,
 *    StringToSign)). The three derived keys are raw bytes, not hex.
 * 4. Authorization = `TC3-HMAC-SHA256 Credential=${SecretId}/${scope}, SignedHeaders=${signed},
 *    Signature=${signature}`.
 * Tencent refuses a timestamp more than five minutes from its clock (AuthFailure.SignatureExpire),
 * so every attempt is signed afresh.
 */

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';
/** What we send and sign; the docs warn that a charset added by a library after signing breaks it. */
export const TC3_CONTENT_TYPE = 'application/json; charset=utf-8';

export type CanonicalHeaders = { canonical: string; signed: string };

/** Step 1's header part: lowercased, trimmed, sorted by key (ASCII). */
export function canonicalHeaders(headers: Readonly<Record<string, string>>): CanonicalHeaders {
  const entries = Object.entries(headers)
    .map(([key, value]) => [key.trim().toLowerCase(), value.trim().toLowerCase()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    canonical: entries.map(([key, value]) => `${key}:${value}\n`).join(''),
    signed: entries.map(([key]) => key).join(';'),
  };
}

export function sha256Hex(data: string | Uint8Array): string {
  // A string is hashed as its UTF-8 bytes, exactly the bytes fetch puts on the wire.
  return createHash('sha256').update(data).digest('hex');
}

export function canonicalRequest(parts: {
  method: 'POST' | 'GET';
  uri: string;
  query: string;
  headers: CanonicalHeaders;
  payload: string | Uint8Array;
}): string {
  const { method, uri, query, headers, payload } = parts;
  return [method, uri, query, headers.canonical, headers.signed, sha256Hex(payload)].join('\n');
}

/** The UTC date (YYYY-MM-DD) of a Unix timestamp in seconds. */
export function utcDate(timestampSec: number): string {
  return new Date(timestampSec * 1000).toISOString().slice(0, 10);
}

export function credentialScope(date: string, service: string): string {
  return `${date}/${service}/tc3_request`;
}

export function stringToSign(timestampSec: number, scope: string, canonical: string): string {
  return [TC3_ALGORITHM, String(timestampSec), scope, sha256Hex(canonical)].join('\n');
}

/** The three derived keys of step 3, in order; the last one signs. */
export function derivedKeys(secretKey: string, date: string, service: string): [Buffer, Buffer, Buffer] {
  const secretDate = hmac(`TC3${secretKey}`, date);
  const secretService = hmac(secretDate, service);
  const secretSigning = hmac(secretService, 'tc3_request');
  return [secretDate, secretService, secretSigning];
}

export function tc3Signature(secretKey: string, date: string, service: string, toSign: string): string {
  const [, , signing] = derivedKeys(secretKey, date, service);
  return createHmac('sha256', signing).update(toSign, 'utf8').digest('hex');
}

export type SignInput = {
  secretId: string;
  secretKey: string;
  /** The product: `sms`, `vms`, … (the first label of its documented host). */
  service: string;
  /** The Host header as it will be sent (host[:port] of the endpoint). */
  host: string;
  action: string;
  version: string;
  region: string;
  /** Unix seconds. */
  timestamp: number;
  /** The exact JSON body that will be sent. */
  payload: string;
};

export type SignedRequest = {
  /** To send with the body; Host is left to fetch, which derives it from the URL that was signed. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
};

/**
 * Signs a POST as the current 签名方法 v3 page does: `content-type`, `host` and `x-tc-action`
 * signed (the action is then covered too, so a captured request cannot be replayed as another API).
 */
export function signTencentRequest(input: SignInput): SignedRequest {
  const { secretId, secretKey, service, host, action, version, region, timestamp, payload } = input;
  const headers = canonicalHeaders({ 'content-type': TC3_CONTENT_TYPE, host, 'x-tc-action': action });
  const canonical = canonicalRequest({ method: 'POST', uri: '/', query: '', headers, payload });
  const date = utcDate(timestamp);
  const scope = credentialScope(date, service);
  const toSign = stringToSign(timestamp, scope, canonical);
  const signature = tc3Signature(secretKey, date, service, toSign);
  return {
    headers: {
      authorization: `${TC3_ALGORITHM} Credential=${secretId}/${scope}, SignedHeaders=${headers.signed}, Signature=${signature}`,
      'content-type': TC3_CONTENT_TYPE,
      'x-tc-action': action,
      'x-tc-timestamp': String(timestamp),
      'x-tc-version': version,
      'x-tc-region': region,
    },
    canonicalRequest: canonical,
    stringToSign: toSign,
    signature,
  };
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
