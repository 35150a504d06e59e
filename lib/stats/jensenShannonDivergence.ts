/**
 * The Jensen–Shannon divergence between two discrete distributions, in nats:
 *
 *   JSD(P ‖ Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M),  M = ½ (P + Q),  KL(P ‖ M) = Σ pᵢ ln(pᵢ / mᵢ)
 *
 * (Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory 37(1):145–151,
 * 1991, eq. 4.1 with equal weights). Symmetric, 0 when P = Q, at most ln 2 when the supports are
 * disjoint. A zero mass contributes nothing (0 · ln 0 = 0, scipy.special.rel_entr's convention), and
 * M is positive wherever P or Q is, so zeros on either side are safe.
 *
 * Each input is normalised to sum to 1 first, as scipy does, so raw counts may be passed. Beware that
 * scipy.spatial.distance.jensenshannon returns the Jensen–Shannon DISTANCE, the square root of this
 * divergence. Hand-written: neither simple-statistics nor @stdlib ships it, and it is a few lines.
 */
export function jensenShannonDivergence(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new RangeError('the two distributions differ in length');
  const pn = normalised(p, 'p');
  const qn = normalised(q, 'q');
  let divergence = 0;
  for (let i = 0; i < pn.length; i++) {
    const m = (pn[i] + qn[i]) / 2;
    const fromP = pn[i] > 0 ? pn[i] * Math.log(pn[i] / m) : 0;
    const fromQ = qn[i] > 0 ? qn[i] * Math.log(qn[i] / m) : 0;
    // One addition per category (commutative in IEEE 754), so JSD(P, Q) and JSD(Q, P) agree to the bit.
    divergence += fromP + fromQ;
  }
  // Rounding can leave −1e-17 for equal inputs; the divergence is never negative.
  return Math.max(0, divergence / 2);
}

/**
 * The Jensen–Shannon divergence (nats) between two categorical distributions given as counts per
 * category: categories missing from one side count 0 there. The union of categories is taken in
 * sorted order so the sum, and so the last bits of the result, do not depend on insertion order.
 */
export function jensenShannonDivergenceOfCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  const categories = [...new Set([...a.keys(), ...b.keys()])].sort();
  return jensenShannonDivergence(
    categories.map((c) => a.get(c) ?? 0),
    categories.map((c) => b.get(c) ?? 0),
  );
}

function normalised(xs: readonly number[], name: string): number[] {
  if (xs.some((x) => !(x >= 0) || !Number.isFinite(x))) throw new RangeError(`${name} holds a mass that is negative or not a finite number`);
  const total = xs.reduce((s, x) => s + x, 0);
  if (!(total > 0)) throw new RangeError(`${name} has no mass: its entries must sum to more than 0`);
  return xs.map((x) => x / total);
}
