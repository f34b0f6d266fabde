import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cutPoint, cutStreamAfter } from '../../../device-sim/cut.js';

describe('cutPoint', () => {
  it.each([
    [2, 0, 1],
    [2, 0.999, 1],
    [10, 0, 1],
    [10, 0.5, 5],
    [10, 0.999, 9],
    [100, 0.25, 25],
  ])('when a %i-byte packet is cut at %f, then %i bytes go out', (size, fraction, sent) => {
    expect(cutPoint(size, fraction)).toBe(sent);
  });

  it.each([
    [1, 0.5],
    [10, 1],
    [10, -0.1],
    [10, Number.NaN],
    [2.5, 0.5],
  ])('when the packet has %f bytes and the cut is %f, then it throws', (size, fraction) => {
    expect(() => cutPoint(size, fraction)).toThrow(RangeError);
  });
});

describe('cutStreamAfter', () => {
  it('when a packet is written in pieces, then only the bytes before the cut pass, the stream is destroyed and later writes are swallowed', async () => {
    const stream = new PassThrough();
    const passed: Buffer[] = [];
    stream.on('data', (b: Buffer) => passed.push(b));
    const cut = new Promise<boolean>((resolve) => cutStreamAfter(stream, 5, resolve));

    stream.write(Buffer.from([0x32, 0x0a]));
    stream.write('abcdef');
    stream.write(Buffer.from('after the cut'));

    expect(await cut).toBe(true);
    expect(Buffer.concat(passed).toString('latin1')).toBe('\x32\x0aabc');
    expect(stream.destroyed).toBe(true);
  });

  it('when the cut falls exactly on a write boundary, then that write passes whole and nothing after it', async () => {
    const stream = new PassThrough();
    const passed: Buffer[] = [];
    stream.on('data', (b: Buffer) => passed.push(b));
    const cut = new Promise<boolean>((resolve) => cutStreamAfter(stream, 2, resolve));

    stream.write(Buffer.from([0x32, 0x0a]));
    stream.write('rest');

    expect(await cut).toBe(true);
    expect(Buffer.concat(passed)).toEqual(Buffer.from([0x32, 0x0a]));
  });
});
