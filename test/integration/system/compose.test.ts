import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../../server/config.js';
import { composeSystem } from '../../../server/system.js';
import { freePort } from '../../helpers/child-server-core.js';
import { captureLogs, TEST_ADMIN_PASSWORD, tempDir } from '../../helpers/system.js';

// The composition root builds without listening; main.ts then listens (issue 11: "a
// composition root that only wires; main.ts listens").

/** Whether something accepts a TCP connection on 127.0.0.1:port now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function configWithPorts() {
  const [http, mqtt] = [await freePort(), await freePort()];
  const dataDir = tempDir();
  const config = loadConfig({
    PORT: String(http),
    MQTT_PORT: String(mqtt),
    DATA_DIR: dataDir,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
  });
  return { config, http, mqtt, dataDir };
}

describe('composeSystem', () => {
  it('when the system is composed, then nothing listens until listen(), and after stop() nothing does again', async () => {
    const { config, http, mqtt } = await configWithPorts();
    const composed = await composeSystem(config, { log: captureLogs().log, scheduler: false });
    onTestFinished(() => composed.stop());

    expect([await accepts(http), await accepts(mqtt)]).toEqual([false, false]);
    const system = await composed.listen();
    expect([system.httpAddress.port, system.mqttAddress?.port]).toEqual([http, mqtt]);
    expect([await accepts(http), await accepts(mqtt)]).toEqual([true, true]);

    await system.stop();
    expect([await accepts(http), await accepts(mqtt)]).toEqual([false, false]);
  });

  it('when the HTTP port is taken, then listen() fails and the broker that was already listening is closed again', async () => {
    const { config, http, mqtt } = await configWithPorts();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(http, '127.0.0.1', () => resolve()));
    onTestFinished(() => new Promise<void>((resolve) => squatter.close(() => resolve())));

    const composed = await composeSystem(config, { log: captureLogs().log, scheduler: false });
    await expect(composed.listen()).rejects.toThrow(/EADDRINUSE/);
    // The broker had started listening before HTTP failed: it is closed again.
    expect(await accepts(mqtt)).toBe(false);
  });
});
