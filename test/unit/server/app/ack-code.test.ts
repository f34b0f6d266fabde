import { describe, expect, it } from 'vitest';
import { ACK_CODE_ALPHABET, ACK_CODE_LENGTH, normaliseAckCode } from '../../../../server/app/ack-code.js';

describe('normaliseAckCode', () => {
  it.each([
    ['K7QX2M9P', 'K7QX2M9P'],
    ['k7qx2m9p', 'K7QX2M9P'],
    ['  K7QX2M9P\n', 'K7QX2M9P'],
    ['K7QX 2M9P', 'K7QX2M9P'],
    ['k7 qx 2m 9p', 'K7QX2M9P'],
    ['K7QX-2M9P', 'K7QX2M9P'],
    ['K-7-Q-X-2-M-9-P', 'K7QX2M9P'],
    ['K7QX\t2M9P', 'K7QX2M9P'],
    // A Chinese keyboard in full-width mode: letters, digits, the ideographic space, the hyphen.
    ['Ｋ７ＱＸ\u3000２Ｍ９Ｐ', 'K7QX2M9P'],
    ['ｋ７ｑｘ－２ｍ９ｐ', 'K7QX2M9P'],
    ['23456789', '23456789'],
    ['ZZZZZZZZ', 'ZZZZZZZZ'],
  ])('when %j is typed, then the code is %s', (typed, code) => {
    expect(normaliseAckCode(typed)).toBe(code);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'only spaces'],
    ['K7QX2M9', '7 characters'],
    ['K7QX2M9PA', '9 characters'],
    ['K7QX2M9O', 'an O (not in the alphabet)'],
    ['K7QX2M90', 'a 0'],
    ['K7QX2M91', 'a 1'],
    ['K7QX2M9I', 'an I'],
    ['K7QX2M9L', 'an L'],
    ['k7qx2m9l', 'a lower-case l'],
    ['K7QX_2M9P', 'an underscore'],
    ['K7QX.2M9P', 'a full stop'],
    ['K7QX2M9P处', 'a Chinese character'],
    [`K7QX2M9P${' '.repeat(60)}`, 'over 64 characters, however spaced'],
    ['"><b>x', 'markup'],
  ])('when %j is typed (%s), then it is not a code', (typed) => {
    expect(normaliseAckCode(typed)).toBeNull();
  });

  it('when every character of the alphabet is typed in lower case, then each is taken', () => {
    for (const c of ACK_CODE_ALPHABET)
      expect(normaliseAckCode(c.toLowerCase().repeat(ACK_CODE_LENGTH))).toBe(c.repeat(ACK_CODE_LENGTH));
  });
});
