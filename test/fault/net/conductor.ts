// The guest side of the network-fault test (test/fault/network.test.ts), run as root in the guest's
// root network namespace:
//
//   node conductor.js --control http://10.0.2.2:PORT --farm /path/farm.js [--ip ip] [--tc tc]
//
// It fetches the Plan from the host's control endpoint, and for each group builds a namespace of
// the test's own (nf-<name>) joined by a veth pair (10.77.<i>.1 here, 10.77.<i>.2 there), relays
// MQTT from 10.77.<i>.1:1883 to the server (the host's loopback, 10.0.2.2 under qemu's user-mode
// network), and starts a farm of buttons inside it. Then it runs the phases — rough (tc netem on
// both ends of every veth: delay with jitter, loss, reordering, duplication), a partition of the
// partitioned groups (netem loss 100 %, both ways) with reds pressed meanwhile, the heal — and
// forwards what the farms report to the host over the guest's own, unimpaired link. Every wait is
// bounded by the plan; the netem rules go with the namespaces when it ends.
//
// Why a relay and not routing: a namespace's packets to 10.0.2.2 would need NAT in the guest
// (nf_nat, an iptables binary); a relay in the root namespace needs nothing but node, and the
// impaired hop — device to relay, on the veth — is the one a device's link is.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import type { FarmArgs } from './farm.js';
import {
  type ConductorEvent,
  type FarmCommand,
  type FarmEvent,
  type NetEvent,
  netemArgs,
  PARTITION,
  type GroupPlan,
  type Netem,
  type Plan,
} from './plan.js';

const RELAY_PORT = 1883;
const COMMAND_TIMEOUT_MS = 15_000;

const { values: argv } = parseArgs({
  options: {
    control: { type: 'string' },
    farm: { type: 'string' },
    ip: { type: 'string', default: 'ip' },
    tc: { type: 'string', default: 'tc' },
  },
});

/** Console lines for whoever watches the guest (the host reads the events over HTTP). */
function say(message: string): void {
  process.stdout.write(`netfault: ${message}\n`);
}

/** Runs a program (bounded); resolves with its output. */
function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: COMMAND_TIMEOUT_MS }, (err, out, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(out);
    });
  });
}

