import type { Config } from './config.js';

/**
 * What the operator reads when a port cannot be opened at start (`npm start`, `npm run demo`):
 * the variable that chose it and what to do. Null when the error is not a failed listen. The
 * error is Node's own (`listen EADDRINUSE …`), carrying the port and address it was for.
 */
export function listenFailureMessage(
  err: unknown,
  config: Pick<Config, 'host' | 'port' | 'mqttPort' | 'mqttsPort' | 'mqttTls' | 'mqttPlain' | 'mqttUrl'>,
): string | null {
  if (!(err instanceof Error)) return null;
  const { code, syscall, port } = err as Error & { code?: unknown; syscall?: unknown; port?: unknown };
  if (syscall !== 'listen' || typeof port !== 'number') return null;
  const names = [
    ...(port === config.port ? ['PORT'] : []),
    ...(config.mqttUrl === null && config.mqttPlain && port === config.mqttPort ? ['MQTT_PORT'] : []),
    ...(config.mqttUrl === null && config.mqttTls !== null && port === config.mqttsPort ? ['MQTTS_PORT'] : []),
  ];
  const which = `${names.length > 0 ? names.join(' and ') : 'port'}=${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `${which} is already in use on ${config.host}: another program (or another ribbon-pact) listens there; stop it, or choose another port`;
    case 'EACCES':
      return `${which} may not be opened by this user on ${config.host}: choose a port above 1023, or grant the right to bind it`;
    case 'EADDRNOTAVAIL':
      return `HOST=${config.host} is not an address of this machine (for ${which})`;
    default:
      return `${which} could not be opened on ${config.host}: ${err.message}`;
  }
}
