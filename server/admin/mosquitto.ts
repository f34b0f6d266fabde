import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { ACK_CHANNEL, CONFIG_CHANNEL, DEVICE_CHANNELS, TOPIC_ROOT } from '../../protocol/mqtt.js';
import { serverAccounts } from '../ingest/external.js';

/**
 * Files for running devices through Mosquitto instead of the embedded broker (docs/external-broker.md).
 * Mosquitto checks credentials and ACLs there, so these mirror the embedded broker's rules.
 */

/** One password-file line in Mosquitto 2's PBKDF2-SHA512 format (`$7$`), as mosquitto_passwd writes it. */
export function mosquittoPasswordLine(username: string, password: string, iterations = 101): string {
  if (username.includes(':') || /\s/.test(username)) throw new RangeError('username must not contain ":" or spaces');
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `${username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * The ACL: each device (username = client id = device id) writes only its own state, heartbeat
 * and online topics and reads only its own ack and config; the server account reads every
 * device topic and writes every ack and config.
 */
export function mosquittoAcl(serverUser: string, connections = 1): string {
  const lines = [
    '# Ribbon Pact device ACL (written by `npm run admin -- mosquitto-acl`).',
    '# %u is the username, which must be the device id.',
    ...DEVICE_CHANNELS.map((channel) => `pattern write ${TOPIC_ROOT}/%u/${channel}`),
    `pattern read ${TOPIC_ROOT}/%u/${ACK_CHANNEL}`,
    `pattern read ${TOPIC_ROOT}/%u/${CONFIG_CHANNEL}`,
    '',
    // One account per connection of the server's (MQTT_CONNECTIONS); Mosquitto checks a shared
    // subscription ($share/ribbon/ribbon/+/state) against the topic after the group.
    ...serverAccounts(serverUser, connections).flatMap((user) => [
      `user ${user}`,
      ...DEVICE_CHANNELS.map((channel) => `topic read ${TOPIC_ROOT}/+/${channel}`),
      `topic write ${TOPIC_ROOT}/+/${ACK_CHANNEL}`,
      `topic write ${TOPIC_ROOT}/+/${CONFIG_CHANNEL}`,
      '',
    ]),
  ];
  return lines.join('\n');
}
