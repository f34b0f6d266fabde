import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../../server/config.js';

const CWD = path.resolve('/srv/ribbon');

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('loadConfig: defaults', () => {
  it('when the environment is empty, then every setting has its documented default', () => {
    expect(loadConfig({}, CWD)).toEqual<Config>({
      port: 8080,
      host: '127.0.0.1',
      mqttPort: 1883,
      mqttsPort: 8883,
      mqttTls: null,
      mqttPlain: true,
      dataDir: path.join(CWD, 'data'),
      mqttUrl: null,
      mqttUsername: null,
      mqttPassword: null,
      mqttClientId: 'ribbon-server',
      mqttConnections: 1,
      mqttMaxAhead: 256,
      adminPassword: null,
      dashboardDir: null,
      tls: null,
      publicUrl: 'http://127.0.0.1:8080',
      publicUrlDefaulted: true,
      publicMqttHost: null,
      logLevel: 'info',
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, maxConnections: 2000 },
      live: { maxSocketsPerSession: 8, maxSocketsPerAddress: 64, maxSnapshotsPerSession: 20 },
      broker: {
        maxPacketBytes: 4096,
        keepaliveLimitSec: 300,
        connectTimeoutMs: 5000,
        maxTopicLevels: 4,
        connectBurst: 200,
        connectRatePerSec: 50,
        failedLoginBurst: 20,
        failedLoginRatePerSec: 2,
        maxConnections: 19_000,
      },
      ingest: { batchMax: 512 },
      report: { time: '07:00', timeZone: 'Asia/Shanghai' },
      backup: { time: '03:30', dir: path.join(CWD, 'data', 'backups'), keep: 7 },
      retention: { eventsMonths: 24, rejectedMonths: 3, auditMonths: 60, time: '04:15' },
      rejected: { keepPerDevice: 100, windowMs: 3_600_000, maxRows: 50_000 },
    });
  });

  it('when variables are empty or blank, then they count as unset', () => {
    const env = { PORT: '', HOST: '   ', MQTT_URL: '', LOG_LEVEL: ' ', ADMIN_PASSWORD: '', DATA_DIR: '\t' };
    expect(loadConfig(env, CWD)).toEqual(loadConfig({}, CWD));
  });

  it('when unrelated variables are set, then they are ignored', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root', NODE_ENV: 'production' }, CWD)).toEqual(loadConfig({}, CWD));
  });
});

