import { describe, expect, it } from 'vitest';
import { createRecordMessages } from '../../../server/app/record-messages.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// A device retired between its CONNECT and its PUBLISH, through the embedded broker: real TCP,
// real SQLite file. Its press is never PUBACKed without being kept (docs/protocol.md §3).

function port(system: TestSystem): number {
  if (system.mqttAddress === null) throw new Error('no embedded broker');
  return system.mqttAddress.port;
}

async function connected(system: TestSystem) {
  const creds = system.provision();
  const { raw, connack } = await RawMqtt.connect(port(system), {
    clientId: creds.id,
    username: creds.id,
    password: creds.secret,
  });
  expect(connack.returnCode).toBe(0);
  return { creds, raw };
}

function count(system: TestSystem, sql: string, ...params: unknown[]): number {
  return (system.stores.db.prepare(sql).get(...params) as { n: number }).n;
}

describe('a device retired while connected (embedded broker)', () => {
  it('when it presses red after it was retired, then it gets no PUBACK and its connection is closed, and the press is kept in the rejected log with a device alert on its household', async () => {
    const system = await startTestSystem();
    const { creds, raw } = await connected(system);
    // Retired straight in the store: the connection opened before stays up (the race of the issue).
    expect(system.stores.devices.retire(creds.id, Date.now())).toBe(true);

    raw.send(raw.publish(`ribbon/${creds.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    await raw.expectClosed();
    expect(raw.packets.filter((p) => p.cmd === 'puback')).toEqual([]);

    expect(count(system, 'SELECT count(*) AS n FROM events WHERE device_id = ?', creds.id)).toBe(0);
    const kept = system.stores.rejected.listForDevice(creds.id);
    expect(kept.map((r) => ({ reason: r.reason, payload: r.payload.toString() }))).toEqual([
      { reason: 'retired device', payload: '{"state":"red","seq":1,"boot":1}' },
    ]);
    const alert = system.stores.alerts.findOpen(creds.householdId, 'device');
    expect(alert?.reason).toContain(creds.id);
    expect(system.logs.lines.some((l) => /kept in the rejected log/.test(l.msg))).toBe(true);

    // It cannot come back: a retired device is refused at CONNECT.
    const again = await RawMqtt.connect(port(system), {
      clientId: creds.id,
      username: creds.id,
      password: creds.secret,
    });
    expect(again.connack.returnCode).toBe(4);
  });

  it('when a retired device sends a heartbeat, then it gets no PUBACK and nothing is kept, and the presses of other devices are PUBACKed as before', async () => {
    const system = await startTestSystem();
    const retired = await connected(system);
    const other = await connected(system);
    system.stores.devices.retire(retired.creds.id, Date.now());

    retired.raw.send(retired.raw.publish(`ribbon/${retired.creds.id}/heartbeat`, '{"battery":80}', 1));
    other.raw.send(other.raw.publish(`ribbon/${other.creds.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    await retired.raw.expectClosed();
    expect(retired.raw.packets.filter((p) => p.cmd === 'puback')).toEqual([]);
    expect(count(system, 'SELECT count(*) AS n FROM rejected_messages')).toBe(0);
    await other.raw.next((p) => p.cmd === 'puback' && p.messageId === 1);
    expect(count(system, 'SELECT count(*) AS n FROM events WHERE device_id = ?', other.creds.id)).toBe(1);
  });
});

describe('a device never registered here (behind an external broker)', () => {
  it('when its press reaches the server, then nothing of it is kept and no alert is raised (docs/design.md §4: nothing from an unknown device is kept)', async () => {
    const system = await startTestSystem({ scheduler: false });
    const record = createRecordMessages(system.stores, system.alerting);
    const payload = Buffer.from('{"state":"red","seq":1,"boot":1}');
    const [outcome] = record.recordBatch([
      {
        deviceId: 'rp-never-registered',
        channel: 'state',
        topic: 'ribbon/rp-never-registered/state',
        payload,
        receivedAt: Date.now(),
      },
    ]);
    expect(outcome).toMatchObject({ type: 'unknown-device', rejectedId: null, alerts: [] });
    expect(count(system, 'SELECT count(*) AS n FROM rejected_messages')).toBe(0);
    expect(system.stores.alerts.list({})).toEqual([]);
  });
});