/** The host's control endpoint: events go there in batches, phase marks at once. */
function createReporter(control: string) {
  let queue: NetEvent[] = [];
  let sending: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    sending = sending.then(async () => {
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      const res = await fetch(`${control}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
      });
      if (!res.ok) say(`host refused ${batch.length} events: ${res.status}`);
    });
    return sending;
  };
  const timer = setInterval(() => void flush().catch((e: Error) => say(`report failed: ${e.message}`)), 200);
  return {
    add(e: NetEvent): void {
      queue.push(e);
    },
    /** Queues a conductor event and resolves once the host has it (and everything before it). */
    async now(e: ConductorEvent): Promise<void> {
      queue.push(e);
      if (e.ev !== 'note') say(JSON.stringify(e));
      await flush();
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

type Link = { ns: string; outer: string; inner: string; here: string; there: string };

function linkOf(g: GroupPlan, i: number): Link {
  return {
    ns: `nf-${g.name}`,
    outer: `nf${g.name}0`,
    inner: `nf${g.name}1`,
    here: `10.77.${i + 1}.1`,
    there: `10.77.${i + 1}.2`,
  };
}

async function buildLink(l: Link): Promise<void> {
  const ip = argv.ip as string;
  // A namespace left by an earlier run of ours (same name) goes first; its veth goes with it.
  await run(ip, ['netns', 'del', l.ns]).catch(() => {});
  await run(ip, ['netns', 'add', l.ns]);
  await run(ip, ['link', 'add', l.outer, 'type', 'veth', 'peer', 'name', l.inner]);
  await run(ip, ['link', 'set', l.inner, 'netns', l.ns]);
  await run(ip, ['addr', 'add', `${l.here}/24`, 'dev', l.outer]);
  await run(ip, ['link', 'set', l.outer, 'up']);
  await run(ip, ['-n', l.ns, 'addr', 'add', `${l.there}/24`, 'dev', l.inner]);
  await run(ip, ['-n', l.ns, 'link', 'set', l.inner, 'up']);
  await run(ip, ['-n', l.ns, 'link', 'set', 'lo', 'up']);
}

/** Both directions of the link get `n` (each end's egress); null takes the impairment off. */
async function impair(l: Link, n: Netem | null): Promise<void> {
  const tc = argv.tc as string;
  for (const [ns, dev] of [
    [null, l.outer],
    [l.ns, l.inner],
  ] as const) {
    const where = ns === null ? [] : ['-n', ns];
    if (n === null) await run(tc, [...where, 'qdisc', 'del', 'dev', dev, 'root']).catch(() => {});
    else await run(tc, [...where, 'qdisc', 'replace', 'dev', dev, 'root', ...netemArgs(n)]);
  }
}

/** Relays every connection to l.here:1883 to the server; a pair ends when either side does. */
function startRelay(l: Link, upstream: Plan['mqtt']): Promise<net.Server> {
  const server = net.createServer((down) => {
    const up = net.connect({ host: upstream.host, port: upstream.port, noDelay: true });
    down.setNoDelay(true);
    const end = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    down.pipe(up);
    up.pipe(down);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(RELAY_PORT, l.here, () => resolve(server));
  });
}

type Farm = { send(c: FarmCommand): void; ready: Promise<void>; drained: Promise<void>; exited: Promise<void> };

function startFarm(plan: Plan, g: GroupPlan, l: Link, report: (e: FarmEvent) => void): Farm {
  const args: FarmArgs = {
    group: g,
    url: `mqtt://${l.here}:${RELAY_PORT}`,
    device: plan.device,
    pressEveryMs: plan.pressEveryMs,
    inFlight: plan.inFlight,
    setupMs: plan.setupMs,
  };
  const child = spawn(
    argv.ip as string,
    ['netns', 'exec', l.ns, process.execPath, argv.farm as string, JSON.stringify(args)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let onReady = (): void => {};
  let onDrained = (): void => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  const drained = new Promise<void>((r) => {
    onDrained = r;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let e: FarmEvent;
    try {
      e = JSON.parse(line) as FarmEvent;
    } catch {
      say(`farm ${g.name}: ${line}`);
      return;
    }
    if (e.ev === 'ready') onReady();
    if (e.ev === 'drained') onDrained();
    if (e.ev === 'error' || e.ev === 'log') say(`farm ${g.name}: ${e.message}`);
    report(e);
  });
  return {
    send: (c) => {
      if (child.stdin.writable) child.stdin.write(`${JSON.stringify(c)}\n`);
    },
    ready,
    drained,
    exited,
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function conduct(): Promise<void> {
  if (argv.control === undefined || argv.farm === undefined)
    throw new Error('usage: conductor --control URL --farm FILE');
  if (!fs.existsSync(argv.farm)) throw new Error(`no farm at ${argv.farm}`);
  const control = argv.control.replace(/\/$/, '');
  const res = await fetch(`${control}/plan`, { signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET ${control}/plan: ${res.status}`);
  const plan = (await res.json()) as Plan;
  const reporter = createReporter(control);
  const phase = (p: Extract<ConductorEvent, { ev: 'phase' }>['phase']) =>
    reporter.now({ ev: 'phase', phase: p, t: Date.now() });

  await phase('setup');
  // `ip netns add` keeps its handles under /run/netns (a fresh initramfs may have no /run yet).
  fs.mkdirSync('/run/netns', { recursive: true });
  const links = plan.groups.map(linkOf);
  const relays: net.Server[] = [];
  const farms: Farm[] = [];
  try {
    for (const [i, g] of plan.groups.entries()) {
      const l = links[i] as Link;
      await buildLink(l);
      relays.push(await startRelay(l, plan.mqtt));
      farms.push(startFarm(plan, g, l, (e) => reporter.add(e)));
    }
    await within(Promise.all(farms.map((f) => f.ready)), plan.setupMs, 'every farm connected');

    for (const [i, g] of plan.groups.entries()) await impair(links[i] as Link, g.rough);
    await phase('rough');
    plan.groups.forEach((g, i) => {
      // A partitioned group presses no red before its partition: every red of its households
      // on the dashboard is then one pressed while it was cut off.
      farms[i]?.send({ do: 'press', states: g.partitioned ? ['blue', 'yellow'] : ['blue', 'yellow', 'red'] });
    });
    await sleep(plan.roughMs);

    const cut = plan.groups.flatMap((g, i) => (g.partitioned ? [i] : []));
    for (const i of cut) await impair(links[i] as Link, PARTITION);
    await phase('partition');
    for (let k = 0; k < plan.redsInPartition; k++) {
      await sleep(plan.partitionMs / (plan.redsInPartition + 1));
      for (const i of cut) farms[i]?.send({ do: 'red' });
    }
    await sleep(plan.partitionMs / (plan.redsInPartition + 1));

    // netem's counters (packets sent, dropped, …) while the cut is still on: the proof it was.
    for (const [i, g] of plan.groups.entries()) {
      const text = await run(argv.tc as string, ['-s', 'qdisc', 'show', 'dev', (links[i] as Link).outer]);
      reporter.add({ ev: 'qdisc', group: g.name, text, t: Date.now() });
    }
    // The host hears "healing" before the link is back: nothing of the partition can reach the
    // server before that mark.
    await phase('healing');
    for (const i of cut) await impair(links[i] as Link, null);
    await phase('healed');

    await phase('drain');
    for (const f of farms) f.send({ do: 'drain', timeoutMs: plan.drainMs });
    await within(Promise.all(farms.map((f) => f.drained)), plan.drainMs + 10_000, 'every farm drained');
    await phase('done');
  } finally {
    for (const f of farms) f.send({ do: 'exit' });
    await within(Promise.all(farms.map((f) => f.exited)), 10_000, 'every farm exited').catch((e: Error) =>
      say(e.message),
    );
    for (const r of relays) r.close();
    for (const l of links) await run(argv.ip as string, ['netns', 'del', l.ns]).catch(() => {});
    await reporter.now({ ev: 'note', message: 'conductor finished', t: Date.now() }).catch(() => {});
    reporter.stop();
  }
}

conduct().then(
  () => {
    say('done');
    process.exit(0);
  },
  async (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    say(`failed: ${message}`);
    if (argv.control !== undefined) {
      await fetch(`${argv.control.replace(/\/$/, '')}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ ev: 'fail', message, t: Date.now() }]),
        signal: AbortSignal.timeout(5000),
      }).catch(() => {});
    }
    process.exit(1);
  },
);
