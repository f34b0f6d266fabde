import { describe, expect, it } from 'vitest';
import { readClientFrame } from '../../../../server/live/connection.js';

describe('readClientFrame: what a client may ask', () => {
  it.each<[string, { type: 'resync' } | null]>([
    ['{"type":"resync"}', { type: 'resync' }],
    ['{"type":"resync","extra":1}', { type: 'resync' }],
    ['{"type":"snapshot"}', null],
    ['{"type":"RESYNC"}', null],
    ['"resync"', null],
    ['null', null],
    ['[]', null],
    ['not json', null],
    ['', null],
  ])('when a client sends %j, then it is %j (anything else is ignored)', (text, expected) => {
    expect(readClientFrame(text)).toEqual(expected);
  });
});
