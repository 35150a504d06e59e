/**
 * The first Wasserstein distance between two one-dimensional distributions, with the semantics of
 * scipy.stats.wasserstein_distance: the area between the two cumulative distribution functions,
 *
 *   W₁(U, V) = ∫ |F_U(x) − F_V(x)| dx
 *
 * (Ramdas, García Trillos & Cuturi, "On Wasserstein Two-Sample Testing and Related Families of
 * Nonparametric Tests", Entropy 19(2):47, 2017, §2.1; for empirical distributions the integral is a
 * finite sum over the gaps between consecutive pooled values). Each input is a sample of values,
 * optionally with non-negative weights (a weighted empirical distribution, as scipy accepts); the two
 * samples may differ in size. The result is in the values' own units.
 *
 * The computation follows scipy's `_cdf_distance` step for step: pool and sort all values, and over
 * each gap [xₖ, xₖ₊₁) weigh |F_U − F_V| by the gap's width, where F at xₖ is the (weighted) share of
 * the sample ≤ xₖ. Hand-written: simple-statistics and @stdlib ship no Wasserstein distance.
 */
export function wassersteinDistance(u: readonly number[], v: readonly number[], uWeights?: readonly number[], vWeights?: readonly number[]): number {
  const uSample = sortedSample(u, uWeights, 'u');
  const vSample = sortedSample(v, vWeights, 'v');
  const pooled = [...uSample.values, ...vSample.values].sort((a, b) => a - b);
  let distance = 0;
  let uBelow = 0; // how many of u's sorted values are ≤ the current pooled value
  let vBelow = 0;
  for (let k = 0; k + 1 < pooled.length; k++) {
    const x = pooled[k];
    while (uBelow < uSample.values.length && uSample.values[uBelow] <= x) uBelow++;
    while (vBelow < vSample.values.length && vSample.values[vBelow] <= x) vBelow++;
    const uCdf = uSample.cumulative[uBelow] / uSample.total;
    const vCdf = vSample.cumulative[vBelow] / vSample.total;
    distance += Math.abs(uCdf - vCdf) * (pooled[k + 1] - x);
  }
  return distance;
}

interface SortedSample {
  values: number[];
  /** cumulative[i] = total weight of the i smallest values; cumulative[0] = 0. */
  cumulative: number[];
  total: number;
}

function sortedSample(values: readonly number[], weights: readonly number[] | undefined, name: string): SortedSample {
  if (values.length === 0) throw new RangeError(`${name} is empty: the Wasserstein distance needs at least one value on each side`);
  if (values.some((x) => !Number.isFinite(x))) throw new RangeError(`${name} holds a value that is not a finite number`);
  if (weights !== undefined) {
    if (weights.length !== values.length) throw new RangeError(`${name} has ${values.length} values but ${weights.length} weights`);
    if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new RangeError(`${name}'s weights must be finite and ≥ 0`);
  }
  const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j] || i - j);
  const cumulative = [0];
  for (const i of order) cumulative.push(cumulative[cumulative.length - 1] + (weights ? weights[i] : 1));
  const total = cumulative[cumulative.length - 1];
  if (!(total > 0)) throw new RangeError(`${name}'s weights must have a positive sum`);
  return { values: order.map((i) => values[i]), cumulative, total };
}
