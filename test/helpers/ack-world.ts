import { ACK_LINK_TTL_MS, type AckRecipient, signAckToken } from '../../server/app/ack-link.js';
import { loadLinkSecret } from '../../server/store/secrets.js';
import { COMPOUND_A, makeCast } from './api.js';
import { ManualClock } from './clock.js';
import { startTestSystem } from './system.js';

export const ACK_PUBLIC_URL = 'https://ribbon.example.cn';

/**
 * The world of the one-tap page's tests (/a/:token, /a): the cast, a household of compound A
 * with an open red (a volunteer's report), 王芳 (tier 1) to whom its SMS would go, the server's
 * link secret, and forms posted as a browser on the page posts them. A manual clock at `t0`.
 */
export async function ackWorld(t0: number) {
  const clock = new ManualClock(t0);
  const system = await startTestSystem({ clock, scheduler: false, env: { PUBLIC_URL: ACK_PUBLIC_URL } });
  const cast = await makeCast(system);
  const h = system.provision({ compound: COMPOUND_A, building: '2号楼', room: '301', name: '王秀英' });
  const personId = system.stores.people.add(
    { name: '王芳', phone: '13800000002', role: 'volunteer', tier: 1, compoundId: cast.compoundA.id, buildingId: null },
    t0,
  );
  system.recordPersonReport({
    householdId: h.householdId,
    state: 'red',
    note: null,
    by: '李志愿',
    idempotencyKey: null,
  });
  const alert = system.stores.alerts.list({ householdId: h.householdId, kind: 'emergency' })[0];
  if (alert === undefined) throw new Error('no alert opened');
  const secret = loadLinkSecret(system.stores.db);
  /** A signed link's token, as the core makes one for an SMS. */
  const tokenFor = (recipient: AckRecipient, expiresAt = clock.ms + ACK_LINK_TTL_MS, alertId = alert.id) =>
    signAckToken(secret, { alertId, recipient, expiresAt });
  /** A form of the page posted to `url` as a browser on the page sends it. */
  const postForm = (url: string, form: Record<string, string> | string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: system.httpUrl, ...headers },
      body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
    });
  /** Everything a tap or a lookup could change: the alert, its history and outbox rows, the audit log. */
  const snapshot = () => ({
    alert: system.stores.alerts.get(alert.id),
    transitions: system.stores.alerts.transitions(alert.id),
    outbox: system.stores.outbox.forAlert(alert.id).map((r) => r.id),
    audit: system.stores.users.auditPage(Number.MAX_SAFE_INTEGER, 1000).length,
  });
  return { clock, system, cast, h, personId, alert, secret, tokenFor, postForm, snapshot };
}
