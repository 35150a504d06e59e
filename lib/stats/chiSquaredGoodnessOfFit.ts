// @stdlib ships CommonJS without type declarations for this path under NodeNext; its signature is gammainc(x, a, regularized, upper).
import gammaincModule from '@stdlib/math-base-special-gammainc';

const gammainc = gammaincModule as unknown as (x: number, a: number, regularized?: boolean, upper?: boolean) => number;

export interface ChiSquaredResult {
  statistic: number;
  df: number;
  pValue: number;
}

/**
 * Pearson's chi-squared goodness-of-fit test, as scipy.stats.chisquare computes it:
 * χ² = Σ (Oᵢ − Eᵢ)² / Eᵢ with k − 1 degrees of freedom, and the p-value the chi-squared survival
 * function, Q(df/2, χ²/2), the regularised upper incomplete gamma function (@stdlib), which stays
 * exact deep in the tail where 1 − CDF would round to 0.
 * Expected counts default to uniform; when given they must sum to the observed total (as scipy requires).
 * simple-statistics' chiSquaredGoodnessOfFit is not used: it compares with a two-decimal table and returns a boolean.
 */
export function chiSquaredGoodnessOfFit(observed: readonly number[], expected?: readonly number[]): ChiSquaredResult {
  const k = observed.length;
  if (k < 2) throw new RangeError('the chi-squared test needs at least two categories');
  const total = observed.reduce((a, b) => a + b, 0);
  const exp = expected ?? observed.map(() => total / k);
  if (exp.length !== k) throw new RangeError('observed and expected differ in length');
  const expTotal = exp.reduce((a, b) => a + b, 0);
  if (Math.abs(expTotal - total) > 1e-8 * Math.max(total, expTotal)) {
    throw new RangeError(`expected counts sum to ${expTotal}, observed to ${total}: they must match`);
  }
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    if (!(exp[i] > 0)) throw new RangeError('every expected count must be positive');
    statistic += (observed[i] - exp[i]) ** 2 / exp[i];
  }
  const df = k - 1;
  return { statistic, df, pValue: gammainc(statistic / 2, df / 2, true, true) };
}
