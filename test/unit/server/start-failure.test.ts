import { describe, expect, it } from 'vitest';
import { listenFailureMessage } from '../../../server/start-failure.js';

// The message an operator reads when a port cannot be opened at start.

const CONFIG = {
  host: '0.0.0.0',
  port: 8080,
  mqttPort: 1883,
  mqttsPort: 8883,
  mqttTls: null as { certFile: string; keyFile: string; names: string } | null,
  mqttPlain: true,
  mqttUrl: null,
};
const WITH_TLS = { ...CONFIG, mqttTls: { certFile: 'c.pem', keyFile: 'k.pem', names: 'TLS_CERT_FILE / TLS_KEY_FILE' } };

/** An error shaped as Node's net module makes it when listen() fails. */
function listenError(code: string, port: number): Error {
  return Object.assign(new Error(`listen ${code}: 0.0.0.0:${port}`), { code, syscall: 'listen', port });
}

describe('listenFailureMessage', () => {
  it.each<[string, unknown, typeof CONFIG | (Omit<typeof CONFIG, 'mqttUrl'> & { mqttUrl: string }), RegExp]>([
    ['HTTP in use', listenError('EADDRINUSE', 8080), CONFIG, /^PORT=8080 is already in use on 0\.0\.0\.0/],
    ['MQTT in use', listenError('EADDRINUSE', 1883), CONFIG, /^MQTT_PORT=1883 is already in use/],
    ['both on one port', listenError('EADDRINUSE', 1883), { ...CONFIG, port: 1883 }, /^PORT and MQTT_PORT=1883 /],
    ['MQTT over TLS in use', listenError('EADDRINUSE', 8883), WITH_TLS, /^MQTTS_PORT=8883 is already in use/],
    [
      'MQTT_PORT not opened when TLS is on without MQTT_PLAIN',
      listenError('EADDRINUSE', 1883),
      { ...WITH_TLS, mqttPlain: false },
      /^port=1883 is already in use/,
    ],
    [
      'MQTT_PORT ignored with an external broker',
      listenError('EADDRINUSE', 1883),
      { ...CONFIG, mqttUrl: 'mqtt://broker:1883' },
      /^port=1883 is already in use/,
    ],
    [
      'a privileged port',
      listenError('EACCES', 80),
      { ...CONFIG, port: 80 },
      /^PORT=80 may not be opened by this user/,
    ],
    ['a HOST not of this machine', listenError('EADDRNOTAVAIL', 8080), CONFIG, /^HOST=0\.0\.0\.0 is not an address/],
  ])('when %s, then the message names it', (_name, err, config, expected) => {
    expect(listenFailureMessage(err, config)).toMatch(expected);
  });

  it.each<[string, unknown]>([
    ['an error of another call', Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open' })],
    ['a plain error', new Error('the external broker refused the server')],
    ['not an error', 'EADDRINUSE'],
  ])('when %s, then there is no listen message', (_name, err) => {
    expect(listenFailureMessage(err, CONFIG)).toBeNull();
  });
});
