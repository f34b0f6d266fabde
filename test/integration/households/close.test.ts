import { describe, expect, it } from 'vitest';
import { closeHousehold } from '../../../server/app/households.js';
import { castWorld, client, COMPOUND_A, login, loginAdmin } from '../../helpers/api.js';
import { RawMqtt } from '../../helpers/raw-mqtt.js';
import type { TestSystem } from '../../helpers/system.js';

// Closing a household (issue 15): POST /api/households/:id/close as staff would, on a manual
// clock with the sweep driven by the test, a real SQLite file and a real MQTT socket.

const T0 = Date.parse('2026-11-25T09:00:00+08:00');
const DAY = 86_400_000;

type HouseholdBody = {
  id: number;
  closed: { at: string; on: string; reason: string; note: string } | null;
  anonymised: boolean;
  checkInDueAt: string | null;
  devices: unknown[];
};

function connect(system: TestSystem, device: { id: string; secret: string }) {
  if (system.mqttAddress === null) throw new Error('no broker');
  return RawMqtt.connect(system.mqttAddress.port, {
    clientId: device.id,
    username: device.id,
    password: device.secret,
  });
}

describe('closing a household', () => {
  it('when staff close it, then its check-ins stop, its devices are refused, its alerts are resolved, it leaves the lists and counts, and its history stays', async () => {
    const { system, clock, staff: staffBefore, cast } = await castWorld(T0);
    let staff = staffBefore;
    const device = system.provision({ compound: COMPOUND_A, room: '501' });
    const id = device.householdId;
    const { raw } = await connect(system, device);
    raw.send(raw.publish(`ribbon/${device.id}/state`, '{"state":"yellow","seq":1,"boot":1}', 1));
    await raw.next((p) => p.cmd === 'puback' && p.messageId === 1);
    const service = system.stores.alerts.findOpen(id, 'service');
    expect(service).not.toBeNull();
    const countsBefore = system.stores.areas.compoundCounts([cast.compoundA.id])[0]?.households;

    const res = await staff('POST', `/api/households/${id}/close`, {
      reason: 'moved_out',
      on: '2026-11-24',
      note: '随子女',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as HouseholdBody;
    expect(body.closed).toEqual({
      at: new Date(T0).toISOString(),
      on: '2026-11-24',
      reason: 'moved_out',
      note: '随子女',
    });
    expect(body).toMatchObject({ anonymised: false, checkInDueAt: null, devices: [] });
    // Its connection closed at once, its reconnect refused.
    await raw.expectClosed(2000);
    expect((await connect(system, device)).connack.returnCode).toBe(4);
    // The open service request is resolved with the note, by the person who closed it.
    expect(system.stores.alerts.get(service?.id ?? 0)).toMatchObject({
      status: 'resolved',
      resolutionNote: '住户已注销',
      resolvedBy: '王主任',
    });
    // Days of silence raise nothing.
    clock.ms += 3 * DAY;
    system.sweepNow();
    expect(system.stores.alerts.findOpen(id, 'missed_checkin')).toBeNull();
    // (the session has expired meanwhile)
    staff = client(system.app, await login(system.app, cast.users.staffA.username));
    // A schedule change cannot set a due time again.
    expect((await staff('PATCH', `/api/households/${id}`, { checkin: { deadline: '10:00' } })).statusCode).toBe(200);
    expect(system.stores.places.schedule(id)?.checkInDueAt).toBeNull();
    // Off the default list and the counts; on the closed list.
    const open = (await staff('GET', '/api/households')).json() as { items: HouseholdBody[] };
    expect(open.items.map((h) => h.id)).not.toContain(id);
    const closed = (await staff('GET', '/api/households?closed=true')).json() as { items: HouseholdBody[] };
    expect(closed.items.map((h) => h.id)).toEqual([id]);
    const all = (await staff('GET', '/api/households?closed=all')).json() as { items: HouseholdBody[] };
    expect(all.items.map((h) => h.id)).toContain(id);
    expect(system.stores.areas.compoundCounts([cast.compoundA.id])[0]?.households).toBe((countsBefore ?? 0) - 1);
    // History: the household and its events are still readable.
    expect((await staff('GET', `/api/households/${id}`)).statusCode).toBe(200);
    const events = (await staff('GET', `/api/households/${id}/events`)).json() as { items: Array<{ state: string }> };
    expect(events.items.map((e) => e.state)).toEqual(['yellow']);
    // A person's report on it is refused; closing twice too.
    expect((await staff('POST', `/api/households/${id}/reports`, { state: 'blue' })).statusCode).toBe(409);
    expect((await staff('POST', `/api/households/${id}/close`, { reason: 'other', on: '2026-11-24' })).statusCode).toBe(
      409,
    );
  });

  it('when an emergency is open, then the close is refused with 409 (zh+en), and nothing changes', async () => {
    const { system, staff, cast } = await castWorld(T0);
    const id = cast.householdA;
    system.recordPersonReport({ householdId: id, state: 'red', note: null, by: 'test', idempotencyKey: null });
    const res = await staff('POST', `/api/households/${id}/close`, { reason: 'passed_away', on: '2026-11-25' });
    expect(res.statusCode, res.body).toBe(409);
    const error = (res.json() as { error: { code: string; message: string; details: unknown } }).error;
    expect(error.code).toBe('RIBBON_ERR_CONFLICT');
    expect(error.message).toMatch(/紧急求助.*\/ .*emergency/);
    expect(error.details).toEqual([{ householdId: id }]);
    expect(system.stores.places.getHousehold(id)?.closed).toBeNull();
    expect(system.stores.devices.forHousehold(id)).toHaveLength(1);
  });

  it('when the reason or the date is not valid, then 400', async () => {
    const { staff, cast } = await castWorld(T0);
    const at = `/api/households/${cast.householdA}/close`;
    expect((await staff('POST', at, { reason: 'gone', on: '2026-11-24' })).statusCode).toBe(400);
    expect((await staff('POST', at, { reason: 'other', on: '2026-02-30' })).statusCode).toBe(400);
    expect((await staff('POST', at, { reason: 'other', on: '2026-11-26' })).statusCode).toBe(400);
  });

  it('when an admin reopens a closed household, then it is open again, its check-in counted from now, its devices still retired', async () => {
    const { system, clock, staff, cast } = await castWorld(T0);
    const id = cast.householdA;
    expect((await staff('POST', `/api/households/${id}/close`, { reason: 'other', on: '2026-11-25' })).statusCode).toBe(
      200,
    );
    expect((await staff('POST', `/api/households/${id}/reopen`)).statusCode).toBe(403);
    clock.ms += 5 * DAY;
    const admin = client(system.app, await loginAdmin(system.app));
    const res = await admin('POST', `/api/households/${id}/reopen`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ closed: null, devices: [] });
    const due = system.stores.places.schedule(id)?.checkInDueAt ?? 0;
    expect(due).toBeGreaterThan(clock.ms);
    system.sweepNow();
    expect(system.stores.alerts.findOpen(id, 'missed_checkin')).toBeNull();
    expect((await admin('POST', `/api/households/${id}/reopen`)).statusCode).toBe(409);
  });
});

describe('a closed household’s button still connected', () => {
  it('when the CLI closed the household while its button was connected to the server, then its press is kept raw (not a press of anyone), its connection closed, and no alert raised on the closed household', async () => {
    const { system } = await castWorld(T0);
    const device = system.provision({ compound: COMPOUND_A, room: '601' });
    const { raw } = await connect(system, device);
    // As the admin CLI closes it, from another process: the server is not told to disconnect it.
    const closed = closeHousehold(system.stores, device.householdId, { reason: 'passed_away', on: '2026-11-25' }, T0);
    expect(closed.ok).toBe(true);
    raw.send(raw.publish(`ribbon/${device.id}/state`, '{"state":"red","seq":1,"boot":1}', 1));
    await raw.expectClosed(2000);
    expect(system.stores.events.listForDevice(device.id)).toEqual([]);
    expect(system.stores.rejected.listForDevice(device.id).map((r) => r.reason)).toEqual(['retired device']);
    expect(system.stores.alerts.list({ householdId: device.householdId })).toEqual([]);
  });
});
