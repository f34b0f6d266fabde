import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type LabelConnect, labelPayload } from '../../../protocol/label.js';
import type { Announcer } from '../../app/announce.js';
import { generateSecret, hashSecret } from '../../app/device-credentials.js';
import { moveDevice } from '../../app/households.js';
import type { ListedDevice } from '../../app/ports-households.js';
import type { Stores, User } from '../../app/ports.js';
import { provisionDevice } from '../../app/provision.js';
import { AppError } from '../../errors.js';
import { assertEdits, requireRole, seesCompound, userOf } from '../auth.js';
import { limitOf, PageQuery } from '../paging.js';
import { iso } from '../views.js';
import { refusalError } from './household-schemas.js';

const DeviceParams = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{2,22}$' }) },
  { additionalProperties: false },
);
const Connect = Type.Object({ host: Type.String(), port: Type.Integer(), tls: Type.Boolean() });
const Issued = Type.Object({
  id: Type.String(),
  secret: Type.String(),
  householdId: Type.Integer(),
  connect: Connect,
  label: Type.String(),
});

/** Where a button connects: PUBLIC_MQTT_HOST (null: the host name the request came to) and the MQTT port. */
export function connectFor(mqtt: { host: string | null; port: number; tls: boolean }, hostname: string): LabelConnect {
  return { host: mqtt.host ?? hostname, port: mqtt.port, tls: mqtt.tls };
}

/** A device's secret as answered once: with where it connects and the installer's label text (protocol/label.ts). */
function issued(device: { id: string; secret: string; householdId: number }, connect: LabelConnect) {
  return { ...device, connect, label: labelPayload(connect, device) };
}
const IdQuery = Type.String({ pattern: '^[1-9][0-9]{0,14}$' });

export type DeviceDeps = {
  stores: Stores;
  now: () => number;
  commit: Announcer['commit'];
  /**
   * Where a button connects: PUBLIC_MQTT_HOST (null: the host name the request came to), the
   * port, and whether over TLS (then the port is MQTTS_PORT).
   */
  mqtt: { host: string | null; port: number; tls: boolean };
  /** Closes a device's live connection (the safety core's broker); absent in app-only tests. */
  disconnectDevice?: (deviceId: string) => void;
};

/** A device as GET /api/devices lists it. */
export function listedDeviceView(d: ListedDevice) {
  return {
    id: d.id,
    householdId: d.householdId,
    online: d.online,
    battery: d.battery,
    lastSeenAt: iso(d.lastSeenAt),
    retiredAt: iso(d.retiredAt),
    createdAt: iso(d.createdAt),
    model: d.model,
    firmware: d.firmware,
    ...(d.place ? { household: d.place } : {}),
  };
}

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')]);

/**
 * Devices (buttons) staff manage: list, provision, rotate, retire, move to another household.
 * Provisioning and rotating answer the secret (shown only then) and where the button connects —
 * the installer's QR label holds `{"v":1,"host","port","tls","id","secret"}` (docs/protocol.md).
 * Nothing of the device is cached on the press path (ingest reads devices.findForAuth per
 * message), so a move takes effect at the next press; its connection is closed all the same.
 */
