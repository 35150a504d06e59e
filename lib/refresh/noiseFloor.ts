import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { quantileSortedType7 } from '../annotation/bootstrapAlpha.ts';
import { jensenShannonDivergence } from '../stats/jensenShannonDivergence.ts';

export interface NoiseFloorOptions {
  /** Seed of the xoroshiro128+ generator (pure-rand): the same seed gives the same floor, bit for bit. */
  seed: number;
  /** Bootstrap replicates B (default 1,000). */
  replicates?: number;
  /** The quantile of the replicates' JSD reported as the floor, in (0, 1) (default 0.95). */
  quantile?: number;
}

/**
 * The Jensen–Shannon divergence expected from sampling noise alone, at the observed sample sizes.
 *
 * Two samples of ONE distribution still differ, and the JSD of their histograms is positive, the more
 * so the smaller they are: with equal sizes n, 4n·JSD is the G statistic of the test of homogeneity,
 * which tends to χ² with K − 1 degrees of freedom over K bins (Wilks 1938), so E[JSD] ≈ (K − 1)/(4n).
 * A fixed threshold alone therefore raises false alarms on a small day of traffic.
 *
 * The floor is the two-sample bootstrap under the null hypothesis of Efron & Tibshirani, "An
 * Introduction to the Bootstrap" (1993), Algorithm 16.1: under the null both samples come from one
 * distribution, estimated by pooling them, p̂ₖ = (aₖ + bₖ) / (n_ref + n_cur). Each of B replicates
 * draws a multinomial sample of size n_ref and one of size n_cur from p̂ (an index drawn uniformly
 * from the pooled N = n_ref + n_cur observations, so p̂ is exact in integers) and computes their JSD.
 * The floor is the `quantile` (default 95th) of the B values, type 7 (Hyndman & Fan 1996, as R and
 * NumPy default). So "JSD above the floor" is the bootstrap test of equal distributions rejecting at
 * level 1 − quantile.
 *
 * `reference` and `current` are counts per bin over the same bins (a HistogramPair's two sides), whole
 * numbers ≥ 0 with at least one on each side. The cost is B · (n_ref + n_cur) draws, each a binary
 * search over the K bins.
 */
export function noiseFloor(reference: readonly number[], current: readonly number[], options: NoiseFloorOptions): number {
  const { seed, replicates = 1000, quantile = 0.95 } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(replicates) || replicates < 1) throw new RangeError(`replicates must be a positive integer, got ${replicates}`);
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`quantile must lie strictly between 0 and 1, got ${quantile}`);
  if (reference.length !== current.length) throw new RangeError('the two histograms differ in length');
  const nRef = sampleSize(reference, 'reference');
  const nCur = sampleSize(current, 'current');

  // cumulative[k] = pooled observations in bins 0 … k; an index u in [0, N) falls in the first bin with cumulative > u.
  const K = reference.length;
  const cumulative = new Array<number>(K);
  let running = 0;
  for (let k = 0; k < K; k++) cumulative[k] = running += reference[k] + current[k];
  const N = running;

  const rng = xoroshiro128plus(seed);
  const draw = (counts: number[], n: number) => {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const u = uniformInt(rng, 0, N - 1);
      let lo = 0;
      let hi = K - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      counts[lo]++;
    }
  };
  const a = new Array<number>(K);
  const b = new Array<number>(K);
  const values = new Float64Array(replicates);
  for (let r = 0; r < replicates; r++) {
    draw(a, nRef);
    draw(b, nCur);
    values[r] = jensenShannonDivergence(a, b);
  }
  return quantileSortedType7(values.sort(), quantile);
}

function sampleSize(counts: readonly number[], name: string): number {
  let n = 0;
  for (const c of counts) {
    if (!Number.isSafeInteger(c) || c < 0) throw new RangeError(`the ${name} histogram holds a count that is not a whole number ≥ 0: ${c}`);
    n += c;
  }
  if (n === 0) throw new RangeError(`the ${name} histogram is empty: a noise floor needs at least one observation on each side`);
  return n;
}
