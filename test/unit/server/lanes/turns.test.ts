import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createTurnPacer, paceConnections } from '../../../../server/lanes/turns.js';
import { selfSignedCert } from '../../../helpers/tls.js';
import { tempDir } from '../../../helpers/system.js';
import { waitUntil } from '../../../helpers/tools.js';

// The people side's work per turn of its event loop (server/lanes/turns.ts), on a clock the test
// moves: each unit of work "takes" the milliseconds it adds. Later turns are a queue the test runs.
function harness(budgetMs = 10) {
  let clock = 0;
  let queue: Array<() => void> = [];
  const done: string[] = [];
  const caughtUp: number[] = [];
  const pacer = createTurnPacer({
    budgetMs,
    now: () => clock,
    later: (fn) => void queue.push(fn),
    beforeEach: () => caughtUp.push(done.length),
  });
  return {
    pacer,
    done,
    caughtUp,
    /** Work that takes `ms` on the clock. */
    work: (name: string, ms: number) => () => {
      clock += ms;
      done.push(name);
    },
    /** One turn's check phase: what was queued before it began, in order. */
    turn() {
      const now = queue;
      queue = [];
      for (const fn of now) fn();
    },
    waiting: () => queue.length,
  };
}

describe('the people side’s turns (createTurnPacer)', () => {
  it('when the turn has budget left and nothing waits, then work runs at once', () => {
    const h = harness();
    h.pacer.run(h.work('a', 3));
    h.pacer.run(h.work('b', 3));
    expect(h.done).toEqual(['a', 'b']);
    expect(h.pacer.stats()).toEqual({ ran: 2, deferred: 0, waiting: 0 });
  });

  it('when the turn’s budget is spent, then the rest waits for later turns, in order, a budget’s worth (at least one) each turn', () => {
    const h = harness(10);
    h.pacer.run(h.work('a', 12));
    for (const name of ['b', 'c', 'd', 'e']) h.pacer.run(h.work(name, 6));
    expect(h.done).toEqual(['a']);
    expect(h.pacer.stats().waiting).toBe(4);
    h.turn();
    // A new slice: b (6 ms) and c (12 ms in all: past the budget only once it ran).
    expect(h.done).toEqual(['a', 'b', 'c']);
    h.turn();
    h.turn();
    expect(h.done).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.pacer.stats()).toEqual({ ran: 5, deferred: 4, waiting: 0 });
  });

  it('when work waits, then new work queues behind it even in a fresh turn (first come, first served)', () => {
    const h = harness(10);
    h.pacer.run(h.work('a', 20));
    h.pacer.run(h.work('b', 20));
    h.turn(); // b runs, and spends this slice
    h.pacer.run(h.work('c', 1));
    h.pacer.run(h.work('d', 1));
    expect(h.done).toEqual(['a', 'b']);
    while (h.waiting() > 0) h.turn();
    expect(h.done).toEqual(['a', 'b', 'c', 'd']);
  });

  it('when work that waited runs, then the core’s changes are taken just before it (beforeEach), not before work that ran at once', () => {
    const h = harness(10);
    h.pacer.run(h.work('a', 15));
    h.pacer.run(h.work('b', 1));
    h.pacer.run(h.work('c', 1));
    expect(h.caughtUp).toEqual([]);
    while (h.waiting() > 0) h.turn();
    // Before b (1 done) and before c (2 done).
    expect(h.caughtUp).toEqual([1, 2]);
  });

  it('when hundreds of units wait, then a turn schedules a batch of immediates, not one per unit, and still gets through them all in order', () => {
    const h = harness(10);
    h.pacer.run(h.work('first', 20));
    for (let i = 0; i < 500; i++) h.pacer.run(h.work(`u${i}`, 1));
    let turns = 0;
    while (h.waiting() > 0) {
      // The steps of a batch (32), the slice's end and the turn's mark: never one per waiting unit.
      expect(h.waiting()).toBeLessThanOrEqual(34);
      h.turn();
      turns += 1;
    }
    expect(h.done).toEqual(['first', ...Array.from({ length: 500 }, (_, i) => `u${i}`)]);
    // A 10 ms budget of 1 ms units: ten (and the one that crosses it) a turn.
    expect(turns).toBeLessThanOrEqual(60);
  });

  it('when no work comes, then nothing is left scheduled (an idle server does not spin)', () => {
    const h = harness(10);
    h.pacer.run(h.work('a', 1));
    h.turn(); // the slice's end
    expect(h.waiting()).toBe(0);
  });
});

describe('new connections wait their turn (paceConnections)', () => {
  it('when a connection waits, then its listeners run only when its turn comes; one reset while waiting is dropped, and the server stays up', async () => {
    const server = net.createServer();
    const heard: string[] = [];
    server.on('connection', (socket) => {
      heard.push(`listener ${socket.remotePort}`);
      socket.end('hello');
    });
    const turns: Array<() => void> = [];
    const undo = paceConnections(server, (work) => void turns.push(work));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;

    const arrived = (n: number) => waitUntil(() => turns.length >= n, `${n} connection(s) waiting`);
    // One connection resets while it waits.
    const reset = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => reset.once('connect', () => resolve()));
    await arrived(1);
    reset.resetAndDestroy();
    // Its reset is heard while it waits: the server's socket is destroyed (no longer counted).
    await new Promise<void>((resolve) => {
      const check = () => server.getConnections((_err, n) => (n === 0 ? resolve() : void setTimeout(check, 5)));
      check();
    });
    // Another waits, then is heard when its turn comes.
    const kept = net.connect(port, '127.0.0.1');
    let answer = '';
    kept.setEncoding('latin1').on('data', (d: string) => {
      answer += d;
    });
    await arrived(2);
    expect(heard).toEqual([]);
    // The reset one's turn: it is gone, so nothing hears of it.
    turns[0]?.();
    expect(heard).toEqual([]);
    turns[1]?.();
    expect(heard).toEqual([`listener ${kept.localPort}`]);
    await new Promise<void>((resolve) => kept.once('end', () => resolve()));
    expect(answer).toBe('hello');

    // Undone: the listeners hear new connections at once again.
    undo();
    const direct = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => direct.once('end', () => resolve()).resume());
    expect(heard).toHaveLength(2);
  });

  it('when a TLS connection’s handshake is done, then the listeners of secureConnection (the HTTP server taking it) wait their turn too, and what the client sent meanwhile is read whole', async () => {
    const cert = selfSignedCert(tempDir(), { key: 'p256' });
    const server = tls.createServer({ key: cert.key, cert: cert.cert });
    const heard: string[] = [];
    server.on('secureConnection', (socket) => {
      heard.push('secure');
      socket.setEncoding('latin1').on('data', (d: string) => {
        heard.push(d);
        socket.end('bye');
      });
    });
    const turns: Array<() => void> = [];
    paceConnections(server, (work) => void turns.push(work), 'secureConnection');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;

    const client = tls.connect({ port, host: '127.0.0.1', ca: cert.cert });
    client.setEncoding('latin1');
    let answer = '';
    client.on('data', (d: string) => {
      answer += d;
    });
    // The handshake completes (the client is told so) while the server's listeners wait.
    await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
    client.write('hello');
    await waitUntil(() => turns.length === 1, 'the secure connection waiting');
    expect(heard).toEqual([]);
    turns[0]?.();
    await new Promise<void>((resolve) => client.once('end', () => resolve()));
    expect(heard).toEqual(['secure', 'hello']);
    expect(answer).toBe('bye');
  });
});
