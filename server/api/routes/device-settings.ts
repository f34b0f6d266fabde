import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StoredDeviceSettings } from '../../app/ports-device-settings.js';
import type { Stores, User } from '../../app/ports.js';
import {
  BUILT_IN_DEVICE_SETTINGS,
  checkDeviceSettings,
  DEVICE_SETTING_BOUNDS,
  type DeviceSettingsScope,
  resolveDeviceSettings,
} from '../../domain/device-settings.js';
import { AppError } from '../../errors.js';
import { editsCompound, requireRole, seesCompound, userOf } from '../auth.js';
import { iso } from '../views.js';

export type DeviceSettingsDeps = {
  stores: Stores;
  now: () => number;
  /** Tells the safety core a row changed (server/lanes/link.ts); absent in app-only tests. */
  applyDeviceSettings?: (scope: DeviceSettingsScope) => Promise<{ told: number }>;
};

const Seconds = Type.Union([Type.Integer(), Type.Null()]);
const Model = Type.Union([Type.String({ maxLength: 64 }), Type.Null()]);
const CompoundId = Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]);
const ScopeQuery = Type.Object(
  {
    compoundId: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,14}$' })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const OUT_OF_SCOPE =
  '不在您的管辖范围：只能设置您所负责小区的设备 / out of your scope: you may set only your own compounds';
const ADMINS_ONLY =
  '按型号或全局的默认设置只能由管理员修改 / only an admin may set the default or a model-wide setting';

function view(row: StoredDeviceSettings, stores: Stores, user: User) {
  return {
    compoundId: row.compoundId,
    compoundName: row.compoundId === null ? null : (stores.places.getCompound(row.compoundId)?.name ?? null),
    model: row.model,
    heartbeatSec: row.heartbeatSec,
    graceSec: row.graceSec,
    updatedAt: iso(row.updatedAt),
    updatedBy: row.updatedBy,
    editable: mayChange(user, row),
  };
}

function mayChange(user: User, scope: DeviceSettingsScope): boolean {
  return scope.compoundId === null ? user.role === 'admin' : editsCompound(user, scope.compoundId);
}

/** 403 unless this user may change rows of this scope (docs/api.md, "Device settings"). */
function assertMayChange(user: User, scope: DeviceSettingsScope): void {
  if (scope.compoundId === null) {
    if (user.role !== 'admin') throw new AppError('forbidden', ADMINS_ONLY);
  } else if (!seesCompound(user, scope.compoundId)) {
    throw new AppError('forbidden', OUT_OF_SCOPE);
  } else if (!editsCompound(user, scope.compoundId)) {
    throw new AppError('readOnly');
  }
}

function scopeOf(q: { compoundId?: string; model?: string }): DeviceSettingsScope {
  return { compoundId: q.compoundId === undefined ? null : Number(q.compoundId), model: q.model ?? null };
}

/**
 * Device settings (docs/api.md, "Device settings"; docs/rules.md): heartbeat interval and offline
 * grace per compound, model, both, or default. Staff set their own compounds' rows (with or
 * without a model); admins set any, and alone the model-wide and default rows. Each change is
 * committed here, audited, and then told to the safety core, which gives the devices it reaches
 * their new interval (ribbon/{id}/config) — the core caches nothing of this table.
 */
export const deviceSettingsRoutes: FastifyPluginAsyncTypebox<DeviceSettingsDeps> = async (app, deps) => {
  const { stores, now } = deps;

  app.get(
    '/device-settings',
    {
      schema: {
        tags: ['devices'],
        summary:
          'Device settings rows you may see (your compounds, the model-wide and default rows), with the bounds and built-in values',
      },
    },
    async (request) => {
      const user = userOf(request);
      const rows = stores.deviceSettings.list(user.role === 'admin' ? null : user.compoundIds);
      return {
        items: rows.map((r) => view(r, stores, user)),
        next: null,
        builtIn: BUILT_IN_DEVICE_SETTINGS,
        bounds: DEVICE_SETTING_BOUNDS,
      };
    },
  );

  app.get(
    '/device-settings/effective',
    {
      schema: {
        tags: ['devices'],
        summary: 'The settings a device in this compound reporting this model gets, and where each value comes from',
        querystring: ScopeQuery,
      },
    },
    async (request) => {
      const user = userOf(request);
      const scope = scopeOf(request.query);
      if (scope.compoundId !== null && !seesCompound(user, scope.compoundId))
        throw new AppError('forbidden', OUT_OF_SCOPE);
      return resolveDeviceSettings(scope, stores.deviceSettings.candidates(scope));
    },
  );

  app.put(
    '/device-settings',
    {
      schema: {
        tags: ['devices'],
        summary:
          'Set the row of a scope (compoundId and/or model; both null = the default): heartbeatSec 60–86400, graceSec 60–3600, null = from the next row down',
        body: Type.Object(
          { compoundId: CompoundId, model: Model, heartbeatSec: Seconds, graceSec: Seconds },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'staff');
      const body = request.body;
      const problems = checkDeviceSettings(body);
      if (problems.length > 0)
        throw new AppError(
          'validation',
          problems.map((p) => p.message).join('；'),
          problems.map((p) => ({ path: `body.${p.field}`, message: p.message })),
        );
      const scope = { compoundId: body.compoundId, model: body.model };
      assertMayChange(user, scope);
      if (scope.compoundId !== null && stores.places.getCompound(scope.compoundId) === null)
        throw new AppError('notFound', `小区 #${scope.compoundId} 不存在 / compound ${scope.compoundId} not found`);
      stores.deviceSettings.set(
        { ...scope, heartbeatSec: body.heartbeatSec, graceSec: body.graceSec },
        user.username,
        now(),
      );
      request.auditRecord = auditRecord(
        scope,
        `heartbeat ${body.heartbeatSec ?? '-'} s, grace ${body.graceSec ?? '-'} s`,
      );
      const applied = (await deps.applyDeviceSettings?.(scope)) ?? { told: 0 };
      const row = stores.deviceSettings.get(scope);
      return { ...(row ? view(row, stores, user) : {}), devicesTold: applied.told };
    },
  );

  app.delete(
    '/device-settings',
    {
      schema: {
        tags: ['devices'],
        summary: "Remove a scope's row (its devices fall back to the next row down)",
        querystring: ScopeQuery,
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'staff');
      const scope = scopeOf(request.query);
      assertMayChange(user, scope);
      if (!stores.deviceSettings.remove(scope)) throw new AppError('notFound', '没有这项设置 / no such setting');
      request.auditRecord = auditRecord(scope, 'removed');
      await deps.applyDeviceSettings?.(scope);
      return reply.code(204).send();
    },
  );
};

function auditRecord(scope: DeviceSettingsScope, what: string): string {
  const where = [
    scope.compoundId === null ? null : `compound ${scope.compoundId}`,
    scope.model === null ? null : `model ${scope.model}`,
  ].filter((x) => x !== null);
  return `device-settings:${where.length === 0 ? 'default' : where.join(' ')}: ${what}`;
}
