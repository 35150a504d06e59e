import { BudgetBelowFloorsError, PoolTooSmallError, StratumBelowMinimumError } from '../errors.ts';
import { byCodePoint } from '../io/order.ts';

export interface StratumRequest {
  stratum: string;
  /** Candidates available in the pool. */
  pool: number;
  /** Target share of the dataset, ≥ 0; strata with share 0 are left out. Shares need not sum to 1. */
  share: number;
  /** Minimum count for the stratum. */
  floor: number;
}

export interface AllocationRequest {
  dataset: string;
  size: number;
  strata: readonly StratumRequest[];
  /** When false, a stratum whose pool is below its floor is an error instead of a warning. */
  allowPoolLimited: boolean;
}

export interface StratumAllocation extends StratumRequest {
  /** share × size with the shares normalised: what pure proportionality would give, before floors and pools. */
  target: number;
  /** The count to draw, an integer. */
  allocated: number;
  /** The pool is below the floor: the stratum takes its whole pool. */
  poolLimited: boolean;
}

export interface Allocation {
  size: number;
  strata: StratumAllocation[];
  total: number;
  poolLimited: string[];
}

/** Σ clamp(λ·sᵢ, loᵢ, hiᵢ): non-decreasing and piecewise linear in λ. */
function filled(lambda: number, s: number[], lo: number[], hi: number[]): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += Math.min(hi[i], Math.max(lo[i], lambda * s[i]));
  return sum;
}

/**
 * Allocate a budget over strata.
 *
 * Each stratum i gets xᵢ = clamp(λ·sᵢ, loᵢ, hiᵢ) with loᵢ = min(floorᵢ, poolᵢ) and hiᵢ = poolᵢ, and λ
 * chosen so that Σxᵢ = size (or the whole eligible pool when it is smaller). This is the fixed point
 * of "give every stratum max(floor, share × N) capped by its pool, then redistribute the surplus to
 * the others in proportion to their targets, capped by their pools": strata pinned at a floor or a
 * pool keep it, and every free stratum is scaled by the same factor. λ is found exactly by walking the
 * breakpoints of the piecewise-linear sum. Integers come from largest-remainder rounding (ties broken
 * by stratum id), so the total is exact and no stratum leaves [lo, hi].
 */
export function allocateStrata(request: AllocationRequest): Allocation {
  const { dataset, size } = request;
  const strata = [...request.strata].filter((s) => s.share > 0).sort((a, b) => byCodePoint(a.stratum, b.stratum));
  const shareSum = strata.reduce((sum, s) => sum + s.share, 0);
  const s = strata.map((x) => x.share / shareSum);
  const lo = strata.map((x) => Math.min(x.floor, x.pool));
  const hi = strata.map((x) => x.pool);

  const poolTotal = hi.reduce((a, b) => a + b, 0);
  const floorTotal = strata.reduce((sum, x) => sum + x.floor, 0);
  if (poolTotal < floorTotal) {
    const deficits = strata.filter((x) => x.pool < x.floor).map(({ stratum, pool, floor }) => ({ stratum, pool, floor }));
    throw new PoolTooSmallError(dataset, poolTotal, floorTotal, deficits);
  }
  if (!request.allowPoolLimited) {
    const short = strata.find((x) => x.pool < x.floor);
    if (short) throw new StratumBelowMinimumError(dataset, short.stratum, short.pool, short.floor);
  }
  const loTotal = lo.reduce((a, b) => a + b, 0);
  if (size < loTotal) throw new BudgetBelowFloorsError(dataset, size, loTotal);

  const budget = Math.min(size, poolTotal);
  let x: number[];
  if (budget === poolTotal) {
    x = [...hi];
  } else {
    // Breakpoints of the sum, where some stratum starts or stops moving with λ.
    const points = [0, ...s.flatMap((si, i) => [lo[i] / si, hi[i] / si])].sort((a, b) => a - b);
    let a = 0;
    let b = points[points.length - 1];
    for (const p of points) {
      if (filled(p, s, lo, hi) >= budget) {
        b = p;
        break;
      }
      a = p;
    }
    const fa = filled(a, s, lo, hi);
    const fb = filled(b, s, lo, hi);
    const lambda = fb === fa ? b : a + ((budget - fa) * (b - a)) / (fb - fa);
    x = s.map((si, i) => Math.min(hi[i], Math.max(lo[i], lambda * si)));
  }

  // Largest remainder: floor everything, then hand the missing units to the largest fractions.
  const counts = x.map((v) => Math.floor(v + 1e-9));
  let missing = budget - counts.reduce((sum, c) => sum + c, 0);
  const order = x
    .map((v, i) => ({ i, remainder: v - counts[i] }))
    .filter(({ i }) => counts[i] < hi[i])
    .sort((p, q) => q.remainder - p.remainder || byCodePoint(strata[p.i].stratum, strata[q.i].stratum));
  for (let k = 0; missing > 0 && k < order.length; k++, missing--) counts[order[k].i]++;
  // A rounding surplus (only possible through float error) is taken back from the smallest fractions above their floor.
  for (let k = order.length - 1; missing < 0 && k >= 0; k--) {
    const i = order[k].i;
    if (counts[i] > lo[i]) {
      counts[i]--;
      missing++;
    }
  }

  const result = strata.map((x, i) => ({
    ...x,
    target: s[i] * size,
    allocated: counts[i],
    poolLimited: x.pool < x.floor,
  }));
  return {
    size,
    strata: result,
    total: counts.reduce((a, b) => a + b, 0),
    poolLimited: result.filter((r) => r.poolLimited).map((r) => r.stratum),
  };
}

