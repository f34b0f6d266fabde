import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { seedDistrict } from '../../../server/demo/seed.js';
import { client, loginAdmin, type InjectResponse } from '../../helpers/api.js';
import { startTestSystem, type TestSystem } from '../../helpers/system.js';

// The OpenAPI document describes every answer (issue 15, point 7), and truly: real answers of a
// seeded district (server/demo/seed.ts), taken through app.inject() as the admin, are validated
// with ajv against the schema the document gives for their operation and status.

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };
type Doc = { paths: Record<string, Record<string, Operation>> };

async function documentOf(s: TestSystem): Promise<Doc> {
  const res = await s.app.inject({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  return res.json() as Doc;
}

function schemaFor(doc: Doc, method: string, path: string, status: number): unknown {
  const op = doc.paths[path]?.[method.toLowerCase()];
  expect(op, `${method} ${path} is documented`).toBeDefined();
  const response = op?.responses?.[String(status)];
  expect(response, `${method} ${path} documents ${status}`).toBeDefined();
  const schema = response?.content?.['application/json']?.schema;
  expect(schema, `${method} ${path} ${status} has a JSON schema`).toBeDefined();
  return schema;
}

describe('the OpenAPI document', () => {
  it('when read, then every operation documents a successful answer with its schema and the errors it may give', async () => {
    const s = await startTestSystem({ scheduler: false });
    const doc = await documentOf(s);
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, path, op })),
    );
    expect(operations.length).toBeGreaterThan(50);
    const problems: string[] = [];
    for (const { name, path, op } of operations) {
      const responses = op.responses ?? {};
      const ok = Object.entries(responses).filter(([code]) => /^2\d\d$/.test(code));
      if (ok.length === 0) problems.push(`${name}: no 2xx answer`);
      for (const [code, r] of ok) {
        if (code === '204') continue;
        const content = Object.values(r.content ?? {});
        if (content.length === 0 || content.some((c) => c.schema === undefined))
          problems.push(`${name} ${code}: no schema`);
        // Swagger's placeholder for a route that says nothing: an empty schema.
        else if (content.some((c) => JSON.stringify(c.schema) === '{}')) problems.push(`${name} ${code}: empty schema`);
      }
      for (const code of ['400', '500', ...(path.startsWith('/api/') ? ['401', '403'] : [])]) {
        // CSV routes say their errors in the type they produce: any content type, the error's shape.
        const content = Object.values(responses[code]?.content ?? {})[0];
        const schema = content?.schema as { properties?: object } | undefined;
        if (path.startsWith('/hooks/') && code === '400') continue;
        if (schema?.properties === undefined || !('error' in schema.properties))
          problems.push(`${name}: no ${code} error`);
      }
      if (path.includes('{') && responses['404'] === undefined) problems.push(`${name}: no 404`);
    }
    expect(problems).toEqual([]);
  });

  it('when real answers of a seeded district are checked against it, then each matches its documented schema', async () => {
    const s = await startTestSystem({ scheduler: false });
    await seedDistrict(s.stores, { now: Date.now(), seed: 7 });
    const doc = await documentOf(s);
    const admin = client(s.app, await loginAdmin(s.app));
    const ajv = new Ajv({ strict: false, allErrors: true });
    const checked: string[] = [];

    /** Calls the route and validates its answer against the document; returns the body. */
    // biome-ignore lint/suspicious/noExplicitAny: the answers are read as the test walks them
    async function check(method: string, path: string, url: string, payload?: unknown): Promise<any> {
      const res: InjectResponse = await admin(method as 'GET', url, payload);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(500);
      const schema = schemaFor(doc, method, path, res.statusCode);
      const valid = ajv.validate(schema as object, res.json());
      expect(valid, `${method} ${url} ${res.statusCode}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
      checked.push(`${method} ${path} ${res.statusCode}`);
      return res.json();
    }

    const households = await check('GET', '/api/households', '/api/households?limit=5');
    const h = households.items[0].id as number;
    await check('GET', '/api/households/{id}', `/api/households/${h}`);
    await check('POST', '/api/households/{id}/reports', `/api/households/${h}/reports`, { state: 'red' });
    await check('POST', '/api/households/{id}/visits', `/api/households/${h}/visits`, { seen: 'none', note: '看过' });
    await check('GET', '/api/households/{id}/events', `/api/households/${h}/events`);
    await check('GET', '/api/households/{id}/visits', `/api/households/${h}/visits`);
    const created = await check('POST', '/api/households', '/api/households', {
      compoundId: households.items[0].compoundId,
      building: '新楼',
      room: '909',
      name: '新住户',
    });
    await check('PATCH', '/api/households/{id}', `/api/households/${created.id}`, { name: '新住户二' });
    const alerts = await check('GET', '/api/alerts', '/api/alerts');
    const a = alerts.items[0].id as number;
    await check('GET', '/api/alerts/{id}', `/api/alerts/${a}`);
    await check('POST', '/api/alerts/{id}/ack', `/api/alerts/${a}/ack`, {});
    await check('POST', '/api/alerts/{id}/arrived', `/api/alerts/${a}/arrived`, {});
    await check('POST', '/api/alerts/{id}/resolve', `/api/alerts/${a}/resolve`, { note: '已处理' });
    await check('GET', '/api/alerts/{id}', `/api/alerts/999999`);
    const compounds = await check('GET', '/api/compounds', '/api/compounds');
    const c = compounds.items[0].id as number;
    await check('GET', '/api/buildings', '/api/buildings');
    const device = await check('POST', '/api/devices', '/api/devices', { householdId: h });
    await check('POST', '/api/devices/{id}/rotate', `/api/devices/${device.id}/rotate`, {});
    const people = await check('GET', '/api/people', '/api/people');
    const person = await check('POST', '/api/people', '/api/people', {
      name: '新志愿者',
      phone: '13800000009',
      role: 'volunteer',
      tier: 1,
      compoundId: c,
    });
    await check('PATCH', '/api/people/{id}', `/api/people/${person.id}`, { name: '新志愿者二' });
    await check('GET', '/api/users', '/api/users');
    const user = await check('POST', '/api/users', '/api/users', {
      username: 'new-staff',
      displayName: '新员工',
      role: 'staff',
      password: 'a-long-password-1',
      compoundIds: [c],
    });
    await check('PATCH', '/api/users/{id}', `/api/users/${user.id}`, { displayName: '新员工二' });
    await check('GET', '/api/places', '/api/places');
    await check('GET', '/api/figures/places', '/api/figures/places');
    const today = new Date().toISOString().slice(0, 10);
    await check('GET', '/api/figures', `/api/figures?from=${today}&to=${today}`);
    await check('GET', '/api/reports/daily', `/api/reports/daily?day=${today}`);
    await check('GET', '/api/compounds/{id}/duty', `/api/compounds/${c}/duty`);
    const communityId = compounds.items[0].communityId as number;
    await check('GET', '/api/communities/{id}/duty', `/api/communities/${communityId}/duty`);
    await check('POST', '/api/channels', '/api/channels', {
      kind: 'webhook',
      name: '小区群',
      compoundId: c,
      config: { url: 'http://127.0.0.1:9/hook', secret: 'a-secret' },
    });
    await check('GET', '/api/channels', '/api/channels');
    await check('POST', '/api/tokens', '/api/tokens', { userId: user.id, name: 'script' });
    await check('GET', '/api/tokens', '/api/tokens');
    await check('GET', '/api/audit', '/api/audit?limit=20');
    await check('GET', '/api/session', '/api/session');
    await check('GET', '/api/people', '/api/people?limit=0');
    expect(people.items.length).toBeGreaterThan(0);
    expect(checked.length).toBeGreaterThan(35);

    // The check has teeth: an answer does not pass a schema that is not its own.
    const household = (await admin('GET', `/api/households/${h}`)).json();
    expect(ajv.validate(schemaFor(doc, 'GET', '/api/alerts/{id}', 200) as object, household)).toBe(false);
  });
});
