import { sampleRankCorrelation } from 'simple-statistics';

/**
 * Spearman's rank correlation ρ with the semantics of scipy.stats.spearmanr: each sample is replaced
 * by its ranks, tied values sharing the average of the ranks they span (midranks), and ρ is the
 * Pearson correlation of the two rank vectors (Spearman, "The proof and measurement of association
 * between two things", Am. J. Psychol. 15(1):72–101, 1904; ties as in Kendall & Gibbons, "Rank
 * Correlation Methods", 5th ed., §3.8). NaN when either sample is constant, as scipy returns.
 *
 * simple-statistics' sampleRankCorrelation (7.12+) does exactly this (midranks, then
 * sampleCorrelation), so it is used; this wrapper only refuses inputs it would silently mis-rank.
 */
export function spearmanCorrelation(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`the two samples differ in length (${x.length} and ${y.length})`);
  if (x.length < 2) throw new RangeError('Spearman correlation needs at least two pairs');
  if (x.some((v) => !Number.isFinite(v)) || y.some((v) => !Number.isFinite(v))) throw new RangeError('the samples must hold finite numbers only');
  return sampleRankCorrelation(x, y);
}
