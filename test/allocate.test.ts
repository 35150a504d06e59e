import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateStrata, designedAllocation, type StratumRequest } from '../lib/sampling/allocate.ts';
import { BudgetBelowFloorsError, PoolTooSmallError, StratumBelowMinimumError } from '../lib/errors.ts';

const stratumArb = fc.record({
  pool: fc.integer({ min: 0, max: 400 }),
  share: fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 10, noNaN: true })),
  floor: fc.integer({ min: 0, max: 60 }),
});
const requestArb = fc.record({
  strata: fc.array(stratumArb, { minLength: 1, maxLength: 15 }).map((xs) => xs.map((x, i) => ({ ...x, stratum: `s${String(i).padStart(2, '0')}` }))),
  size: fc.integer({ min: 1, max: 3000 }),
  allowPoolLimited: fc.boolean(),
});

type Outcome = ReturnType<typeof allocateStrata> | Error;
function attempt(strata: StratumRequest[], size: number, allowPoolLimited: boolean): Outcome {
  try {
    return allocateStrata({ dataset: 'prop', size, strata, allowPoolLimited });
  } catch (err) {
    return err as Error;
  }
}

describe('allocateStrata', () => {
  it('gives an exact total, holds floors unless pool-limited, never exceeds a pool, and errs exactly when it must', () => {
    fc.assert(
      fc.property(requestArb, ({ strata, size, allowPoolLimited }) => {
        const included = strata.filter((s) => s.share > 0);
        const poolTotal = included.reduce((a, s) => a + s.pool, 0);
        const floorTotal = included.reduce((a, s) => a + s.floor, 0);
        const reachableFloors = included.reduce((a, s) => a + Math.min(s.floor, s.pool), 0);
        const someShort = included.some((s) => s.pool < s.floor);
        const outcome = attempt(strata, size, allowPoolLimited);

        if (included.length > 0 && poolTotal < floorTotal) {
          expect(outcome).toBeInstanceOf(PoolTooSmallError);
          return;
        }
        if (!allowPoolLimited && someShort) {
          expect(outcome).toBeInstanceOf(StratumBelowMinimumError);
          return;
        }
        if (size < reachableFloors) {
          expect(outcome).toBeInstanceOf(BudgetBelowFloorsError);
          return;
        }
        expect(outcome).not.toBeInstanceOf(Error);
        const allocation = outcome as ReturnType<typeof allocateStrata>;
        expect(allocation.total).toBe(Math.min(size, poolTotal));
        expect(allocation.strata.reduce((a, s) => a + s.allocated, 0)).toBe(allocation.total);
        for (const s of allocation.strata) {
          expect(Number.isInteger(s.allocated)).toBe(true);
          expect(s.allocated).toBeLessThanOrEqual(s.pool);
          expect(s.allocated).toBeGreaterThanOrEqual(Math.min(s.floor, s.pool));
          expect(s.poolLimited).toBe(s.pool < s.floor);
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('is proportional where no floor or pool binds', () => {
    const strata = [
      { stratum: 'a', pool: 1000, share: 0.5, floor: 0 },
      { stratum: 'b', pool: 1000, share: 0.3, floor: 0 },
      { stratum: 'c', pool: 1000, share: 0.2, floor: 0 },
    ];
    const a = allocateStrata({ dataset: 'd', size: 100, strata, allowPoolLimited: true });
    expect(a.strata.map((s) => s.allocated)).toEqual([50, 30, 20]);
  });

  it('redistributes a pool-limited surplus in proportion to the other targets', () => {
    // a wants 50 but has 10; the 40 left go to b and c 3:2 → b 30 + 24 = 54, c 20 + 16 = 36.
    const strata = [
      { stratum: 'a', pool: 10, share: 0.5, floor: 5 },
      { stratum: 'b', pool: 1000, share: 0.3, floor: 5 },
      { stratum: 'c', pool: 1000, share: 0.2, floor: 5 },
    ];
    const a = allocateStrata({ dataset: 'd', size: 100, strata, allowPoolLimited: true });
    expect(a.strata.map((s) => s.allocated)).toEqual([10, 54, 36]);
  });

  it('raises a small stratum to its floor and takes the units from the others in proportion', () => {
    // c's target is 2 but its floor is 30; the other 70 split 5:3 → 43.75 / 26.25 → 44 / 26.
    const strata = [
      { stratum: 'a', pool: 1000, share: 0.49, floor: 0 },
      { stratum: 'b', pool: 1000, share: 0.294, floor: 0 },
      { stratum: 'c', pool: 1000, share: 0.02, floor: 30 },
    ];
    const a = allocateStrata({ dataset: 'd', size: 100, strata, allowPoolLimited: true });
    expect(a.strata.map((s) => s.allocated)).toEqual([44, 26, 30]);
  });

  it('names every deficient stratum and its shortfall in PoolTooSmallError', () => {
    const strata = [
      { stratum: 'a', pool: 3, share: 1, floor: 30 },
      { stratum: 'b', pool: 10, share: 1, floor: 30 },
      { stratum: 'c', pool: 40, share: 1, floor: 30 },
    ];
    const err = attempt(strata, 90, true) as PoolTooSmallError;
    expect(err).toBeInstanceOf(PoolTooSmallError);
    expect(err.message).toContain('a: 3 of 30 (short by 27)');
    expect(err.message).toContain('b: 10 of 30 (short by 20)');
    expect(err.message).not.toContain('c:');
  });

  it('names the stratum, its count and its minimum in StratumBelowMinimumError', () => {
    const err = attempt(
      [
        { stratum: 'a', pool: 12, share: 1, floor: 30 },
        { stratum: 'b', pool: 500, share: 1, floor: 30 },
      ],
      100,
      false,
    );
    expect(err).toBeInstanceOf(StratumBelowMinimumError);
    expect((err as Error).message).toMatch(/stratum a has 12 examples, below its minimum of 30/);
  });

  it('rounds the designed allocation: with pools that cannot bind, allocateStrata is designedAllocation to within one', () => {
    fc.assert(
      fc.property(requestArb, ({ strata, size }) => {
        const unlimitedPools = strata.map((s) => ({ ...s, pool: size }));
        const included = unlimitedPools.filter((s) => s.share > 0);
        const floorTotal = included.reduce((a, s) => a + s.floor, 0);
        if (included.length === 0 || floorTotal > size) return;
        const allocation = allocateStrata({ dataset: 'd', size, strata: unlimitedPools, allowPoolLimited: true });
        const design = designedAllocation(size, unlimitedPools);
        expect(design.overcommitted).toBe(false);
        expect(design.strata.map((s) => s.stratum)).toEqual(allocation.strata.map((s) => s.stratum));
        expect(Math.abs(design.strata.reduce((a, s) => a + s.designed, 0) - size)).toBeLessThan(1e-6);
        design.strata.forEach((s, i) => {
          expect(Math.abs(s.designed - allocation.strata[i].allocated)).toBeLessThan(1 + 1e-9);
          expect(s.designed).toBeGreaterThanOrEqual(allocation.strata[i].floor - 1e-9);
        });
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('designs max(floor, λ·share) before any pool limit', () => {
    // The demo's stress design: routine (1/40 of 450 = 11.25) is lifted to its floor of 15; the other 375 split 5:2.
    const strata = ['routine', 'moderate', 'adversarial'].map((level, i) => ({ stratum: level, pool: 14, share: [1, 2, 5][i], floor: 15 }));
    const design = designedAllocation(450 / 5, strata);
    expect(design.strata).toEqual([
      { stratum: 'adversarial', designed: (75 / 7) * 5 },
      { stratum: 'moderate', designed: (75 / 7) * 2 },
      { stratum: 'routine', designed: 15 },
    ]);
  });
});
