import { InvalidInputError } from '../errors.ts';

/** Stevens' levels of measurement that Krippendorff's alpha distinguishes. Binary labels are nominal. */
export type Level = 'nominal' | 'ordinal' | 'interval' | 'ratio';

/** One unit's labels as value indexes into `values` (one entry per annotator who labelled it; order irrelevant). */
export interface ReliabilityData {
  /** Distinct values, in their natural order (numbers ascending; for ordinal strings the caller supplies the order). */
  values: readonly (string | number)[];
  /** units[u] = Int32Array (or number[]) of value indexes given to unit u by its annotators. */
  units: readonly ArrayLike<number>[];
}

/** The coincidence matrix of Krippendorff (2011) and its margins. */
export interface Coincidences {
  /** o_ck, row-major V×V: how often value c is paired with value k within a unit, each unit's pairs weighted 1/(m_u − 1). */
  o: Float64Array;
  /** n_c = Σ_k o_ck: how many pairable values are c (a count, so exact). */
  n_c: Float64Array;
  /** n = Σ_c n_c: the number of pairable values (labels in units with at least two labels). */
  n: number;
  /** Units with at least two labels; the others carry no information about agreement. */
  pairableUnits: number;
}

export interface AlphaResult {
  /** α = 1 − D_o / D_e; NaN when D_e = 0 (see krippendorffAlpha). */
  alpha: number;
  /** Pairable units (m_u ≥ 2). */
  units: number;
  /** n, the number of pairable values. */
  pairable: number;
  /** D_o, the observed disagreement. */
  observed: number;
  /** D_e, the disagreement expected by chance. */
  expected: number;
}

/** Throws unless `values` are distinct and every label is an integer index into them. */
function checkReliabilityData(data: ReliabilityData): void {
  const V = data.values.length;
  if (new Set(data.values).size !== V) throw new RangeError('reliability data: `values` must be distinct');
  for (let u = 0; u < data.units.length; u++) {
    const labels = data.units[u];
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i];
      if (c >>> 0 !== c || c >= V) throw new RangeError(`reliability data: unit ${u} has label ${c}, not an index into the ${V} values`);
    }
  }
}

/**
 * Krippendorff's coincidence matrix (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability",
 * section B, "Coincidence matrices"): o_ck = Σ_u Σ_{i≠j} [v_ui = c][v_uj = k] / (m_u − 1), over the
 * ordered pairs of labels within each unit. Counted from each unit's value counts n_uc, never from its
 * pairs: unit u adds n_uc · (n_uk − [c = k]) / (m_u − 1) to o_ck, so the work per unit is its labels
 * plus (distinct values in it)², and memory is V² plus a V-sized scratch, whatever the annotator count.
 * Units with fewer than two labels (m_u < 2) contribute nothing.
 */
export function coincidences(data: ReliabilityData): Coincidences {
  checkReliabilityData(data);
  const V = data.values.length;
  const o = new Float64Array(V * V);
  const n_c = new Float64Array(V);
  const unitCounts = new Int32Array(V);
  const present = new Int32Array(V);
  let pairableUnits = 0;
  for (const labels of data.units) {
    const m = labels.length;
    if (m < 2) continue;
    pairableUnits++;
    let distinct = 0;
    for (let i = 0; i < m; i++) if (unitCounts[labels[i]]++ === 0) present[distinct++] = labels[i];
    for (let a = 0; a < distinct; a++) {
      const c = present[a];
      const nuc = unitCounts[c];
      n_c[c] += nuc;
      for (let b = 0; b < distinct; b++) {
        const k = present[b];
        o[c * V + k] += (nuc * (unitCounts[k] - (c === k ? 1 : 0))) / (m - 1);
      }
    }
    for (let a = 0; a < distinct; a++) unitCounts[present[a]] = 0;
  }
  let n = 0;
  for (let c = 0; c < V; c++) n += n_c[c];
  return { o, n_c, n, pairableUnits };
}

/** Each pairable unit's value counts (sparse, compressed rows) and its share of Σ o δ². */
export interface UnitDisagreements {
  /** Pairable units, in input order. */
  units: number;
  /** Unit p's distinct values are valueIndex[offsets[p] .. offsets[p + 1]), with counts count[…]. */
  offsets: Int32Array;
  valueIndex: Int32Array;
  count: Int32Array;
  /** Σ_ck o_u,ck δ²_ck = Σ_{c≠k} n_uc n_uk δ²_ck / (m_u − 1): unit u's term of Σ o δ² (δ²_cc = 0 at every level). */
  disagreement: Float64Array;
}

/**
 * Per pairable unit, its value counts n_uc and its contribution to the observed-disagreement sum
 * Σ_ck o_ck δ²_ck, so that a resample of units can add them up without revisiting the labels
 * (see bootstrapAlpha). Memory is bounded by the number of labels and by units × V.
 */
export function perUnitDisagreement(data: ReliabilityData, delta2: Float64Array): UnitDisagreements {
  checkReliabilityData(data);
  const V = data.values.length;
  if (delta2.length !== V * V) throw new RangeError(`the difference matrix must be ${V}×${V}`);
  const offsets: number[] = [0];
  const valueIndex: number[] = [];
  const count: number[] = [];
  const disagreement: number[] = [];
  const unitCounts = new Int32Array(V);
  const present = new Int32Array(V);
  for (const labels of data.units) {
    const m = labels.length;
    if (m < 2) continue;
    let distinct = 0;
    for (let i = 0; i < m; i++) if (unitCounts[labels[i]]++ === 0) present[distinct++] = labels[i];
    let sum = 0;
    for (let a = 0; a < distinct; a++) {
      const c = present[a];
      valueIndex.push(c);
      count.push(unitCounts[c]);
      for (let b = 0; b < distinct; b++) if (b !== a) sum += unitCounts[c] * unitCounts[present[b]] * delta2[c * V + present[b]];
    }
    disagreement.push(sum / (m - 1));
    offsets.push(valueIndex.length);
    for (let a = 0; a < distinct; a++) unitCounts[present[a]] = 0;
  }
  return {
    units: disagreement.length,
    offsets: Int32Array.from(offsets),
    valueIndex: Int32Array.from(valueIndex),
    count: Int32Array.from(count),
    disagreement: Float64Array.from(disagreement),
  };
}

