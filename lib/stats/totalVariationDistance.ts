/**
 * Total variation distance between two discrete distributions over the same categories:
 * δ(P, Q) = ½ Σ |pᵢ − qᵢ|, the largest difference in probability the two give any set of categories
 * (Levin, Peres & Wilmer, "Markov Chains and Mixing Times", 2nd ed., Proposition 4.2). In [0, 1]:
 * 0 when equal, 1 when disjoint. Each input must sum to 1. Hand-written: neither simple-statistics
 * nor @stdlib ships it, and it is one line.
 */
export function totalVariationDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new RangeError('the two distributions differ in length');
  for (const [name, xs] of [
    ['p', p],
    ['q', q],
  ] as const) {
    const sum = xs.reduce((a, b) => a + b, 0);
    if (xs.some((x) => !(x >= 0)) || Math.abs(sum - 1) > 1e-9)
      throw new RangeError(`${name} is not a distribution: its entries must be ≥ 0 and sum to 1`);
  }
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += Math.abs(p[i] - q[i]);
  return sum / 2;
}
