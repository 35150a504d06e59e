/**
 * The type-7 ("linear") quantile of sorted values, the default of R's `quantile` and NumPy's
 * `np.quantile` (Hyndman & Fan 1996, "Sample quantiles in statistical packages", definition 7):
 * h = (N − 1)p, Q = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋). Hand-written: no quantile library is a dependency.
 */
export function quantileSortedType7(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return lo + 1 < sorted.length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}
