import mt19937 from '@stdlib/random-base-mt19937';
import { binomialModal } from '../stats/binomialModal.ts';
import { quantileSortedType7 } from '../stats/quantileSortedType7.ts';
import { jensenShannonDivergence } from '../stats/jensenShannonDivergence.ts';

export interface NoiseFloorOptions {
  /** Seed of the MT19937 generator behind the binomial draws (@stdlib): the same seed gives the same floor, bit for bit. */
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
 * draws a multinomial sample of size n_ref and one of size n_cur from p̂ (multinomialSampler, by
 * conditional binomials) and computes their JSD. The floor is the `quantile` (default 95th) of the B
 * values, type 7 (Hyndman & Fan 1996, as R and NumPy default). So "JSD above the floor" is the
 * bootstrap test of equal distributions rejecting at level 1 − quantile.
 *
 * `reference` and `current` are counts per bin over the same bins (a HistogramPair's two sides), whole
 * numbers ≥ 0 with at least one on each side. The cost is 2B multinomial draws of at most K binomial
 * draws each.
 */
export function noiseFloor(reference: readonly number[], current: readonly number[], options: NoiseFloorOptions): number {
  const { seed, replicates = 1000, quantile = 0.95 } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(replicates) || replicates < 1) throw new RangeError(`replicates must be a positive integer, got ${replicates}`);
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`quantile must lie strictly between 0 and 1, got ${quantile}`);
  if (reference.length !== current.length) throw new RangeError('the two histograms differ in length');
  const nRef = nonEmptySampleSize(reference, 'reference');
  const nCur = nonEmptySampleSize(current, 'current');

  const draw = multinomialSampler(
    reference.map((a, k) => a + current[k]),
    seed,
  );
  const values = new Float64Array(replicates);
  for (let r = 0; r < replicates; r++) values[r] = jensenShannonDivergence(draw(nRef), draw(nCur));
  return quantileSortedType7(values.sort(), quantile);
}

/**
 * A seeded sampler of multinomial counts: `draw(n)` returns the counts per bin of n draws with
 * replacement from the bins, bin k drawn with probability weights[k] / Σ weights. The weights are
 * counts (whole numbers ≥ 0, at least one positive), so each probability below is a ratio of two
 * integers, rounded once.
 *
 * The conditional binomial method (Devroye, "Non-Uniform Random Variate Generation" (1986), ch. XI;
 * Davis, "The computer generation of multinomial random variates", Comput. Stat. Data Anal. 16 (1993)
 * 205–217, which GSL's gsl_ran_multinomial and numpy's Generator.multinomial also follow):
 * x₁ ~ Bin(n, p₁), then x₂ ~ Bin(n − x₁, p₂ / (1 − p₁)), …, each bin a binomial of the draws left
 * given the bins before, and the last bin takes the rest. That is at most K binomial draws instead of
 * n categorical ones.
 *
 * Any order of the bins gives the same multinomial law; they are taken by decreasing weight (ties by
 * index). Each binomial is drawn by Kemp's modal inversion (lib/stats/binomialModal.ts) from one
 * uniform, in about √(m·p(1 − p)) steps over the m draws left, so a multinomial costs far less than its
 * n categorical draws at the sizes staleness meets (hundreds to thousands).
 *
 * The uniforms come from @stdlib's MT19937 (Matsumoto & Nishimura 1998), 53 bits each,
 * seeded through its init_by_array with the seed's 64-bit two's complement split into two 32-bit words
 * [low, high], so every safe integer, 0 and negatives included, names its own stream. MT19937 is
 * integer arithmetic and the binomial uses @stdlib's own ln, exp and gammaln, so a seed gives the same
 * draws on every machine.
 */
export function multinomialSampler(weights: readonly number[], seed: number): (n: number) => number[] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const total = wholeCountTotal(weights, 'weight list');
  if (total === 0) throw new RangeError('the weights are all 0: a multinomial needs at least one bin of positive weight');
  const order = weights
    .map((_, k) => k)
    .filter((k) => weights[k] > 0)
    .sort((i, j) => weights[j] - weights[i] || i - j);
  const twosComplement = BigInt.asUintN(64, BigInt(seed));
  const words = [Number(twosComplement & 0xffffffffn), Number(twosComplement >> 32n)];
  const next = mt19937.factory({ seed: words });
  // A double in [0, 1) from 53 random bits (27 + 26 of two 32-bit outputs), as MT19937's genrand_res53.
  const uniform = () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  return (n: number) => {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`the number of draws must be a whole number ≥ 0, got ${n}`);
    const counts = new Array<number>(weights.length).fill(0);
    let left = n;
    let weightLeft = total;
    for (const k of order) {
      if (left === 0) break;
      const w = weights[k];
      // The last bin with weight has conditional probability 1: it takes the rest.
      const x = w === weightLeft ? left : binomialModal(left, w / weightLeft, uniform());
      counts[k] = x;
      left -= x;
      weightLeft -= w;
    }
    return counts;
  };
}

function nonEmptySampleSize(counts: readonly number[], side: string): number {
  const n = wholeCountTotal(counts, `${side} histogram`);
  if (n === 0) throw new RangeError(`the ${side} histogram is empty: a noise floor needs at least one observation on each side`);
  return n;
}

/** The sum of counts that must be whole numbers ≥ 0. */
function wholeCountTotal(counts: readonly number[], what: string): number {
  let n = 0;
  for (const c of counts) {
    if (!Number.isSafeInteger(c) || c < 0) throw new RangeError(`the ${what} holds a count that is not a whole number ≥ 0: ${c}`);
    n += c;
  }
  return n;
}
