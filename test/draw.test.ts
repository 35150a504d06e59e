import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drawLowest, rankKey } from '../lib/sampling/draw.ts';

describe('drawLowest', () => {
  it('takes the ids whose SHA-256 of `seed:id` is lowest, as sha256sum would rank them', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `ex-${i}`);
    const reference = [...ids]
      .map((id) => ({ id, key: createHash('sha256').update(`42:${id}`).digest('hex') }))
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .slice(0, 300)
      .map((r) => r.id);
    expect(drawLowest(ids, 300, 42)).toEqual(reference);
    expect(rankKey(42, 'ex-0')).toBe(createHash('sha256').update('42:ex-0').digest('hex'));
  });

  it('depends on the set of candidates, not their order (any Unicode id)', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.string({ minLength: 1, unit: 'binary' }), { minLength: 1, maxLength: 200 })
          .chain((ids) => fc.tuple(fc.constant(ids), fc.shuffledSubarray(ids, { minLength: ids.length }))),
        fc.nat(),
        fc.nat({ max: 50 }),
        ([ids, shuffled], seed, k) => {
          expect(drawLowest(shuffled, k, seed)).toEqual(drawLowest(ids, k, seed));
        },
      ),
      { seed: 7 },
    );
  });
});
