import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { releaseHeavyLock, takeHeavyLock } from '../../helpers/heavy-lock.js';
import { spreadHeavy } from '../../helpers/sequencer.js';

describe('the test sequencer', () => {
  it('when heavy files are queued, then each is followed by light files worth about its seconds, order kept', () => {
    const items = [
      { name: 'H1', heavy: true, s: 60 },
      { name: 'H2', heavy: true, s: 20 },
      ...Array.from({ length: 12 }, (_, i) => ({ name: `L${i}`, heavy: false, s: 10 })),
    ];
    const order = spreadHeavy(
      items,
      (x) => x.heavy,
      (x) => x.s,
    ).map((x) => x.name);
    expect(order).toEqual(['H1', 'L0', 'L1', 'L2', 'L3', 'L4', 'L5', 'H2', 'L6', 'L7', 'L8', 'L9', 'L10', 'L11']);
  });

  it('when another process holds the heavy-file lock, then taking it waits until that process ends', async () => {
    await takeHeavyLock();
    // A child waits for the lock and prints when it has it; this process lets go 300 ms later.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const m = await import(${JSON.stringify(new URL('../../helpers/heavy-lock.ts', import.meta.url).pathname)}); console.log('waiting'); await m.takeHeavyLock(); console.log('taken'); m.releaseHeavyLock();`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    // Once the child waits, it stays blocked as long as we hold the lock (polled every 100 ms).
    await new Promise<void>((resolve) => {
      const look = () => (out.includes('waiting') ? resolve() : setTimeout(look, 20));
      look();
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(out.trim()).toBe('waiting');
    releaseHeavyLock();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toEqual(['waiting', 'taken']);
  });
});