export const deviceRoutes: FastifyPluginAsyncTypebox<DeviceDeps> = async (app, deps) => {
  const { stores, now, disconnectDevice } = deps;
  const connect = (hostname: string) => connectFor(deps.mqtt, hostname);

  /** The household if this user may change it: 404 unseen, 403 read-only. */
  const householdIn = (user: User, id: number) => {
    const h = stores.places.getHousehold(id);
    if (h === null || !seesCompound(user, h.compoundId)) throw new AppError('notFound', `household ${id} not found`);
    assertEdits(user, h.compoundId);
    return h;
  };
  const deviceIn = (user: User, id: string) => {
    const device = stores.devices.get(id);
    const h = device ? stores.places.getHousehold(device.householdId) : null;
    if (device === null || device.retiredAt !== null || h === null || !seesCompound(user, h.compoundId))
      throw new AppError('notFound', `device ${id} not found`);
    assertEdits(user, h.compoundId);
    return device;
  };

  app.get(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Devices of the households you may see, by id; retired ones only with retired=true',
        querystring: Type.Object(
          {
            householdId: Type.Optional(IdQuery),
            compoundId: Type.Optional(IdQuery),
            retired: Type.Optional(Bool),
            model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            online: Type.Optional(Bool),
            lowBattery: Type.Optional(Type.Literal('true')),
            sort: Type.Optional(
              Type.Union([Type.Literal('id'), Type.Literal('lastSeen'), Type.Literal('-lastSeen')], {
                description:
                  'id (the default); lastSeen: longest silent first (never seen first); -lastSeen: newest first',
              }),
            ),
            limit: PageQuery.limit,
            cursor: PageQuery.cursor,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const user = userOf(request);
      const q = request.query;
      const limit = limitOf(q.limit);
      // Device ids are text: the cursor holds the last id and last seen (paging.ts's cursors hold numbers).
      const sort = q.sort ?? 'id';
      const after = q.cursor === undefined ? { id: sort === '-lastSeen' ? '\uffff' : '' } : cursorOf(q.cursor);
      const rows = stores.households.pageDevices(
        {
          compoundIds: user.role === 'admin' ? null : user.compoundIds,
          ...(q.householdId ? { householdId: Number(q.householdId) } : {}),
          ...(q.compoundId ? { compoundId: Number(q.compoundId) } : {}),
          retired: q.retired === 'true',
          ...(q.model !== undefined ? { model: q.model } : {}),
          ...(q.online !== undefined ? { online: q.online === 'true' } : {}),
          ...(q.lowBattery === 'true' ? { lowBattery: true } : {}),
          sort,
        },
        after,
        limit + 1,
      );
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(listedDeviceView),
        next:
          rows.length > limit && last !== undefined
            ? Buffer.from(JSON.stringify({ id: last.id, seen: last.lastSeenAt ?? 0 })).toString('base64url')
            : null,
      };
    },
  );

  app.get(
    '/devices/models',
    {
      schema: {
        tags: ['devices'],
        summary: "The models the devices in use of your compounds report (the inventory's filter)",
      },
    },
    async (request) => {
      const user = userOf(request);
      return { items: stores.households.deviceModels(user.role === 'admin' ? null : user.compoundIds) };
    },
  );

  app.post(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        summary:
          'Provision a device for a household (staff, admin); the secret is shown only here, with where the button connects',
        body: Type.Object({ householdId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
        response: { 201: Issued },
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const h = householdIn(user, request.body.householdId);
      if (h.closed !== null) throw new AppError('conflict', `住户 #${h.id} 已注销 / household #${h.id} is closed`);
      const device = provisionDevice(stores, h.id, now());
      request.auditRecord = `device:${device.id}`;
      return reply.code(201).send(issued({ ...device, householdId: h.id }, connect(request.hostname)));
    },
  );

  app.post(
    '/devices/:id/rotate',
    {
      schema: {
        tags: ['devices'],
        summary: 'A new secret for a device (staff, admin); the old one stops working',
        params: DeviceParams,
        response: { 200: Issued },
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const device = deviceIn(user, request.params.id);
      const secret = generateSecret();
      stores.devices.rotateSecret(device.id, hashSecret(secret));
      // The old secret is refused from the next CONNECT: make that now.
      disconnectDevice?.(device.id);
      request.auditRecord = `device:${device.id}`;
      return issued({ id: device.id, secret, householdId: device.householdId }, connect(request.hostname));
    },
  );

  app.patch(
    '/devices/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'Move a device to another household (staff of both compounds, admin); its connection is closed',
        params: DeviceParams,
        body: Type.Object({ householdId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const device = deviceIn(user, request.params.id);
      const to = householdIn(user, request.body.householdId);
      deps.commit((announce) => {
        const moved = moveDevice(stores, device.id, to.id);
        if (!moved.ok) throw refusalError(moved);
        // Offline until it connects again: its connection is closed below.
        announce({ type: 'device', deviceId: device.id, householdId: to.id, online: false, at: now() });
      });
      disconnectDevice?.(device.id);
      request.auditRecord = `device:${device.id}:household ${device.householdId} → ${to.id}`;
      const moved = stores.households.device(device.id);
      return moved ? listedDeviceView(moved) : null;
    },
  );

  app.delete(
    '/devices/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'Retire a device (staff, admin): it can no longer connect',
        params: DeviceParams,
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const device = deviceIn(user, request.params.id);
      stores.devices.retire(device.id, now());
      // Stored first, so the device's reconnect is refused (docs/protocol.md §3).
      disconnectDevice?.(device.id);
      request.auditRecord = `device:${device.id}`;
      return reply.code(204).send();
    },
  );
};

/** The device id and last seen a cursor of this list holds; 400 for anything this server did not give out. */
function cursorOf(raw: string): { id: string; seen?: number } {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { id?: unknown; seen?: unknown };
    if (typeof value.id === 'string' && value.id.length <= 23)
      return Number.isSafeInteger(value.seen) ? { id: value.id, seen: value.seen as number } : { id: value.id };
  } catch {
    // fall through
  }
  throw new AppError('validation', undefined, [
    { path: 'querystring.cursor', message: 'is not a cursor this server gave out' },
  ]);
}
