import { describe, expect, it } from 'vitest';
import {
  acsCanonicalQuery,
  acsDate,
  acsPercentEncode,
  EMPTY_PAYLOAD_SHA256,
  sha256Hex,
  signAcs3,
} from '../../../../server/notify/providers/aliyun-sign.js';

describe('signAcs3', () => {
  // The fixed example of Alibaba Cloud's "V3版本请求体&签名机制" page
  // (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature, section
  // 签名示例 / 固定参数示例): POST / of ECS RunInstances 2014-05-26 with ImageId and RegionId in
  // the query, no body, AccessKey YourAccessKeyId / YourAccessKeySecret. The page gives the
  // canonical request's hash and the signature; the algorithm is the same for every RPC API, so
  // it checks ours although the example is not an SMS.
  const docExample = signAcs3({
    method: 'POST',
    host: 'ecs.cn-shanghai.aliyuncs.com',
    action: 'RunInstances',
    version: '2014-05-26',
    query: { RegionId: 'cn-shanghai', ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd' },
    body: '',
    date: '2023-10-26T10:22:32Z',
    nonce: '3156853299f313e23d1673dc12e1703d',
    accessKeyId: 'YourAccessKeyId',
    accessKeySecret: 'YourAccessKeySecret',
  });

  it('when given the documentation example, then the canonical request is the documented one', () => {
    expect(docExample.canonicalRequest).toBe(
      [
        'POST',
        '/',
        'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
        'host:ecs.cn-shanghai.aliyuncs.com',
        'x-acs-action:RunInstances',
        `x-acs-content-sha256:${EMPTY_PAYLOAD_SHA256}`,
        'x-acs-date:2023-10-26T10:22:32Z',
        'x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d',
        'x-acs-version:2014-05-26',
        '',
        'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
        EMPTY_PAYLOAD_SHA256,
      ].join('\n'),
    );
  });

  it('when given the documentation example, then the string to sign, signature and Authorization match it', () => {
    expect(docExample.stringToSign).toBe(
      'ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259',
    );
    expect(docExample.signature).toBe('06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
    expect(docExample.headers['authorization']).toBe(
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,' +
        'SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,' +
        'Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    );
    // fetch sets Host from the URL: it is signed but not among the headers we pass.
    expect(docExample.headers).not.toHaveProperty('host');
  });

  // A SendSms as our client sends it, with a Chinese sign name and template parameter, computed
  // by hand outside this code base:
  //   1. encode with Python's urllib.parse.quote(value, safe='-_.~') (RFC 3986, UTF-8):
  //        彩带之约              → %E5%BD%A9%E5%B8%A6%E4%B9%8B%E7%BA%A6
  //        {"name":"张 桂兰"}    → %7B%22name%22%3A%22%E5%BC%A0%20%E6%A1%82%E5%85%B0%22%7D
  //   2. the canonical request below (content-type signed because it is sent), then
  //        printf '%s' "$CR" | openssl dgst -sha256
  //        → 35fa73841af00e3c4af4db00a02476583690157b5b3eed9b7e5684949a424a0a
  //   3. printf 'ACS3-HMAC-SHA256\n<that hash>' | openssl dgst -sha256 -hmac testSecret
  //        → e32bfe05a7b987b9c625f56c496fa01f3dd79969976ea1c90f5d282231ba287d
  it('when given a fixed SendSms with Chinese values, then it matches the hand computation', () => {
    const signed = signAcs3({
      method: 'POST',
      host: 'dysmsapi.aliyuncs.com',
      action: 'SendSms',
      version: '2017-05-25',
      query: {
        TemplateParam: '{"name":"张 桂兰"}',
        PhoneNumbers: '13800138000',
        TemplateCode: 'SMS_480000001',
        SignName: '彩带之约',
      },
      body: '',
      contentType: 'application/x-www-form-urlencoded',
      date: '2026-11-25T00:00:05Z',
      nonce: '6a0f8c2e-3b1d-4f7a-9c55-2d8e1b7a4c90',
      accessKeyId: 'testId',
      accessKeySecret: 'testSecret',
    });
    expect(signed.queryString).toBe(
      'PhoneNumbers=13800138000&SignName=%E5%BD%A9%E5%B8%A6%E4%B9%8B%E7%BA%A6&TemplateCode=SMS_480000001' +
        '&TemplateParam=%7B%22name%22%3A%22%E5%BC%A0%20%E6%A1%82%E5%85%B0%22%7D',
    );
    expect(sha256Hex(signed.canonicalRequest)).toBe('35fa73841af00e3c4af4db00a02476583690157b5b3eed9b7e5684949a424a0a');
    expect(signed.signature).toBe('e32bfe05a7b987b9c625f56c496fa01f3dd79969976ea1c90f5d282231ba287d');
    expect(signed.headers['authorization']).toContain(
      'SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,',
    );
  });

  it('when the body is not empty, then its SHA-256 is signed and sent', () => {
    const signed = signAcs3({ ...baseRequest(), body: 'a=1' });
    expect(signed.headers['x-acs-content-sha256']).toBe(sha256Hex('a=1'));
    expect(signed.canonicalRequest.endsWith(`\n${sha256Hex('a=1')}`)).toBe(true);
  });
});

describe('acsPercentEncode', () => {
  // The encoding table of the V3 page: unreserved kept, space %20, `*` %2A, `~` kept.
  it.each([
    ['AZaz09-_.~', 'AZaz09-_.~'],
    [' ', '%20'],
    ['*', '%2A'],
    ["!'()", '%21%27%28%29'],
    ['+/=&', '%2B%2F%3D%26'],
    ['"', '%22'],
    ['张', '%E5%BC%A0'],
    ['😀', '%F0%9F%98%80'],
  ])('encodes %j as %j', (input, expected) => {
    expect(acsPercentEncode(input)).toBe(expected);
  });
});

describe('acsCanonicalQuery', () => {
  it('when parameters come in any order, then they are sorted by name and encoded', () => {
    expect(acsCanonicalQuery({ b: 'x y', A: '1', a: '~' })).toBe('A=1&a=~&b=x%20y');
  });
  it('when there are none, then it is empty', () => {
    expect(acsCanonicalQuery({})).toBe('');
  });
});

describe('acsDate', () => {
  it.each([
    [Date.UTC(2023, 9, 26, 10, 22, 32, 999), '2023-10-26T10:22:32Z'],
    [0, '1970-01-01T00:00:00Z'],
  ])('formats %d as %s', (ms, expected) => {
    expect(acsDate(ms)).toBe(expected);
  });
});

function baseRequest() {
  return {
    method: 'POST' as const,
    host: 'h',
    action: 'A',
    version: 'V',
    query: {},
    body: '',
    date: '2026-01-01T00:00:00Z',
    nonce: 'n',
    accessKeyId: 'id',
    accessKeySecret: 's',
  };
}
