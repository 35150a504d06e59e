import { quantileSortedType7 } from '../stats/quantileSortedType7.ts';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { alphaFromCoincidences, coincidences, differenceMatrix, perUnitDisagreement, type Level, type ReliabilityData } from './krippendorffAlpha.ts';

export interface BootstrapAlphaOptions {
  /** Bootstrap replicates to draw (default 1,000). */
  samples?: number;
  /** Coverage of the percentile interval, in (0, 1) (default 0.95). */
  confidence?: number;
  /** Seed of the xoroshiro128+ generator (pure-rand): the same seed gives the same interval, bit for bit. */
  seed: number;
}

export interface BootstrapAlphaResult {
  /** α of the full sample (krippendorffAlpha). */
  alpha: number;
  /** Percentile interval [lo, hi]; [NaN, NaN] when no replicate had D_e > 0. */
  ci: [number, number];
  /** Replicates that gave an α (and so make up the interval). */
  samples: number;
  /** Replicates skipped because every pairable value drawn was the same (D_e = 0, α undefined). */
  skipped: number;
}

/**
 * A bootstrap percentile interval for Krippendorff's alpha.
 *
 * Hayes & Krippendorff (2007), "Answering the call for a standard reliability measure for coding data",
 * Communication Methods and Measures 1(1):77–89, motivate bootstrapping α to judge whether it clears a
 * required minimum. Their KALPHA macro resamples pairable values, holding D_e at its full-sample value.
 * This function instead resamples UNITS with replacement (a cluster bootstrap: units are the independent
 * draws) and recomputes both D_o and D_e in each replicate, because the pairs of values within one unit
 * are not independent of each other — they share the unit and its annotators — and drawing whole units
 * keeps that dependence, which resampling single pairs would break. Only pairable units (two or more
 * labels) are resampled; the others carry no information about agreement.
 *
 * Each unit's value counts and its term of Σ o δ² are computed once (perUnitDisagreement); a replicate
 * adds up the terms and margins of the units drawn and takes D_e from the V×V product of its margins.
 * For the ordinal level δ² depends on the margins: the replicates use the full-sample δ² matrix, so
 * the interval reflects sampling variation in the coincidences, not in the ordinal metric itself.
 * Nominal, interval and ratio δ² do not depend on the margins. Replicates in which D_e = 0 are skipped
 * and counted. The interval is the type-7 percentile interval of the replicates' α.
 */
export function bootstrapAlpha(data: ReliabilityData, level: Level, options: BootstrapAlphaOptions): BootstrapAlphaResult {
  const { samples = 1000, confidence = 0.95, seed } = options;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must lie strictly between 0 and 1, got ${confidence}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);

  const table = coincidences(data);
  const delta2 = differenceMatrix(level, data.values, table.n_c);
  const { alpha } = alphaFromCoincidences(table, delta2);
  const units = perUnitDisagreement(data, delta2);
  const { offsets, valueIndex, count, disagreement } = units;
  const V = data.values.length;
  const P = units.units;

  const rng = xoroshiro128plus(seed);
  const alphas = new Float64Array(samples);
  const margins = new Float64Array(V);
  const timesDrawn = new Int32Array(P);
  let kept = 0;
  for (let r = 0; r < samples && P > 0; r++) {
    // Draw P units with replacement, then add up each unit's terms times the number of times it was drawn.
    timesDrawn.fill(0);
    for (let i = 0; i < P; i++) timesDrawn[uniformInt(rng, 0, P - 1)]++;
    margins.fill(0);
    let observedSum = 0;
    for (let u = 0; u < P; u++) {
      const times = timesDrawn[u];
      if (times === 0) continue;
      observedSum += times * disagreement[u];
      for (let j = offsets[u]; j < offsets[u + 1]; j++) margins[valueIndex[j]] += times * count[j];
    }
    let n = 0;
    for (let c = 0; c < V; c++) n += margins[c];
    let expectedSum = 0;
    for (let c = 0; c < V; c++) {
      if (margins[c] === 0) continue;
      for (let k = 0; k < V; k++) expectedSum += margins[c] * margins[k] * delta2[c * V + k];
    }
    if (expectedSum === 0) continue;
    alphas[kept++] = 1 - ((n - 1) * observedSum) / expectedSum;
  }

  const sorted = alphas.subarray(0, kept).sort();
  const tail = (1 - confidence) / 2;
  const ci: [number, number] = kept ? [quantileSortedType7(sorted, tail), quantileSortedType7(sorted, 1 - tail)] : [NaN, NaN];
  return { alpha, ci, samples: kept, skipped: samples - kept };
}
