import { describe, expect, it } from 'vitest';
import { client, loginAdmin } from '../../helpers/api.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// Retiring a device or rotating its secret over HTTP closes its live MQTT connection at once
// (docs/api.md): app.inject() for HTTP, a real socket to the embedded broker, a real SQLite file.

/** Well under the broker's keepalive and any reconnect: "at once", not at the next CONNECT. */
const AT_ONCE_MS = 2000;

function port(system: TestSystem): number {
  if (system.mqttAddress === null) throw new Error('no embedded broker');
  return system.mqttAddress.port;
}

async function world() {
  const system = await startTestSystem();
  const api = client(system.app, await loginAdmin(system.app));
  const creds = system.provision();
  const connect = (secret: string) =>
    RawMqtt.connect(port(system), { clientId: creds.id, username: creds.id, password: secret });
  const { raw, connack } = await connect(creds.secret);
  expect(connack.returnCode).toBe(0);
  return { system, api, creds, raw, connect };
}

describe('a device retired or rotated while connected', () => {
  it('when a staff member retires it, then its connection is closed at once and its reconnect is refused', async () => {
    const { api, creds, raw, connect } = await world();
    expect((await api('DELETE', `/api/devices/${creds.id}`)).statusCode).toBe(204);
    await raw.expectClosed(AT_ONCE_MS);
    expect((await connect(creds.secret)).connack.returnCode).toBe(4);
  });

  it('when its secret is rotated, then its connection is closed at once; the old secret is refused and the new one connects', async () => {
    const { system, api, creds, raw, connect } = await world();
    const rotated = await api('POST', `/api/devices/${creds.id}/rotate`);
    expect(rotated.statusCode).toBe(200);
    await raw.expectClosed(AT_ONCE_MS);
    expect((await connect(creds.secret)).connack.returnCode).toBe(4);
    const fresh = await connect((rotated.json() as { secret: string }).secret);
    expect(fresh.connack.returnCode).toBe(0);
    // The new connection works as before: a press is PUBACKed and stored.
    fresh.raw.send(fresh.raw.publish(`ribbon/${creds.id}/state`, '{"state":"blue","seq":1,"boot":1}', 1));
    await fresh.raw.next((p) => p.cmd === 'puback' && p.messageId === 1);
    expect(system.stores.events.listForDevice(creds.id).map((e) => e.state)).toEqual(['blue']);
  });

  it('when a device that is not connected is retired, then it answers 204 as before', async () => {
    const { system, api } = await world();
    const idle = system.provision();
    expect((await api('DELETE', `/api/devices/${idle.id}`)).statusCode).toBe(204);
  });
});
