import { describe, expect, it } from 'vitest';
import { allocateStrata, type StratumRequest } from '../lib/sampling/allocate.ts';
import { balanceOf, poolLimitedWarnings } from '../lib/sampling/balance.ts';

const allocate = (size: number, ...strata: StratumRequest[]) => allocateStrata({ dataset: 'd', size, strata, allowPoolLimited: true });

describe('balanceOf', () => {
  it('does not apply to a single stratum', () => {
    const allocation = allocate(10, { stratum: 'a', pool: 50, share: 1, floor: 0 });
    expect(balanceOf(allocation, 0.05)).toMatchObject({ df: 0, p_value: 1, imbalanced: false });
  });

  it('does not apply when no stratum with a share has candidates (and does not throw)', () => {
    const allocation = allocate(10, { stratum: 'a', pool: 0, share: 1, floor: 0 }, { stratum: 'b', pool: 0, share: 1, floor: 0 });
    expect(allocation.total).toBe(0);
    expect(balanceOf(allocation, 0.05)).toMatchObject({ df: 0, p_value: 1, imbalanced: false });
  });

  it('flags floors that pull the counts away from the target shares', () => {
    // Targets 95 / 5; the floor lifts b to 40: χ² = (60−95)²/95 + (40−5)²/5 = 257.9, p ≈ 0.
    const allocation = allocate(100, { stratum: 'a', pool: 1000, share: 0.95, floor: 0 }, { stratum: 'b', pool: 1000, share: 0.05, floor: 40 });
    const b = balanceOf(allocation, 0.05);
    expect(b.statistic).toBeCloseTo((60 - 95) ** 2 / 95 + (40 - 5) ** 2 / 5, 9);
    expect(b.imbalanced).toBe(true);
  });

  it('words a warning for each pool-limited stratum', () => {
    const allocation = allocate(100, { stratum: 'a', pool: 1000, share: 1, floor: 30 }, { stratum: 'b', pool: 12, share: 1, floor: 30 });
    expect(poolLimitedWarnings(allocation)).toEqual([
      'stratum b is pool-limited: its pool holds 12 examples, below its floor of 30; all 12 were taken',
    ]);
  });
});
