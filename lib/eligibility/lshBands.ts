/**
 * Banded locality-sensitive hashing over MinHash signatures (Leskovec, Rajaraman & Ullman, Mining of
 * Massive Datasets, 3rd ed., §3.4): the signature of n = b·r values is cut into b bands of r rows; two
 * examples become a candidate pair when all r rows of at least one band agree. Each row agrees with
 * probability s, the Jaccard similarity (Broder 1997), so a pair of similarity s becomes a candidate
 * with probability 1 − (1 − sʳ)ᵇ (MMDS §3.4.2), the S-curve, whose threshold — where it rises
 * steepest — is near (1/b)^(1/r) (MMDS §3.4.2).
 */

/** The S-curve: the probability 1 − (1 − sʳ)ᵇ that a pair of Jaccard similarity s becomes a candidate (MMDS §3.4.2). */
export function candidateProbability(similarity: number, bands: number, rows: number): number {
  return 1 - (1 - similarity ** rows) ** bands;
}

/** Where the S-curve rises steepest, approximately: (1/b)^(1/r) (MMDS §3.4.2). */
export function sCurveMidpoint(bands: number, rows: number): number {
  return (1 / bands) ** (1 / rows);
}

export interface LshBanding {
  bands: number;
  rows: number;
  /** (1/b)^(1/r): below the threshold, since recall comes first. */
  midpoint: number;
  /** The S-curve at the threshold itself: the chance that a pair exactly at the threshold is found. */
  recallAtThreshold: number;
}

/**
 * The banding for a similarity threshold t and n permutations: the most selective one (the largest r,
 * with b = ⌊n/r⌋) under which a pair of similarity exactly t still becomes a candidate with probability
 * at least `minRecall`. Recall comes first because every candidate is verified by its exact Jaccard
 * similarity: a false candidate costs one verification, a missed pair is a near-duplicate left in the
 * pool. That puts the S-curve's midpoint a little below t (for t = 0.8, n = 128, minRecall = 0.99:
 * r = 6, b = 21, midpoint 0.60; pairs at t are found with probability 0.998). Larger r would be
 * cheaper: fewer candidates at low similarity.
 */
export function chooseBanding(threshold: number, permutations: number, minRecall = 0.99): LshBanding {
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`the similarity threshold must be in (0, 1], not ${threshold}`);
  if (!Number.isSafeInteger(permutations) || permutations < 1) throw new RangeError(`permutations must be a whole number ≥ 1, not ${permutations}`);
  if (!(minRecall > 0 && minRecall < 1)) throw new RangeError(`the recall at the threshold must be in (0, 1), not ${minRecall}`);
  // r = 1 (b = n bands of one row) is the most sensitive banding there is; it is the fallback.
  let best = 1;
  for (let rows = 2; rows <= permutations; rows++) {
    if (candidateProbability(threshold, Math.floor(permutations / rows), rows) >= minRecall) best = rows;
  }
  const bands = Math.floor(permutations / best);
  return { bands, rows: best, midpoint: sCurveMidpoint(bands, best), recallAtThreshold: candidateProbability(threshold, bands, best) };
}