describe('loadConfig: values that are read', () => {
  it('when every variable is set, then each lands in its field (trimmed)', () => {
    const config = loadConfig(
      {
        PORT: '0',
        HOST: ' 0.0.0.0 ',
        MQTT_PORT: '65535',
        MQTTS_PORT: '0',
        MQTT_TLS_CERT_FILE: '/etc/ribbon/mqtt-cert.pem',
        MQTT_TLS_KEY_FILE: 'mqtt-key.pem',
        MQTT_PLAIN: 'on',
        DATA_DIR: '/var/lib/ribbon',
        MQTT_URL: 'mqtts://broker.example:8883',
        MQTT_USERNAME: 'server',
        MQTT_PASSWORD: 's3cret',
        MQTT_CLIENT_ID: 'ribbon-a',
        ADMIN_PASSWORD: 'correct horse',
        LOG_LEVEL: 'debug',
        HTTP_HEADERS_TIMEOUT_MS: '100',
        HTTP_REQUEST_TIMEOUT_MS: '3600000',
        HTTP_MAX_CONNECTIONS: '1',
        LIVE_MAX_SOCKETS_PER_SESSION: '2',
        LIVE_MAX_SOCKETS_PER_ADDRESS: '100000',
        LIVE_MAX_SNAPSHOTS_PER_SESSION: '1000000',
        MQTT_MAX_PACKET_BYTES: '64',
        MQTT_KEEPALIVE_LIMIT: '65535',
        MQTT_CONNECT_TIMEOUT_MS: '100',
        MQTT_MAX_TOPIC_LEVELS: '16',
        MQTT_CONNECT_BURST: '1',
        MQTT_CONNECT_RATE: '1000000',
        MQTT_FAILED_LOGIN_BURST: '7',
        MQTT_FAILED_LOGIN_RATE: '1000000',
        MQTT_MAX_CONNECTIONS: '1',
        INGEST_BATCH_MAX: '100000',
        REPORT_TIME: ' 06:45 ',
        REPORT_TIMEZONE: 'Europe/Berlin',
        BACKUP_TIME: '23:59',
        BACKUP_DIR: '/var/backups/ribbon',
        BACKUP_KEEP: '365',
        RETAIN_EVENTS_MONTHS: '12',
        RETAIN_REJECTED_MONTHS: '1',
        REJECTED_KEEP_PER_DEVICE: '7',
        REJECTED_WINDOW_SEC: '604800',
        REJECTED_MAX_ROWS: '100',
        RETAIN_AUDIT_MONTHS: '240',
        RETENTION_TIME: '02:05',
        TLS_CERT_FILE: '/etc/ribbon/cert.pem',
        TLS_KEY_FILE: 'key.pem',
        DASHBOARD_DIR: 'web',
        PUBLIC_URL: ' https://Ribbon.Example.cn/pact/ ',
        PUBLIC_MQTT_HOST: ' mqtt.ribbon.example.cn ',
        MQTT_CONNECTIONS: '16',
        MQTT_MAX_AHEAD: '20',
      },
      CWD,
    );
    expect(config).toEqual<Config>({
      port: 0,
      host: '0.0.0.0',
      mqttPort: 65535,
      mqttsPort: 0,
      mqttTls: {
        certFile: '/etc/ribbon/mqtt-cert.pem',
        keyFile: path.join(CWD, 'mqtt-key.pem'),
        names: 'MQTT_TLS_CERT_FILE / MQTT_TLS_KEY_FILE',
      },
      mqttPlain: true,
      dataDir: '/var/lib/ribbon',
      mqttUrl: 'mqtts://broker.example:8883',
      mqttUsername: 'server',
      mqttPassword: 's3cret',
      mqttClientId: 'ribbon-a',
      mqttConnections: 16,
      mqttMaxAhead: 20,
      adminPassword: 'correct horse',
      dashboardDir: path.join(CWD, 'web'),
      tls: { certFile: '/etc/ribbon/cert.pem', keyFile: path.join(CWD, 'key.pem') },
      publicUrl: 'https://ribbon.example.cn/pact',
      publicUrlDefaulted: false,
      publicMqttHost: 'mqtt.ribbon.example.cn',
      logLevel: 'debug',
      http: { headersTimeoutMs: 100, requestTimeoutMs: 3_600_000, maxConnections: 1 },
      live: { maxSocketsPerSession: 2, maxSocketsPerAddress: 100_000, maxSnapshotsPerSession: 1_000_000 },
      broker: {
        maxPacketBytes: 64,
        keepaliveLimitSec: 65535,
        connectTimeoutMs: 100,
        maxTopicLevels: 16,
        connectBurst: 1,
        connectRatePerSec: 1_000_000,
        failedLoginBurst: 7,
        failedLoginRatePerSec: 1_000_000,
        maxConnections: 1,
      },
      ingest: { batchMax: 100_000 },
      report: { time: '06:45', timeZone: 'Europe/Berlin' },
      backup: { time: '23:59', dir: '/var/backups/ribbon', keep: 365 },
      retention: { eventsMonths: 12, rejectedMonths: 1, auditMonths: 240, time: '02:05' },
      rejected: { keepPerDevice: 7, windowMs: 604_800_000, maxRows: 100 },
    });
  });

  it.each([
    ['data', path.join(CWD, 'data')],
    ['./state/db', path.join(CWD, 'state', 'db')],
    ['../elsewhere', path.resolve(CWD, '..', 'elsewhere')],
    ['/abs/dir', '/abs/dir'],
  ])('when DATA_DIR is %j, then it is resolved against the given cwd', (dataDir, expected) => {
    expect(loadConfig({ DATA_DIR: dataDir }, CWD).dataDir).toBe(expected);
  });

  it.each([
    'mqtt://localhost',
    'mqtt://10.0.0.2:1883',
    'mqtts://b.example:8883',
    'tcp://b:1883',
    'tls://b:8883',
    'ws://b/mqtt',
    'wss://b/mqtt',
  ])('when MQTT_URL is %j, then it is accepted', (url) => {
    expect(loadConfig({ MQTT_URL: url }, CWD).mqttUrl).toBe(url);
  });

  it.each([
    ['backups', path.join(CWD, 'backups')],
    ['/abs/backups', '/abs/backups'],
  ])('when BACKUP_DIR is %j, then it is resolved against the given cwd', (dir, expected) => {
    expect(loadConfig({ BACKUP_DIR: dir }, CWD).backup.dir).toBe(expected);
  });

  it('when only DATA_DIR is set, then the backups go in a folder inside it', () => {
    expect(loadConfig({ DATA_DIR: '/var/lib/ribbon' }, CWD).backup.dir).toBe('/var/lib/ribbon/backups');
  });

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)(
    'when LOG_LEVEL is %s, then it is used',
    (level) => {
      expect(loadConfig({ LOG_LEVEL: level }, CWD).logLevel).toBe(level);
    },
  );

  it.each([
    ['https://ribbon.example.cn', 'https://ribbon.example.cn'],
    ['https://ribbon.example.cn/', 'https://ribbon.example.cn'],
    ['https://ribbon.example.cn:8443//', 'https://ribbon.example.cn:8443'],
    ['http://10.0.0.5:8080/ribbon/', 'http://10.0.0.5:8080/ribbon'],
    ['HTTPS://RIBBON.EXAMPLE.CN:443', 'https://ribbon.example.cn'],
    ['http://[fd00::5]:8080', 'http://[fd00::5]:8080'],
  ])('when PUBLIC_URL is %j, then the links are based on %j', (raw, expected) => {
    const config = loadConfig({ PUBLIC_URL: raw }, CWD);
    expect(config.publicUrl).toBe(expected);
    expect(config.publicUrlDefaulted).toBe(false);
  });

  it.each([
    [{}, 'http://127.0.0.1:8080'],
    [{ PORT: '9000', HOST: '192.168.1.20' }, 'http://192.168.1.20:9000'],
    [{ HOST: '0.0.0.0' }, 'http://127.0.0.1:8080'],
    [{ HOST: '::' }, 'http://127.0.0.1:8080'],
    [{ HOST: '::1' }, 'http://[::1]:8080'],
    [{ TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem', PORT: '8443' }, 'https://127.0.0.1:8443'],
  ])('when PUBLIC_URL is unset and the server listens as %j, then the default is %j', (env, expected) => {
    const config = loadConfig(env, CWD);
    expect(config.publicUrl).toBe(expected);
    expect(config.publicUrlDefaulted).toBe(true);
  });

  it('when a number has a leading zero, then it is read in base 10', () => {
    expect(loadConfig({ PORT: '08080' }, CWD).port).toBe(8080);
  });
});

describe('loadConfig: bad values stop start-up', () => {
  it.each([
    ['PORT', 'http'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', '1e3'],
    ['PORT', '0x50'],
    ['PORT', '8080abc'],
    ['PORT', '99999999999999999999999'],
    ['MQTT_PORT', '70000'],
    ['MQTT_PORT', 'one'],
    ['MQTT_PORT', '+1883'],
    ['MQTTS_PORT', '65536'],
    ['MQTT_PLAIN', 'yes'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['HTTP_HEADERS_TIMEOUT_MS', '99'],
    ['HTTP_HEADERS_TIMEOUT_MS', '300001'],
    ['HTTP_REQUEST_TIMEOUT_MS', '99'],
    ['HTTP_REQUEST_TIMEOUT_MS', '3600001'],
    ['HTTP_MAX_CONNECTIONS', '0'],
    ['HTTP_MAX_CONNECTIONS', '1000001'],
    ['LIVE_MAX_SOCKETS_PER_SESSION', '0'],
    ['LIVE_MAX_SOCKETS_PER_ADDRESS', '100001'],
    ['LIVE_MAX_SNAPSHOTS_PER_SESSION', 'many'],
    ['MQTT_MAX_PACKET_BYTES', '63'],
    ['MQTT_MAX_PACKET_BYTES', '1048577'],
    ['MQTT_MAX_PACKET_BYTES', '4k'],
    ['MQTT_KEEPALIVE_LIMIT', '0'],
    ['MQTT_KEEPALIVE_LIMIT', '65536'],
    ['MQTT_CONNECT_TIMEOUT_MS', '99'],
    ['MQTT_CONNECT_TIMEOUT_MS', '60001'],
    ['MQTT_MAX_TOPIC_LEVELS', '2'],
    ['MQTT_MAX_TOPIC_LEVELS', '17'],
    ['MQTT_CONNECT_BURST', '0'],
    ['MQTT_CONNECT_BURST', '1000001'],
    ['MQTT_CONNECT_RATE', '0'],
    ['MQTT_CONNECT_RATE', '0.5'],
    ['MQTT_FAILED_LOGIN_BURST', '0'],
    ['MQTT_FAILED_LOGIN_BURST', '1000001'],
    ['MQTT_FAILED_LOGIN_RATE', '0'],
    ['MQTT_FAILED_LOGIN_RATE', '-1'],
    ['MQTT_MAX_CONNECTIONS', '0'],
    ['MQTT_MAX_CONNECTIONS', '1000001'],
    ['INGEST_BATCH_MAX', '0'],
    ['INGEST_BATCH_MAX', '100001'],
    ['REJECTED_KEEP_PER_DEVICE', '0'],
    ['REJECTED_WINDOW_SEC', '604801'],
    ['REJECTED_MAX_ROWS', '99'],
    ['REPORT_TIME', '7:00'],
    ['REPORT_TIME', '24:00'],
    ['REPORT_TIME', '07:60'],
    ['REPORT_TIMEZONE', 'Mars/Olympus'],
    ['REPORT_TIMEZONE', '+08:00'],
    ['BACKUP_TIME', '3.30'],
    ['BACKUP_KEEP', '0'],
    ['BACKUP_KEEP', '366'],
    ['RETAIN_EVENTS_MONTHS', '0'],
    ['RETAIN_REJECTED_MONTHS', '241'],
    ['RETAIN_AUDIT_MONTHS', 'forever'],
    ['RETENTION_TIME', '4:15'],
    ['PUBLIC_URL', 'ribbon.example.cn'],
    ['PUBLIC_URL', 'ftp://ribbon.example.cn'],
    ['PUBLIC_URL', 'mqtt://ribbon.example.cn'],
    ['PUBLIC_URL', 'https://ribbon.example.cn/?x=1'],
    ['PUBLIC_URL', 'https://ribbon.example.cn/?'],
    ['PUBLIC_URL', 'https://ribbon.example.cn/#top'],
    ['PUBLIC_URL', 'https://ribbon.example.cn#'],
    ['PUBLIC_URL', 'javascript:alert(1)'],
  ])('when %s=%j, then a ConfigError names the variable', (name, value) => {
    const err = thrown(() => loadConfig({ [name]: value }, CWD));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).name).toBe('ConfigError');
    expect((err as ConfigError).message.startsWith(`${name}=`)).toBe(true);
    expect((err as ConfigError).message).toContain(value);
  });

  it.each([
    'localhost:1883',
    'broker.example',
    'http://broker.example',
    'mqtt://:1883',
    'mqtt:broker',
    'http://user:s3cret@b',
  ])(
    'when MQTT_URL=%j, then a ConfigError names the variable without echoing the URL (it may hold a password)',
    (value) => {
      const err = thrown(() => loadConfig({ MQTT_URL: value }, CWD));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message.startsWith('MQTT_URL')).toBe(true);
      expect((err as ConfigError).message).not.toContain(value);
    },
  );

  it.each([
    ['PORT', '65536', 'PORT=65536 is out of range: expected a whole number from 0 to 65535'],
    ['PORT', 'http', 'PORT="http" is not valid: expected a whole number from 0 to 65535'],
    ['MQTT_MAX_AHEAD', '0', 'MQTT_MAX_AHEAD=0 is out of range: expected a whole number from 1 to 10000'],
    [
      'MQTT_MAX_PACKET_BYTES',
      '63',
      'MQTT_MAX_PACKET_BYTES=63 is out of range: expected a whole number from 64 to 1048576',
    ],
    [
      'LOG_LEVEL',
      'verbose',
      'LOG_LEVEL="verbose" is not valid: expected one of fatal, error, warn, info, debug, trace, silent',
    ],
    [
      'MQTT_URL',
      'http://b',
      'MQTT_URL with scheme "http:" is not valid: expected mqtt://host:port or mqtts://host:port',
    ],
    ['MQTT_URL', 'not a url', 'MQTT_URL is not a URL: expected mqtt://host:port or mqtts://host:port'],
    [
      'PUBLIC_URL',
      'https://x.cn/?a',
      'PUBLIC_URL="https://x.cn/?a" is not valid: expected http(s)://host[:port][/prefix], without ? or #',
    ],
    [
      'PUBLIC_URL',
      'https://ops:s3cret@x.cn',
      'PUBLIC_URL is not valid: expected http(s)://host[:port][/prefix], without ? or #, and no user or password',
    ],
    [
      'HTTP_HEADERS_TIMEOUT_MS',
      '70000',
      'HTTP_HEADERS_TIMEOUT_MS=70000 is out of range: expected at most HTTP_REQUEST_TIMEOUT_MS (60000)',
    ],
  ])('when %s=%j, then the message says what is accepted', (name, value, message) => {
    expect(() => loadConfig({ [name]: value }, CWD)).toThrow(new ConfigError(message));
  });
});

