import { describe, expect, it } from 'vitest';
import { allocateStrata, type Allocation, type StratumRequest } from '../lib/sampling/allocate.ts';
import { balanceOf, poolLimitedWarnings } from '../lib/sampling/balance.ts';
import { chiSquaredGoodnessOfFit } from '../lib/stats/chiSquaredGoodnessOfFit.ts';
import { totalVariationDistance } from '../lib/stats/totalVariationDistance.ts';

const allocate = (size: number, ...strata: StratumRequest[]) => allocateStrata({ dataset: 'd', size, strata, allowPoolLimited: true });

/** The demo's stress design: five categories, adversarial : moderate : routine = 5 : 2 : 1, the demo's pools. */
const DEMO_POOLS: Record<string, [number, number, number]> = {
  summarization: [320, 260, 90],
  extraction: [340, 230, 70],
  reasoning: [250, 300, 160],
  'code-generation': [280, 270, 120],
  'creative-writing': [300, 150, 14],
};
function stressStrata(floor: number, pools = DEMO_POOLS): StratumRequest[] {
  return Object.entries(pools).flatMap(([category, counts]) =>
    ['routine', 'moderate', 'adversarial'].map((level, i) => ({ stratum: `${category}×${level}`, pool: counts[i], share: [1, 2, 5][i], floor })),
  );
}
const unlimited = { ...DEMO_POOLS, 'creative-writing': [300, 150, 1000] as [number, number, number] };

/** The same allocation with other realised counts: what a bug in the draw would produce. */
function withCounts(allocation: Allocation, counts: number[]): Allocation {
  return { ...allocation, strata: allocation.strata.map((s, i) => ({ ...s, allocated: counts[i] })) };
}

