/** Disagreement weights on the label index positions i, j: linear |i − j|, quadratic (i − j)². */
export type KappaWeights = 'linear' | 'quadratic';

export interface CohenKappaOptions {
  weights?: KappaWeights;
  /** The categories, in order; pairs with a rating outside them are left out. Default: the sorted union of both raters' labels. */
  labels?: readonly (string | number)[];
}

/**
 * Cohen's kappa (Cohen 1960, "A coefficient of agreement for nominal scales", Educational and
 * Psychological Measurement 20(1):37–46) and its weighted form (Cohen 1968), from a contingency table
 * table[i][j] = items the first rater put in category i and the second in category j (the convention
 * of statsmodels.stats.inter_rater.cohens_kappa). Computed as scikit-learn's cohen_kappa_score does:
 * E = outer(column sums, row sums) / n, w = 1 − I unweighted, |i − j| linear, (i − j)² quadratic,
 * κ = 1 − Σ w·O / Σ w·E. Unweighted this equals (p_o − p_e)/(1 − p_e). NaN when undefined (an empty
 * table, or Σ w·E = 0: both raters used one and the same category), as scikit-learn returns by default.
 */
export function cohenKappaFromTable(table: readonly (readonly number[])[], weights?: KappaWeights): number {
  const K = table.length;
  for (const row of table) {
    if (row.length !== K) throw new RangeError(`the contingency table must be square: ${K} rows, but a row of ${row.length}`);
    if (row.some((x) => !(x >= 0 && Number.isFinite(x)))) throw new RangeError('contingency table counts must be finite and non-negative');
  }
  const rowSums = table.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = Array.from({ length: K }, (_, j) => table.reduce((sum, row) => sum + row[j], 0));
  const n = rowSums.reduce((a, b) => a + b, 0);
  if (n === 0) return NaN;
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const w = weights === undefined ? (i === j ? 0 : 1) : weights === 'linear' ? Math.abs(i - j) : (i - j) ** 2;
      observed += w * table[i][j];
      expected += (w * colSums[i] * rowSums[j]) / n;
    }
  }
  return expected === 0 ? NaN : 1 - observed / expected;
}

/** Ascending numbers, or strings in UTF-16 code-unit order (NumPy's code-point order differs only beyond U+FFFF). */
function compareLabels(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Cohen's kappa between two raters' paired ratings a[i], b[i] of the same items, matching
 * sklearn.metrics.cohen_kappa_score: the contingency table is over `labels` when given (pairs with a
 * rating outside them are dropped, and at least one of them must occur in `a`), else over the sorted
 * union of both raters' labels; weights act on the labels' index positions in that order. Labels must
 * be all numbers or all strings, as scikit-learn requires. See cohenKappaFromTable for the formula.
 */
export function cohenKappa(a: readonly (string | number)[], b: readonly (string | number)[], options: CohenKappaOptions = {}): number {
  if (a.length !== b.length) throw new RangeError(`the two raters rated different numbers of items: ${a.length} and ${b.length}`);
  const seen = new Set([...a, ...b, ...(options.labels ?? [])]);
  const types = new Set([...seen].map((label) => typeof label));
  if (types.size > 1) throw new RangeError('labels mix strings and numbers; give them all as one type');
  if ([...seen].some((label) => typeof label === 'number' && Number.isNaN(label))) throw new RangeError('NaN is not a label');
  const labels = options.labels ?? [...new Set([...a, ...b])].sort(compareLabels);
  if (labels.length === 0) throw new RangeError('`labels` must hold at least one label');
  const index = new Map(labels.map((label, i) => [label, i]));
  if (index.size !== labels.length) throw new RangeError('`labels` must be distinct');
  if (options.labels && !a.some((label) => index.has(label)))
    throw new RangeError("at least one of `labels` must occur in the first rater's ratings");
  const table = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < a.length; i++) {
    const row = index.get(a[i]);
    const column = index.get(b[i]);
    if (row !== undefined && column !== undefined) table[row][column]++;
  }
  return cohenKappaFromTable(table, options.weights);
}
