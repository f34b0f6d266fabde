import { describe, expect, it } from 'vitest';
import { type CredentialsFile, parseCredentials, serialiseCredentials } from '../../../protocol/credentials.js';

describe('serialiseCredentials', () => {
  it.each<[string, CredentialsFile]>([
    ['one device', { devices: [{ id: 'dev-a', secret: 'x', householdId: 1 }] }],
    [
      'a url and two devices',
      {
        url: 'mqtts://broker.example:8883',
        devices: [
          { id: 'dev-a', secret: 'x', householdId: 1 },
          { id: 'dev-b', secret: 'y', householdId: 2 },
        ],
      },
    ],
  ])('when the file has %s, then its text parses back to the same file', (_name, file) => {
    const text = serialiseCredentials(file);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseCredentials(text)).toEqual(file);
  });

  it.each<[string, CredentialsFile, RegExp]>([
    ['no device', { devices: [] }, /at least one device/],
    ['a bad url', { url: 'http://x', devices: [{ id: 'a', secret: 'x', householdId: 1 }] }, /url "http:\/\/x"/],
    ['an id with a slash', { devices: [{ id: 'a/b', secret: 'x', householdId: 1 }] }, /devices\[0\]\.id/],
  ])('when the file has %s, then it is refused as the reader would refuse it', (_name, file, message) => {
    expect(() => serialiseCredentials(file)).toThrow(message);
  });
});
