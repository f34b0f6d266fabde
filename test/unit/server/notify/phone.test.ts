import { describe, expect, it } from 'vitest';
import { mainlandMobile, maskPhone } from '../../../../server/notify/providers/phone.js';

describe('mainland mobile numbers', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['+8613800138000', '13800138000'],
    ['+86 138-0013-8000', '13800138000'],
    ['0086 138 0013 8000', '13800138000'],
    ['008619912345678', '19912345678'],
    ['86-138-0013-8000', '13800138000'],
    ['8616612345678', '16612345678'],
    ['+85291234567', null],
    ['11800138000', null],
    ['12800138000', null],
    ['138001380001', null],
    ['', null],
  ])('when the number is %j, then it is %j', (input, expected) => {
    expect(mainlandMobile(input)).toBe(expected);
  });

  it.each([
    ['12345678901', '*******8901'],
    ['+14155550100', '********0100'],
    ['', '****'],
  ])('when %j is refused, then the error shows %j', (input, masked) => {
    expect(maskPhone(input)).toBe(masked);
  });
});