// Reference values from scipy 1.17.1: scipy.stats.chisquare(f_obs, f_exp) with f_exp the designed counts
// [375/0.875 × 0.125, 375/0.875 × 0.05, 15] per category (adversarial, moderate, routine).
describe('balanceOf', () => {
  it('does not apply to a single stratum', () => {
    const allocation = allocate(10, { stratum: 'a', pool: 50, share: 1, floor: 0 });
    expect(balanceOf(allocation, 0.05)).toMatchObject({ df: 0, p_value: 1, imbalanced: false });
  });

  it('does not apply when no stratum with a share has candidates (and does not throw)', () => {
    const allocation = allocate(10, { stratum: 'a', pool: 0, share: 1, floor: 0 }, { stratum: 'b', pool: 0, share: 1, floor: 0 });
    expect(allocation.total).toBe(0);
    expect(balanceOf(allocation, 0.05)).toMatchObject({ df: 0, p_value: 1, imbalanced: false, tvd: 0, min_expected: 0 });
  });

  it('calls a dataset whose floors lift strata exactly as designed balanced (the floors are not imbalance)', () => {
    // 5:2:1 with a floor of 25 at N = 450: routine and moderate sit on their floor, adversarial takes 40.
    // Against the pure target shares (11.25 routine) this was χ² = 108.9, p = 9e-17: every such design was "imbalanced".
    const allocation = allocate(450, ...stressStrata(25, unlimited));
    const b = balanceOf(allocation, 0.05);
    expect(allocation.strata.map((s) => s.allocated)).toEqual(Array(5).fill([40, 25, 25]).flat());
    expect(b.imbalanced).toBe(false);
    expect(b.statistic).toBeCloseTo(0, 9);
    expect(b.tvd).toBeCloseTo(0, 12);
    expect(b.designed['reasoning×adversarial']).toBeCloseTo(40, 9);
    expect(b.designed['reasoning×routine']).toBe(25);
  });

  it('demo stress design: matches scipy, and the only imbalance is the real pool limit', () => {
    const limited = balanceOf(allocate(450, ...stressStrata(15)), 0.05);
    expect(Math.abs(limited.statistic - 34.11733333333332)).toBeLessThan(1e-9);
    expect(Math.abs(limited.p_value - 0.001982534946291321)).toBeLessThan(1e-9);
    expect(limited.df).toBe(14);
    expect(limited.imbalanced).toBe(true);
    expect(limited.designed['creative-writing×adversarial']).toBeCloseTo((375 / 0.875) * 0.125, 12);
    expect(limited.designed['creative-writing×moderate']).toBeCloseTo((375 / 0.875) * 0.05, 12);
    expect(limited.designed['creative-writing×routine']).toBe(15);
    expect(limited.min_expected).toBe(15);
    expect(limited.warnings).toEqual([]);
    // The pool-limited stratum (14 of a designed 53.6) carries most of the statistic.
    const own = (14 - (375 / 0.875) * 0.125) ** 2 / ((375 / 0.875) * 0.125);
    expect(own / limited.statistic).toBeGreaterThan(0.8);

    // The same design with a pool that can hold it: what the design asks for, up to rounding.
    const free = balanceOf(allocate(450, ...stressStrata(15, unlimited)), 0.05);
    expect(Math.abs(free.statistic - 0.06000000000000057)).toBeLessThan(1e-9);
    expect(free.p_value).toBeGreaterThan(0.999);
    expect(free.imbalanced).toBe(false);
  });

  it('flags a dataset whose counts a bug shuffled between strata', () => {
    const allocation = allocate(450, ...stressStrata(15, unlimited));
    // adversarial and routine swapped in every category: 15, 21, 54 instead of 54, 21, 15.
    const b = balanceOf(withCounts(allocation, Array(5).fill([15, 21, 54]).flat()), 0.05);
    expect(Math.abs(b.statistic - 645.8999999999999)).toBeLessThan(1e-9);
    expect(Math.abs(b.p_value - 8.916513384948281e-129) / 8.916513384948281e-129).toBeLessThan(1e-9);
    expect(b.imbalanced).toBe(true);
    // TVD: per category |15 − 53.57| + |54 − 15| over 450, halved, times five.
    expect(b.tvd).toBeCloseTo((5 * (Math.abs(15 - 375 / 7) + Math.abs(21 - 150 / 7) + Math.abs(54 - 15))) / 450 / 2, 12);
  });

  it('gives the exact TVD on a hand example', () => {
    // Designed 5 / 5, realised 7 / 3: ½ (|0.7 − 0.5| + |0.3 − 0.5|) = 0.2.
    const allocation = allocate(10, { stratum: 'a', pool: 100, share: 1, floor: 0 }, { stratum: 'b', pool: 100, share: 1, floor: 0 });
    expect(balanceOf(withCounts(allocation, [7, 3]), 0.05).tvd).toBeCloseTo(0.2, 15);
    expect(totalVariationDistance([0.5, 0.3, 0.2], [0.4, 0.4, 0.2])).toBeCloseTo(0.1, 15);
    expect(totalVariationDistance([1, 0], [0, 1])).toBe(1);
    expect(() => totalVariationDistance([0.5, 0.6], [0.5, 0.5])).toThrow(/not a distribution/);
  });

  it('warns when an expected count is below 5 (Cochran) and reports the smallest', () => {
    // Designed 18 / 1.4 / 0.6: two cells below 5.
    const allocation = allocate(
      20,
      { stratum: 'a', pool: 100, share: 0.9, floor: 0 },
      { stratum: 'b', pool: 100, share: 0.07, floor: 0 },
      { stratum: 'c', pool: 100, share: 0.03, floor: 0 },
    );
    const b = balanceOf(allocation, 0.05);
    expect(b.min_expected).toBeCloseTo(0.6, 12);
    expect(b.warnings).toEqual([
      '2 of 3 strata expect fewer than 5 examples (smallest 0.60): the chi-squared approximation is weak there (Cochran 1954), so read the TVD beside the p-value',
    ]);
  });

  it('scales the design to the realised total when the pool is smaller than the size', () => {
    // Designed 60 / 40 at N = 100, but only 50 candidates in all: expected 30 / 20.
    const allocation = allocate(100, { stratum: 'a', pool: 30, share: 0.6, floor: 0 }, { stratum: 'b', pool: 20, share: 0.4, floor: 0 });
    const b = balanceOf(allocation, 0.05);
    expect(allocation.total).toBe(50);
    expect(b.designed).toEqual({ a: 60, b: 40 });
    expect(b.statistic).toBeCloseTo(chiSquaredGoodnessOfFit([30, 20], [30, 20]).statistic, 12);
    expect(b.imbalanced).toBe(false);
  });

  it('says so when the floors add up to more than the size', () => {
    // a is pool-limited (10 of a floor of 30), so 40 of floors fit a size of 50; the design's 60 do not.
    const allocation = allocate(50, { stratum: 'a', pool: 10, share: 1, floor: 30 }, { stratum: 'b', pool: 1000, share: 1, floor: 30 });
    const b = balanceOf(allocation, 0.05);
    expect(b.designed).toEqual({ a: 25, b: 25 });
    expect(b.warnings[0]).toBe('the floors add up to 60, more than the size 50: the designed counts are the floors scaled down to the size');
    expect(b.imbalanced).toBe(true);
  });

  it('words a warning for each pool-limited stratum', () => {
    const allocation = allocate(100, { stratum: 'a', pool: 1000, share: 1, floor: 30 }, { stratum: 'b', pool: 12, share: 1, floor: 30 });
    expect(poolLimitedWarnings(allocation)).toEqual([
      'stratum b is pool-limited: its pool holds 12 examples, below its floor of 30; all 12 were taken',
    ]);
  });
});
