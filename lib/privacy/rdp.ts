/**
 * Rényi differential privacy (RDP) accounting: the RDP curve of each noisy release, their composition,
 * and the conversion of a composed curve to an (ε, δ) guarantee.
 *
 * An RDP curve is a `number[]` aligned with `RDP_ORDERS`: entry i is ε(α) at α = RDP_ORDERS[i], the
 * bound on the Rényi divergence of order α between the outputs on two neighbouring datasets
 * (replace-one). Curves compose by addition (Mironov 2017, "Rényi Differential Privacy", Prop. 1).
 *
 * Every formula here follows Google's dp-accounting (`dp_accounting.rdp.rdp_privacy_accountant`,
 * version 0.6.0), branch for branch, so that the numbers agree with it and with Opacus.
 */

import type { MechanismSpec } from './fields.ts';

/** One noisy release of a field (defined beside the field specs that produce it, lib/privacy/fields.ts). */
export type { MechanismSpec };

/**
 * The RDP orders α, dp-accounting's `DEFAULT_RDP_ORDERS`: 1.1, 1.2, …, 10.9, then 11, 12, …, 63, then
 * 128, 256, 512, 1024 (156 orders). Dense at small α, where the Gaussian mechanism's optimum lies in
 * the privacy regime of interest.
 */
export const RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 53 }, (_, i) => 11 + i),
  128,
  256,
  512,
  1024,
]);

function checkOrders(orders: readonly number[]): void {
  for (const a of orders) if (!(a >= 1)) throw new RangeError(`an RDP order must be a number >= 1; found ${a}`);
}

/**
 * RDP of one release of the Gaussian mechanism with noise multiplier z = σ/Δ: ε(α) = α / (2z²)
 * (Mironov 2017, Table II; dp-accounting `_compute_rdp_poisson_subsampled_gaussian` with q = 1).
 * z = 0 (no noise) gives ε(α) = ∞ at every order, as in dp-accounting.
 */
export function gaussianRdp(noiseMultiplier: number, orders: readonly number[] = RDP_ORDERS): number[] {
  if (!(noiseMultiplier >= 0)) throw new RangeError(`the Gaussian noise multiplier must be a number >= 0; found ${noiseMultiplier}`);
  checkOrders(orders);
  return orders.map((a) => (a === Infinity || noiseMultiplier === 0 ? Infinity : a / (2 * noiseMultiplier ** 2)));
}

/**
 * RDP of one release of the Laplace mechanism with ε0 = Δ/b (Mironov 2017, Prop. 6), for α > 1:
 *
 *   ε(α) = 1/(α−1) · log( α/(2α−1) · exp((α−1)·ε0) + (α−1)/(2α−1) · exp(−α·ε0) ).
 *
 * Computed in log space, as a log-sum-exp of the two terms with the larger one, exp((α−1)·ε0),
 * factored out, so that nothing overflows at α = 1024:
 *
 *   ε(α) = ε0 + log1p( (α−1) · expm1((1−2α)·ε0) / (2α−1) ) / (α−1),
 *
 * which is dp-accounting's `_laplace_rdp`. Like it, α = 1 gives the limit (the KL divergence)
 * ε0 + expm1(−ε0), and 1 < α < 1.1 uses the Taylor series of log1p(c·x)/x, since dividing by α − 1
 * near 1 would lose the digits.
 */
export function laplaceRdp(epsilon0: number, orders: readonly number[] = RDP_ORDERS): number[] {
  if (!Number.isFinite(epsilon0) || epsilon0 < 0) throw new RangeError(`the Laplace epsilon0 must be a finite number >= 0; found ${epsilon0}`);
  checkOrders(orders);
  return orders.map((a) => {
    if (a === Infinity) return epsilon0;
    if (a === 1) return epsilon0 + Math.expm1(-epsilon0);
    if (a < 1.1) {
      // log(1 + c·x)/x = c · Σ_{k≥1} (−c·x)^{k−1}/k with x = α − 1; here 0 ≤ −c·x ≤ 0.1.
      const c = Math.expm1(epsilon0 * (1 - 2 * a)) / (2 * a - 1);
      const v = -c * (a - 1);
      let series = 0;
      for (let k = 99; k >= 1; k--) series += v ** (k - 1) / k;
      return epsilon0 + c * series;
    }
    return epsilon0 + Math.log1p(((a - 1) * Math.expm1(epsilon0 * (1 - 2 * a))) / (2 * a - 1)) / (a - 1);
  });
}

/** Sum of curves (Mironov 2017, Prop. 1: RDP composes additively at each order). No curves: all zeros over RDP_ORDERS. */
export function composeRdp(curves: readonly (readonly number[])[]): number[] {
  const length = curves.length ? curves[0].length : RDP_ORDERS.length;
  const total = new Array<number>(length).fill(0);
  for (const curve of curves) {
    if (curve.length !== length) throw new RangeError(`RDP curves must have the same length to compose; found ${curve.length} and ${length}`);
    for (let i = 0; i < length; i++) total[i] += curve[i];
  }
  return total;
}

