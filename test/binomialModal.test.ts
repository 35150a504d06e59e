import { describe, expect, it } from 'vitest';
import { binomialModal } from '../lib/stats/binomialModal.ts';

/** C(n, k) p^k (1 − p)^(n − k), by the product formula (an implementation independent of the sampler's). */
function pmf(n: number, p: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c * p ** k * (1 - p) ** (n - k);
}

describe("Kemp's modal binomial", () => {
  it('gives each k an interval of uniforms of length P(k) (in the search order from the mode): a fine grid lands on k in proportion to P(k)', () => {
    // scipy 1.17.1: binom.pmf(range(0, 21), 20, 0.3) agrees with pmf() above to 1e-15 (e.g. P(6) = 0.19163898275344238).
    expect(pmf(20, 0.3, 6)).toBeCloseTo(0.19163898275344238, 15);
    for (const [n, p] of [
      [20, 0.3],
      [1000, 0.0101],
      [57, 0.5],
      [40, 0.93],
    ] as const) {
      const M = 200_000;
      const hits = new Map<number, number>();
      for (let i = 0; i < M; i++) {
        const k = binomialModal(n, p, (i + 0.5) / M);
        hits.set(k, (hits.get(k) ?? 0) + 1);
      }
      // Each k takes the uniforms of one interval of length P(k): the grid counts it to within one step at each end.
      for (const [k, count] of hits) expect(Math.abs(count / M - pmf(n, p, k))).toBeLessThanOrEqual(2 / M);
      for (let k = 0; k <= n; k++) if (pmf(n, p, k) > 4 / M) expect(hits.has(k)).toBe(true);
    }
  });

  it('has the mean np and variance np(1 − p) where the stdlib sampler it replaces was biased (Bin(1000, 0.0101))', () => {
    const n = 1000;
    const p = 0.0101;
    let state = 12345;
    // A fixed sequence of uniforms (a 32-bit LCG, Numerical Recipes' constants): any good uniforms will do here.
    const u = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const draws = 100_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < draws; i++) {
      const x = binomialModal(n, p, u());
      sum += x;
      squares += x * x;
    }
    const mean = sum / draws;
    const variance = squares / draws - mean * mean;
    const npq = n * p * (1 - p);
    expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt(npq / draws));
    // The variance of the sample variance of a binomial is about (μ4 − σ⁴)/N with μ4 = npq(1 + 3pq(n − 2)).
    const mu4 = npq * (1 + 3 * p * (1 - p) * (n - 2));
    expect(Math.abs(variance - npq)).toBeLessThan(5 * Math.sqrt((mu4 - npq * npq) / draws));
  });

  it('covers the edges and refuses what is not a binomial', () => {
    expect(binomialModal(0, 0.4, 0.5)).toBe(0);
    expect(binomialModal(10, 0, 0.99)).toBe(0);
    expect(binomialModal(10, 1, 0.01)).toBe(10);
    expect(binomialModal(10, 0.5, 0)).toBe(5); // the mode's interval comes first
    expect(() => binomialModal(-1, 0.5, 0.5)).toThrow(/whole number/);
    expect(() => binomialModal(3, 1.5, 0.5)).toThrow(/\[0, 1\]/);
  });
});
