/**
 * Honest Bloom filter sizing (issue 7, §1): the memory a filter needs for n shingles at a target
 * false-positive rate, the rate a memory budget gives, and the stride that brings it back.
 *
 * Formulas (Broder & Mitzenmacher, "Network Applications of Bloom Filters: A Survey", Internet
 * Mathematics 1(4), 2004, §2.1): with m bits, k hash functions and n inserted keys, the false-positive
 * rate is p = (1 − e^(−kn/m))^k; it is least at k = (m/n) ln 2, where p = 2^(−k), which inverted gives
 * m = −n ln p / (ln 2)² bits, i.e. −log₂(p) / ln 2 = 9.585 bits per key at p = 1%. k is rounded to the
 * nearest whole number (at least 1), and m up to whole bytes so that the file's bit array has no
 * unused tail and m is even (bloomIndex.ts relies on that to make its probe step odd).
 *
 * Hand-written: bloom-filters (a dev dependency, used only as a test peer) rounds k up rather than
 * to nearest and has no budget or stride arithmetic; each formula here is one line.
 */

/** Bits per key at false-positive rate p with the best k: −ln p / (ln 2)². */
export function bitsPerShingle(fpr: number): number {
  checkRate(fpr);
  return -Math.log(fpr) / (Math.LN2 * Math.LN2);
}

/** The best whole number of hash functions for m bits and n keys: round((m/n) ln 2), at least 1. */
export function optimalHashes(bits: number, shingles: number): number {
  checkCount(shingles, 'shingle count');
  if (shingles === 0) return 1;
  return Math.max(1, Math.round((bits / shingles) * Math.LN2));
}

/** The false-positive rate of m bits and k hashes after n insertions: (1 − e^(−kn/m))^k. */
export function falsePositiveRate(bits: number, hashes: number, shingles: number): number {
  // 1 − e^(−x) as −expm1(−x): exact for the small x of a sparsely filled filter.
  return Math.pow(-Math.expm1((-hashes * shingles) / bits), hashes);
}

/** What a filter for n shingles at rate p takes. */
export interface FilterSize {
  shingles: number;
  /** The target false-positive rate asked for. */
  fpr: number;
  /** m, a multiple of 8. */
  bits: number;
  bytes: number;
  /** k. */
  hashes: number;
  /** −ln p / (ln 2)², before rounding m to whole bytes. */
  bitsPerShingle: number;
  /** The rate the rounded m and k actually give at n shingles. */
  expectedFpr: number;
}

/** m = −n ln p / (ln 2)² rounded up to whole bytes, k = round((m/n) ln 2). */
export function sizeFor(shingles: number, fpr = 0.01): FilterSize {
  checkCount(shingles, 'shingle count');
  const perShingle = bitsPerShingle(fpr);
  const bytes = Math.max(1, Math.ceil((shingles * perShingle) / 8));
  const bits = bytes * 8;
  const hashes = optimalHashes(bits, shingles);
  return { shingles, fpr, bits, bytes, hashes, bitsPerShingle: perShingle, expectedFpr: falsePositiveRate(bits, hashes, shingles) };
}

/** How many shingles m = 8·bytes bits hold at rate p with the best k: m (ln 2)² / (−ln p). */
export function capacity(memoryBytes: number, fpr = 0.01): number {
  checkCount(memoryBytes, 'memory');
  return (memoryBytes * 8) / bitsPerShingle(fpr);
}

/** What a fixed memory budget gives for n shingles, and the stride that would restore the target. */
export interface BudgetFit {
  shingles: number;
  memoryBytes: number;
  bits: number;
  /** The best k for this m and n. */
  hashes: number;
  /** The rate at stride 1 (every shingle indexed). */
  fpr: number;
  /** The target rate. */
  targetFpr: number;
  /** The smallest s such that indexing every s-th shingle, ⌈n/s⌉ of them, meets the target (1 when n fits). */
  stride: number;
  /** k and the rate at that stride. */
  strideHashes: number;
  strideFpr: number;
}

/**
 * The rate a budget of `memoryBytes` gives for n shingles (best k for that m), and the stride s that
 * brings it back to `targetFpr`: every s-th shingle indexed, so about n/s keys (⌈n/s⌉ here, the
 * larger and so the safe side). Starts at ⌈n / capacity⌉ and steps up while the whole-number k
 * leaves the rate just above the target.
 */
export function fitBudget(shingles: number, memoryBytes: number, targetFpr = 0.01): BudgetFit {
  checkCount(shingles, 'shingle count');
  checkCount(memoryBytes, 'memory');
  if (memoryBytes < 1) throw new RangeError('memory must be at least 1 byte');
  const bits = Math.floor(memoryBytes) * 8;
  const rateAt = (n: number) => {
    const k = optimalHashes(bits, n);
    return { k, p: n === 0 ? 0 : falsePositiveRate(bits, k, n) };
  };
  const full = rateAt(shingles);
  let stride = Math.max(1, Math.ceil(shingles / capacity(memoryBytes, targetFpr)));
  let at = rateAt(Math.ceil(shingles / stride));
  while (at.p > targetFpr) at = rateAt(Math.ceil(shingles / ++stride));
  return { shingles, memoryBytes, bits, hashes: full.k, fpr: full.p, targetFpr, stride, strideHashes: at.k, strideFpr: at.p };
}

function checkRate(fpr: number): void {
  if (!(fpr > 0 && fpr < 1)) throw new RangeError(`false-positive rate must lie strictly between 0 and 1, not ${fpr}`);
}

function checkCount(n: number, what: string): void {
  if (!(n >= 0) || !Number.isFinite(n) || n > Number.MAX_SAFE_INTEGER) throw new RangeError(`${what} must be a finite number ≥ 0, not ${n}`);
}
