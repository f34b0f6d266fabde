import { describe, expect, it } from 'vitest';
import { addressKey, addressText } from '../../../../server/domain/address.js';

describe('a household address', () => {
  const at = (compound: string, building: string, room: string, name: string) =>
    addressKey({ compound, building, room, name });

  it.each([
    [
      'a room: another name is the same address',
      at('幸福小区', '3号楼', '201', '张三'),
      at('幸福小区', '3号楼', '201', '张四'),
      true,
    ],
    [
      'spaces around the parts do not count',
      at(' 幸福小区', '3号楼 ', ' 201', '张三'),
      at('幸福小区', '3号楼', '201', '张三'),
      true,
    ],
    [
      'another room is another address',
      at('幸福小区', '3号楼', '201', '张三'),
      at('幸福小区', '3号楼', '202', '张三'),
      false,
    ],
    [
      'another building is another address',
      at('幸福小区', '3号楼', '201', '张三'),
      at('幸福小区', '4号楼', '201', '张三'),
      false,
    ],
    [
      'no room: the name tells households apart',
      at('幸福小区', '平房', '', '张三'),
      at('幸福小区', '平房', '', '李四'),
      false,
    ],
    [
      'no room, the same name: the same address',
      at('幸福小区', '平房', '', '张三'),
      at('幸福小区', '平房', '', '张三'),
      true,
    ],
  ])('%s', (_what, a, b, same) => {
    expect(a === b).toBe(same);
  });

  it('is written as people write it, empty parts left out', () => {
    expect(addressText({ compound: '幸福小区', building: '3号楼', room: '201' })).toBe('幸福小区 3号楼 201');
    expect(addressText({ compound: '幸福小区', building: '平房', room: '' })).toBe('幸福小区 平房');
  });
});
