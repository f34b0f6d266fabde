import { describe, expect, it } from 'vitest';
import { labelUrl, parseDeviceLabel } from '../../../protocol/label.js';

// The installer's label (docs/protocol.md §1), as a device's setup and the simulator read it.

const LABEL = { v: 1, host: 'mqtt.example.cn', port: 8883, tls: true, id: 'rp-3f9c2a1b7d04', secret: 's3cret' };

describe('parseDeviceLabel', () => {
  it('when the label is the QR code of a TLS server, then it reads back whole and its URL is mqtts://', () => {
    const label = parseDeviceLabel(JSON.stringify(LABEL));
    expect(label).toEqual(LABEL);
    expect(labelUrl(label)).toBe('mqtts://mqtt.example.cn:8883');
    expect(labelUrl({ ...label, tls: false, port: 1883 })).toBe('mqtt://mqtt.example.cn:1883');
    expect(labelUrl({ ...label, host: '::1' })).toBe('mqtts://[::1]:8883');
  });

  it('when the label has keys this version does not know, then they are ignored', () => {
    expect(parseDeviceLabel(JSON.stringify({ ...LABEL, later: 'x' }))).toEqual(LABEL);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['an array', '[]', /top level must be a JSON object/],
    ['another version', JSON.stringify({ ...LABEL, v: 2 }), /v must be 1/],
    ['no host', JSON.stringify({ ...LABEL, host: '' }), /host must be/],
    ['a URL as host', JSON.stringify({ ...LABEL, host: 'mqtt://x' }), /host must be/],
    ['port 0', JSON.stringify({ ...LABEL, port: 0 }), /port must be a whole number from 1 to 65535/],
    ['tls as text', JSON.stringify({ ...LABEL, tls: 'yes' }), /tls must be true or false/],
    ['an id with a slash', JSON.stringify({ ...LABEL, id: 'a/b' }), /label: id must not contain/],
    ['no secret', JSON.stringify({ ...LABEL, secret: '' }), /secret must be a non-empty string/],
  ])('when the label has %s, then it is refused naming the field', (_name, text, message) => {
    expect(() => parseDeviceLabel(text)).toThrow(message);
  });
});
