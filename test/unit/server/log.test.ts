import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, createWindowBudget } from '../../../server/log.js';

describe('createWindowBudget', () => {
  it.each([
    // [takes at these times], [what each take answers: refusedBefore, or null when refused]
    [
      [0, 1],
      [0, 0],
    ],
    [
      [0, 1, 2],
      [0, 0, null],
    ],
    [
      [0, 1, 2, 3, 10],
      [0, 0, null, null, 2],
    ], // a new window tells how many were refused
    [
      [0, 1, 9],
      [0, 0, null],
    ],
    [
      [5, 6, 7, 2],
      [0, 0, null, 1],
    ], // the clock stepped back: a new window
  ])('when a budget of 2 per 10 is taken at %j, then it answers %j', (times, expected) => {
    let t = 0;
    const budget = createWindowBudget(2, 10, () => t);
    const answers = times.map((at) => {
      t = at;
      return budget.take()?.refusedBefore ?? null;
    });
    expect(answers).toEqual(expected);
  });
});

describe('createLogger', () => {
  function lines(write: (log: ReturnType<typeof createLogger>) => void): Array<Record<string, unknown>> {
    const out: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        out.push(chunk.toString('utf8'));
        done();
      },
    });
    write(createLogger('info', stream));
    return out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it.each([
    ['/a/AbCdEfGhIjKlMnOpQrStUvWxYz012345', '/a/…'],
    ['/a/AbCdEfGhIjKlMnOpQrStUvWxYz012345?done=ack', '/a/…?done=ack'],
    ['/a/ack.css', '/a/…'],
    ['/api/alerts/1/ack', '/api/alerts/1/ack'],
    ['/assets/a/b.js', '/assets/a/b.js'],
  ])('when a request to %j is logged, then its url reads %j (a link token is left out)', (url, logged) => {
    const [line] = lines((log) => log.info({ req: { method: 'GET', url } }, 'request completed'));
    expect(line?.req).toEqual({ method: 'GET', url: logged });
  });

  it('when a password or secret field is logged, then it reads [redacted]', () => {
    const [line] = lines((log) => log.info({ password: 'p', channel: { secret: 's' } }, 'x'));
    expect(line).toMatchObject({ password: '[redacted]', channel: { secret: '[redacted]' } });
  });
});
