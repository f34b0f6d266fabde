import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateDeviceId,
  generateSecret,
  hashSecret,
  isValidDeviceId,
  verifySecret,
} from '../../../../server/app/device-credentials.js';

describe('generateSecret', () => {
  it('when a secret is generated, then it is 32 base64url characters (192 bits, at least 128)', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(24);
    expect(Buffer.from(secret, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
  });

  it('when many secrets are generated, then none starts with "-" (a spreadsheet would read the fleet sheet\'s cell as a formula)', () => {
    // One draw in 64 would: 5,000 draws all miss it with odds of about 1 in 10^34.
    const firsts = new Set(Array.from({ length: 5000 }, () => generateSecret()[0]));
    expect(firsts.has('-')).toBe(false);
    expect(firsts.size).toBeGreaterThan(60);
  });

  it('when many secrets are generated, then none repeats', () => {
    const secrets = Array.from({ length: 1000 }, generateSecret);
    expect(new Set(secrets).size).toBe(1000);
  });
});

describe('hashSecret', () => {
  it.each([
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ])('when hashing %j, then it is its SHA-256 (%s)', (secret, hex) => {
    expect(hashSecret(secret).toString('hex')).toBe(hex);
  });

  it('when hashing a Buffer, then it is the same as hashing its UTF-8 string', () => {
    const secret = generateSecret();
    expect(hashSecret(Buffer.from(secret, 'utf8'))).toEqual(createHash('sha256').update(secret).digest());
    expect(hashSecret(Buffer.from(secret, 'utf8'))).toEqual(hashSecret(secret));
  });
});

describe('verifySecret', () => {
  const secret = 'Qm9vdC1zZWNyZXQtZm9yLXRlc3RzLW9ubHk';
  const stored = hashSecret(secret);

  it.each<[string, boolean, string | Buffer | undefined, Buffer | null]>([
    ['the right secret', true, secret, stored],
    ['the right secret as a Buffer (MQTT password)', true, Buffer.from(secret), stored],
    ['a wrong secret', false, `${secret}x`, stored],
    ['the secret missing its last character', false, secret.slice(0, -1), stored],
    ['an empty secret', false, '', stored],
    ['no secret', false, undefined, stored],
    ['the stored hash itself as the secret', false, stored.toString('hex'), stored],
    ['an unknown device (null hash) with any secret', false, secret, null],
    ['an unknown device with the dummy secret', false, 'not a device secret', null],
    ['an unknown device with no secret', false, undefined, null],
    ['no secret against the hash of the empty string', false, undefined, hashSecret('')],
    ['a stored hash of the wrong length', false, secret, Buffer.alloc(16)],
    // The dummy hash stands in for a missing or unusable stored hash; it must never match.
    ['the dummy secret against a stored hash of the wrong length', false, 'not a device secret', Buffer.alloc(16)],
    ['the dummy secret against an empty stored hash', false, 'not a device secret', Buffer.alloc(0)],
  ])('when checking %s, then the answer is %s', (_name, expected, given, storedHash) => {
    expect(verifySecret(given, storedHash)).toBe(expected);
  });
});

describe('isValidDeviceId', () => {
  it.each([
    ['rp-0123456789ab', true],
    ['abc', true],
    ['A1_', true],
    ['0-device', true],
    ['a'.repeat(23), true],
    ['ab', false],
    ['a'.repeat(24), false],
    ['', false],
    ['-abc', false],
    ['_abc', false],
    ['rp/abc', false],
    ['rp+abc', false],
    ['rp#abc', false],
    ['$SYS', false],
    ['rp abc', false],
    ['rp.abc', false],
    ['rp:abc', false],
    ['rp-abc\n', false],
    ['rp-ábc', false],
    ['%u-abc', false],
  ])('when the id is %j, then valid is %s', (id, valid) => {
    expect(isValidDeviceId(id)).toBe(valid);
  });
});

describe('generateDeviceId', () => {
  it('when ids are generated, then each is rp- and 12 hex digits, and valid', () => {
    for (let i = 0; i < 200; i++) {
      const id = generateDeviceId();
      expect(id).toMatch(/^rp-[0-9a-f]{12}$/);
      expect(isValidDeviceId(id)).toBe(true);
    }
  });

  it('when many ids are generated, then none repeats', () => {
    const ids = Array.from({ length: 1000 }, generateDeviceId);
    expect(new Set(ids).size).toBe(1000);
  });
});
