/** The join index's key of a correlation id: a GUID's first 64 bits, else a 64-bit hash. */
import { describe, expect, it } from 'vitest';
import { CorrelationIndex, joinKey } from '../../../../src/sources/signins/join-index.js';

/** The key as the index first defined it (a regex and parseInt), the reference. */
function reference(id: string): [number, number] {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-/.exec(id);
  const fnv = (s: string, seed: number): number => {
    let h = seed >>> 0;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  };
  const hi = m ? parseInt(m[1] as string, 16) >>> 0 : fnv(id, 0x811c9dc5);
  const lo = m ? parseInt(`${m[2] as string}${m[3] as string}`, 16) >>> 0 : fnv(id, 0x01234567);
  return [hi, hi === 0xffffffff && lo === 0xffffffff ? 0 : lo];
}

describe('joinKey', () => {
  it('is the GUID prefix read as hex, or the hash, exactly as the regex reading was', () => {
    const ids = [
      '5ee750f5-7cde-463a-89bf-345804d2c666',
      'ffffffff-ffff-ffff-0000-000000000000',
      'ffffffff-ffff-ffff-',
      '00000000-0000-0000-',
      '00000000-0000-0000',
      '5EE750F5-7CDE-463A-89BF-345804D2C666',
      '5ee750f5-7cdg-463a-89bf-345804d2c666',
      '5ee750f5_7cde-463a-89bf-345804d2c666',
      '5ee750f5-7cde-463a_89bf',
      ' 5ee750f5-7cde-463a-89bf-345804d2c666',
      '5ee750f-57cde-463a-89bf-345804d2c666',
      'abcdefab-cdef-abcd-',
      '',
      'x',
      'not-a-guid-at-all',
      'é5e750f5-7cde-463a-89bf-345804d2c666',
    ];
    for (let i = 0; i < 500; i++) {
      const h = (n: number): string =>
        Array.from({ length: n }, () => '0123456789abcdef'[(Math.random() * 16) | 0]).join('');
      ids.push(`${h(8)}-${h(4)}-${h(4)}-${h(4)}-${h(12)}`);
    }
    for (const id of ids) expect(joinKey(id), id).toEqual(reference(id));
  });

  it('finds what was added under the same id', () => {
    const index = new CorrelationIndex();
    index.add('5ee750f5-7cde-463a-89bf-345804d2c666', { issuer: 'azuread', appName: 'A' });
    index.add('retry-1', { issuer: 'azureadbackupauth', appName: 'B' });
    expect(index.get('5ee750f5-7cde-463a-89bf-345804d2c666')).toEqual({
      issuer: 'azuread',
      appName: 'A',
    });
    expect(index.get('retry-1')?.appName).toBe('B');
    expect(index.get('5ee750f5-7cde-463a-89bf-000000000000')?.appName).toBe('A');
    expect(index.get('6ee750f5-7cde-463a-89bf-345804d2c666')).toBeNull();
  });
});
