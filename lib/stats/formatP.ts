/** A p-value a person can read: fixed notation down to 1e-4, scientific below. */
export function formatP(p: number): string {
  return p >= 1e-4 ? p.toFixed(4) : p.toExponential(2);
}