/**
 * The squared difference δ²_ck, row-major V×V, per Krippendorff (2011), section C, "Difference functions":
 * - nominal: 0 if c = k, else 1;
 * - ordinal: (Σ_{g=c..k} n_g − (n_c + n_k)/2)², on the value order given and the pairable-value margins n_c;
 * - interval: (c − k)² on the numeric values;
 * - ratio: ((c − k)/(c + k))², taken as 0 when c + k = 0 (as the Python `krippendorff` package does).
 * Interval and ratio need numeric values: anything else is refused.
 */
export function differenceMatrix(level: Level, values: readonly (string | number)[], n_c: ArrayLike<number>): Float64Array {
  const V = values.length;
  const delta2 = new Float64Array(V * V);
  if (level === 'nominal') {
    for (let c = 0; c < V; c++) for (let k = 0; k < V; k++) delta2[c * V + k] = c === k ? 0 : 1;
    return delta2;
  }
  if (level === 'ordinal') {
    if (n_c.length !== V) throw new RangeError(`ordinal differences need ${V} margins n_c, got ${n_c.length}`);
    // prefix[g] = n_0 + … + n_{g−1}, so Σ_{g=c..k} n_g = prefix[k + 1] − prefix[c] for c ≤ k.
    const prefix = new Float64Array(V + 1);
    for (let g = 0; g < V; g++) prefix[g + 1] = prefix[g] + n_c[g];
    for (let c = 0; c < V; c++) {
      for (let k = c + 1; k < V; k++) {
        const d = prefix[k + 1] - prefix[c] - (n_c[c] + n_c[k]) / 2;
        delta2[c * V + k] = delta2[k * V + c] = d * d;
      }
    }
    return delta2;
  }
  if (level !== 'interval' && level !== 'ratio') throw new RangeError(`unknown level of measurement: ${String(level)}`);
  const nonNumeric = values.filter((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (nonNumeric.length) {
    throw new InvalidInputError(
      [
        {
          file: 'annotation labels',
          field: 'values',
          message: `${level} alpha needs numeric labels, but ${nonNumeric
            .slice(0, 5)
            .map((v) => JSON.stringify(v))
            .join(', ')}${nonNumeric.length > 5 ? ', …' : ''} ${nonNumeric.length === 1 ? 'is' : 'are'} not finite numbers`,
        },
      ],
      { hint: 'Use the nominal or ordinal level for labels that are categories, or give the labels as numbers.' },
    );
  }
  const x = values as readonly number[];
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) {
      const diff = x[c] - x[k];
      if (level === 'interval') delta2[c * V + k] = diff * diff;
      else {
        const sum = x[c] + x[k];
        delta2[c * V + k] = sum === 0 ? 0 : (diff / sum) ** 2;
      }
    }
  }
  return delta2;
}

/**
 * α from a coincidence matrix and a difference matrix (Krippendorff 2011, section E):
 * D_o = Σ_ck o_ck δ²_ck / n, D_e = Σ_ck n_c n_k δ²_ck / (n(n − 1)), α = 1 − D_o/D_e, computed as
 * 1 − (n − 1) Σ o δ² / Σ n_c n_k δ² to round as little as possible. NaN when D_e = 0.
 */
export function alphaFromCoincidences({ o, n_c, n, pairableUnits }: Coincidences, delta2: Float64Array): AlphaResult {
  const V = n_c.length;
  let observedSum = 0;
  for (let i = 0; i < V * V; i++) observedSum += o[i] * delta2[i];
  let expectedSum = 0;
  for (let c = 0; c < V; c++) for (let k = 0; k < V; k++) expectedSum += n_c[c] * n_c[k] * delta2[c * V + k];
  return {
    alpha: expectedSum === 0 ? NaN : 1 - ((n - 1) * observedSum) / expectedSum,
    units: pairableUnits,
    pairable: n,
    observed: observedSum / n,
    expected: expectedSum / (n * (n - 1)),
  };
}

/**
 * Krippendorff's alpha-reliability (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability",
 * Annenberg School for Communication, University of Pennsylvania): α = 1 − D_o/D_e over the
 * coincidence matrix, for any number of annotators, missing labels, and the four levels of measurement.
 * Gives the same α as the Python `krippendorff` package (`krippendorff.alpha`) with `value_domain` = `values`.
 *
 * When D_e = 0 (every pairable value is the same, so chance and observed agreement are both perfect)
 * α is undefined and this returns NaN, as the Python package does when its value domain holds more
 * than one value. It also returns NaN, rather than raising as the Python package does, when no unit
 * has two labels (`units` and `pairable` are then 0) or when `values` holds a single value: the counts
 * returned say which case it is.
 */
export function krippendorffAlpha(data: ReliabilityData, level: Level): AlphaResult {
  const table = coincidences(data);
  return alphaFromCoincidences(table, differenceMatrix(level, data.values, table.n_c));
}