export interface DesignedAllocation {
  /** Per stratum (the order of the request, sorted by id), the count the design asks for: a real number, not rounded. */
  strata: { stratum: string; designed: number }[];
  /** The floors add up to more than the size: no allocation can hold them all, so the designed counts are the floors scaled down to the size. */
  overcommitted: boolean;
}

/**
 * The allocation the design asks for, before any pool limit: every stratum gets max(floorᵢ, λ·sᵢ), with
 * λ chosen so that the counts add up to `size` — the target shares with the floors applied and the
 * surplus taken from the free strata in proportion to their shares. It is `allocateStrata` with
 * unlimited pools and without rounding (the continuous solution it rounds), computed by the classic
 * pinning loop instead of the breakpoint walk: pin every stratum whose proportional count falls below
 * its floor, re-solve λ for the rest, repeat until nothing new is pinned (at most one pass per stratum).
 * The balance check compares realised counts with this, so that a floor the design asked for is not
 * mistaken for imbalance while a pool limit, drift or a bug still is.
 */
export function designedAllocation(size: number, requested: readonly Pick<StratumRequest, 'stratum' | 'share' | 'floor'>[]): DesignedAllocation {
  const strata = requested.filter((s) => s.share > 0).sort((a, b) => byCodePoint(a.stratum, b.stratum));
  const shareSum = strata.reduce((sum, s) => sum + s.share, 0);
  const shares = strata.map((s) => s.share / shareSum);
  const floors = strata.map((s) => s.floor);
  const floorTotal = floors.reduce((a, b) => a + b, 0);
  if (floorTotal >= size) {
    // Every stratum is pinned (λ = 0); when the floors exceed the size they are scaled to fit, keeping their ratios.
    const scale = floorTotal === 0 ? 0 : size / floorTotal;
    return { strata: strata.map((s, i) => ({ stratum: s.stratum, designed: floors[i] * scale })), overcommitted: floorTotal > size };
  }
  const pinned = strata.map(() => false);
  let lambda = 0;
  for (let changed = true; changed;) {
    let freeShare = 0;
    let rest = size;
    for (let i = 0; i < strata.length; i++) {
      if (pinned[i]) rest -= floors[i];
      else freeShare += shares[i];
    }
    // freeShare > 0: if every stratum were pinned, the floors would add up to more than the size, handled above.
    lambda = rest / freeShare;
    changed = false;
    for (let i = 0; i < strata.length; i++) {
      if (!pinned[i] && lambda * shares[i] < floors[i]) {
        pinned[i] = true;
        changed = true;
      }
    }
  }
  return {
    strata: strata.map((s, i) => ({ stratum: s.stratum, designed: pinned[i] ? floors[i] : lambda * shares[i] })),
    overcommitted: false,
  };
}