describe('loadConfig: the result is frozen', () => {
  it('when the config and its nested groups are checked, then each is frozen', () => {
    const config = loadConfig({}, CWD);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.broker)).toBe(true);
    expect(Object.isFrozen(config.ingest)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('when code tries to change a setting, then it throws and the value stays', () => {
    const config = loadConfig({}, CWD);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.broker as { maxPacketBytes: number }).maxPacketBytes = 1e9;
    }).toThrow(TypeError);
    expect(config.port).toBe(8080);
    expect(config.broker.maxPacketBytes).toBe(4096);
  });
});

describe('loadConfig: TLS', () => {
  it.each([{ TLS_CERT_FILE: 'c.pem' }, { TLS_KEY_FILE: 'k.pem' }])(
    'when only one TLS file is given (%j), then start-up stops naming both',
    (env) => {
      expect(() => loadConfig(env, CWD)).toThrow(/TLS_CERT_FILE and TLS_KEY_FILE go together/);
    },
  );

  it.each([{ MQTT_TLS_CERT_FILE: 'c.pem' }, { MQTT_TLS_KEY_FILE: 'k.pem' }])(
    'when only one MQTT TLS file is given (%j), then start-up stops naming both',
    (env) => {
      expect(() => loadConfig(env, CWD)).toThrow(/MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE go together/);
    },
  );

  it('when only the HTTPS pair is set, then MQTT over TLS uses it too and plain MQTT is off', () => {
    const config = loadConfig({ TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem' }, CWD);
    expect(config.mqttTls).toEqual({
      certFile: path.join(CWD, 'c.pem'),
      keyFile: path.join(CWD, 'k.pem'),
      names: 'TLS_CERT_FILE / TLS_KEY_FILE',
    });
    expect(config.mqttsPort).toBe(8883);
    expect(config.mqttPlain).toBe(false);
    expect(config.tls).toEqual({ certFile: path.join(CWD, 'c.pem'), keyFile: path.join(CWD, 'k.pem') });
  });

  it('when both pairs are set, then MQTT uses its own and HTTPS the other', () => {
    const config = loadConfig(
      { TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem', MQTT_TLS_CERT_FILE: 'mc.pem', MQTT_TLS_KEY_FILE: 'mk.pem' },
      CWD,
    );
    expect(config.mqttTls?.certFile).toBe(path.join(CWD, 'mc.pem'));
    expect(config.tls?.certFile).toBe(path.join(CWD, 'c.pem'));
  });

  it('when TLS is configured and MQTT_PLAIN=on, then both listeners open', () => {
    const config = loadConfig({ MQTT_TLS_CERT_FILE: 'c.pem', MQTT_TLS_KEY_FILE: 'k.pem', MQTT_PLAIN: 'on' }, CWD);
    expect(config.mqttPlain).toBe(true);
    expect(config.tls).toBeNull();
  });

  it('when MQTT_PLAIN=off without a certificate, then start-up stops: the broker would have no listener', () => {
    expect(() => loadConfig({ MQTT_PLAIN: 'off' }, CWD)).toThrow(
      /MQTT_PLAIN=off leaves the embedded broker no listener/,
    );
    // Behind an external broker the embedded one does not run: nothing to refuse.
    expect(loadConfig({ MQTT_PLAIN: 'off', MQTT_URL: 'mqtt://broker:1883' }, CWD).mqttPlain).toBe(false);
  });

  it('when both listeners would share one port, then start-up stops naming both', () => {
    expect(() =>
      loadConfig({ MQTT_TLS_CERT_FILE: 'c.pem', MQTT_TLS_KEY_FILE: 'k.pem', MQTT_PLAIN: 'on', MQTT_PORT: '8883' }, CWD),
    ).toThrow(/MQTT_PORT and MQTTS_PORT are both 8883/);
  });
});

describe('loadConfig: retention', () => {
  it('when the audit log would be kept shorter than the events, then the start stops naming both settings', () => {
    const err = thrown(() => loadConfig({ RETAIN_EVENTS_MONTHS: '36', RETAIN_AUDIT_MONTHS: '24' }, CWD));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      'RETAIN_AUDIT_MONTHS=24 is out of range: expected at least RETAIN_EVENTS_MONTHS (36)',
    );
  });
});
