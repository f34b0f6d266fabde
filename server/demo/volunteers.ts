import { createRandom, type Random } from '../../device-sim/random.js';

/**
 * The demo's simulated volunteers (issue 14, point 7): they take the path a person takes — log
 * in over HTTP as the demo volunteer, read the open alerts, and POST 我去处理 / 已到达 / 已解决
 * (a red), 认领 / 完成 (a yellow), or go and look (a missed check-in) with the session's CSRF
 * token, so each step is audited and shows on every dashboard like a person's. Times are those
 * of a real day divided by `speed` (1 = real time): a red acknowledged within 20–90 s, arrived
 * at within minutes, resolved with a note.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;

type Step = { action: 'ack' | 'claim' | 'arrived' | 'resolve'; afterMs: [number, number] };

/** What the volunteers do with an alert of each kind, each step this long after the one before. */
export const RESPONSES: Readonly<Record<string, readonly Step[]>> = {
  emergency: [
    { action: 'ack', afterMs: [20 * SECOND, 90 * SECOND] },
    { action: 'arrived', afterMs: [2 * MINUTE, 8 * MINUTE] },
    { action: 'resolve', afterMs: [3 * MINUTE, 12 * MINUTE] },
  ],
  service: [
    { action: 'claim', afterMs: [1 * MINUTE, 6 * MINUTE] },
    { action: 'resolve', afterMs: [10 * MINUTE, 40 * MINUTE] },
  ],
  missed_checkin: [
    { action: 'ack', afterMs: [2 * MINUTE, 8 * MINUTE] },
    { action: 'resolve', afterMs: [10 * MINUTE, 30 * MINUTE] },
  ],
};

const NOTES: Readonly<Record<string, readonly string[]>> = {
  emergency: [
    '老人在家摔倒，已扶起，无外伤，已告知子女',
    '突发头晕，已陪同测量血压，情况平稳',
    '误按红色按钮，老人安好',
    '胸闷不适，已拨打120送医，已联系家属',
    '老人找不到降压药，已帮忙取药服下',
    '厨房燃气灶未关，已关闭并开窗通风，老人安好',
  ],
  service: [
    '已代购米面油送到家',
    '已帮忙更换灯泡',
    '已陪同去社区卫生服务站取药',
    '已帮忙缴纳水电费',
    '已修好漏水的水龙头',
    '已送午餐上门',
  ],
  missed_checkin: [
    '上门看望：老人在家，忘了按按钮，已提醒',
    '电话联系上了，老人去女儿家住几天',
    '上门看望：老人身体不适卧床，已联系家属',
  ],
};

export type VolunteerOptions = {
  baseUrl: string;
  username: string;
  password: string;
  /** A day's times are divided by this (1 = real time). */
  speed: number;
  seed: number;
  /** How often the open alerts are read, in real ms (default 3 s / speed, at least 50 ms). */
  pollMs?: number;
  /** One line per step taken, for the demo's output. */
  report?: (line: string) => void;
};

type OpenAlert = {
  id: number;
  householdId: number;
  kind: string;
  status: string;
  household: { name: string; compound: string; building: string; room: string } | null;
};

export type Volunteers = {
  /** Steps taken so far, by action. */
  readonly done: Record<Step['action'], number>;
  stop(): Promise<void>;
};

export class DemoHttpError extends Error {
  override name = 'DemoHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Logs in and starts answering; resolves once logged in (a wrong password rejects). */
export async function startVolunteers(opts: VolunteerOptions): Promise<Volunteers> {
  if (!(opts.speed > 0)) throw new RangeError(`speed must be > 0, got ${opts.speed}`);
  const rng: Random = createRandom(opts.seed);
  const report = opts.report ?? (() => undefined);
  const pollMs = opts.pollMs ?? Math.max(50, (3 * SECOND) / opts.speed);
  let session = await login(opts);
  const handling = new Set<number>();
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<Promise<unknown>>();
  const done: Volunteers['done'] = { ack: 0, claim: 0, arrived: 0, resolve: 0 };
  let stopped = false;

  const later = (ms: number, fn: () => Promise<void>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      const p = fn().catch((err: unknown) => report(`志愿者出错 / volunteer error: ${(err as Error).message}`));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }, ms);
    timers.add(timer);
  };

  /** An HTTP call as the volunteer; logs in again once if the session has ended. */
  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${opts.baseUrl}${path}`, {
        method,
        headers: {
          cookie: session.cookie,
          ...(method === 'POST' ? { 'x-csrf-token': session.csrfToken, 'content-type': 'application/json' } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status !== 401 || attempt > 0) return res;
      await res.body?.cancel();
      session = await login(opts);
    }
  }

  function follow(alert: OpenAlert, steps: readonly Step[], i: number): void {
    const step = steps[i];
    if (step === undefined) {
      handling.delete(alert.id);
      return;
    }
    const [lo, hi] = step.afterMs;
    later((lo + rng.next() * (hi - lo)) / opts.speed, async () => {
      const notes = NOTES[alert.kind] ?? ['已处理'];
      const note = step.action === 'resolve' ? notes[rng.int(notes.length)] : undefined;
      const res = await call('POST', `/api/alerts/${alert.id}/${step.action}`, note === undefined ? {} : { note });
      await res.body?.cancel();
      if (!res.ok) {
        // 409: someone at a dashboard got there first (or it was resolved): leave it to them.
        handling.delete(alert.id);
        if (res.status !== 409 && res.status !== 404)
          report(`志愿者操作失败 / step refused: ${step.action} alert ${alert.id}: HTTP ${res.status}`);
        return;
      }
      done[step.action] += 1;
      const h = alert.household;
      report(
        `${WORDS[step.action]} ${KIND_WORDS[alert.kind] ?? alert.kind} · ${h ? `${h.compound} ${h.building} ${h.room} ${h.name}` : `#${alert.householdId}`}${note ? ` · ${note}` : ''}`,
      );
      follow(alert, steps, i + 1);
    });
  }

  async function poll(): Promise<void> {
    const res = await call('GET', '/api/alerts?status=open&limit=1000');
    if (!res.ok) {
      await res.body?.cancel();
      throw new DemoHttpError(res.status, `reading the open alerts: HTTP ${res.status}`);
    }
    const { items } = (await res.json()) as { items: OpenAlert[] };
    for (const alert of items) {
      const steps = RESPONSES[alert.kind];
      if (steps === undefined || handling.has(alert.id)) continue;
      handling.add(alert.id);
      follow(alert, steps, 0);
    }
  }

  const loop = (): void =>
    later(pollMs, async () => {
      try {
        await poll();
      } finally {
        if (!stopped) loop();
      }
    });
  await poll();
  loop();

  return {
    done,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...pending]);
    },
  };
}

const WORDS: Record<Step['action'], string> = {
  ack: '我去处理',
  claim: '认领',
  arrived: '已到达',
  resolve: '已解决',
};
const KIND_WORDS: Record<string, string> = { emergency: '红·紧急', service: '黄·服务', missed_checkin: '未报平安' };

async function login(opts: VolunteerOptions): Promise<{ cookie: string; csrfToken: string }> {
  const res = await fetch(`${opts.baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: opts.username, password: opts.password }),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new DemoHttpError(res.status, `demo volunteer ${opts.username} could not log in: HTTP ${res.status}`);
  }
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cookie, csrfToken };
}