/** The RDP curve of a mechanism released `compositions` times (default 1): that many times the curve of one release. */
export function mechanismRdp(spec: MechanismSpec, orders: readonly number[] = RDP_ORDERS): number[] {
  const count = spec.compositions ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`field ${spec.field}: compositions must be an integer >= 1; found ${count}`);
  // An (ε, δ)-only release has no finite RDP curve; it is composed apart, by releaseEpsilon.
  if (spec.mechanism === 'approximate-dp') return orders.map(() => 0);
  const once = spec.mechanism === 'gaussian' ? gaussianRdp(spec.noise_multiplier, orders) : laplaceRdp(spec.epsilon0, orders);
  return once.map((r) => count * r);
}

/**
 * ε at δ of releases made of RDP mechanisms (their composed curve `rdp`) and of (ε, δ)-only ones
 * (`approximate-dp` specs among `mechanisms`). Basic composition joins the two: the (ε, δ)-only
 * releases spend δ_A = Σ δᵢ and ε_A = Σ εᵢ; the RDP curve is converted at the δ that is left, and
 * the εs add (Dwork & Roth 2014, Theorem 3.16). Without such releases this is rdpToEpsilon.
 */
export function releaseEpsilon(
  rdp: readonly number[],
  mechanisms: readonly MechanismSpec[],
  delta: number,
  orders: readonly number[] = RDP_ORDERS,
): { epsilon: number; order: number } {
  let epsilonA = 0;
  let deltaA = 0;
  for (const m of mechanisms)
    if (m.mechanism === 'approximate-dp') {
      epsilonA += m.epsilon * (m.compositions ?? 1);
      deltaA += m.delta * (m.compositions ?? 1);
    }
  if (deltaA === 0 && epsilonA === 0) return rdpToEpsilon(rdp, delta, orders);
  if (deltaA >= delta) return { epsilon: Infinity, order: 0 };
  const rest = rdpToEpsilon(rdp, delta - deltaA, orders);
  return { epsilon: rest.epsilon + epsilonA, order: rest.order };
}

/**
 * The smallest ε such that a mechanism with this RDP curve is (ε, δ)-DP, and the order that gives it.
 * The bound of Canonne, Kamath & Steinke (2020), "The Discrete Gaussian for Differential Privacy",
 * Prop. 12 (also Asoodeh et al. 2020, Eq. 20), minimised over the orders:
 *
 *   ε = min_α [ ε(α) + log((α−1)/α) − (log δ + log α)/(α−1) ],
 *
 * exactly as dp-accounting's `compute_epsilon` (used by `RdpAccountant.get_epsilon_and_optimal_order`):
 * - δ = 0: ε = 0 (order 0) if the curve is all zeros, else ∞ (order 0);
 * - an order whose ε(α) < 0 (numerical noise from extreme inputs) gives ε = 0;
 * - an order with δ² + expm1(−ε(α)) > 0 gives ε = 0 (the KL bound δ ≤ √(1 − exp(−KL)) already holds);
 * - orders α ≤ 1.01 give ∞ (the bound is unstable as α → 1), so α = 1 never wins;
 * - the first order with the smallest ε wins, and ε is clipped below at 0.
 * Unlike dp-accounting, a NaN in the curve is refused rather than silently turned into ε = 0.
 */
export function rdpToEpsilon(rdp: readonly number[], delta: number, orders: readonly number[] = RDP_ORDERS): { epsilon: number; order: number } {
  if (!(delta >= 0)) throw new RangeError(`delta must be a number >= 0; found ${delta}`);
  if (rdp.some((r) => Number.isNaN(r))) throw new RangeError('the RDP curve holds NaN');
  if (delta === 0) return { epsilon: rdp.every((r) => r === 0) ? 0 : Infinity, order: 0 };
  if (orders.length !== rdp.length) throw new RangeError(`the RDP curve has ${rdp.length} values for ${orders.length} orders`);
  let best = -1;
  let bestEpsilon = Infinity;
  orders.forEach((a, i) => {
    if (!(a >= 1)) throw new RangeError(`an RDP order must be at least 1; found ${a}`);
    const r = rdp[i];
    let epsilon: number;
    if (r < 0) epsilon = 0;
    else if (delta ** 2 + Math.expm1(-r) > 0) epsilon = 0;
    else if (a > 1.01) epsilon = r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
    else epsilon = Infinity;
    if (best === -1 || epsilon < bestEpsilon) {
      best = i;
      bestEpsilon = epsilon;
    }
  });
  if (best === -1) throw new RangeError('no RDP orders to minimise over');
  return { epsilon: Math.max(0, bestEpsilon), order: orders[best] };
}

/** ε at this δ of the composition of the given releases, each over RDP_ORDERS. */
export function epsilonOf(specs: readonly MechanismSpec[], delta: number): number {
  return rdpToEpsilon(composeRdp(specs.map((spec) => mechanismRdp(spec))), delta).epsilon;
}
