import { mean, sampleStandardDeviation } from 'simple-statistics';

/**
 * Calibration for membership inference (issue 7, §3): the membership scores of examples known NOT to be in the model's
 * training data (`datasets/calibration/`), per stratum, so that a candidate's score is judged against unseen text of its
 * own kind (task and difficulty change how predictable text is). A candidate's z-score is its distance from the
 * calibration mean in sample standard deviations.
 */

/** The default least number of calibration examples a stratum needs before its candidates are judged. */
export const DEFAULT_MINIMUM_CALIBRATION = 20;

export interface CalibrationStats {
  /** Calibration examples with a score (texts with no scored token are left out). */
  n: number;
  /** Mean and sample standard deviation (n − 1 in the denominator) of their scores; null below two examples. */
  mean: number | null;
  sd: number | null;
  /** n ≥ the minimum and sd > 0: the stratum's candidates can be judged. */
  enough: boolean;
  /** Why not, when not enough. */
  reason?: string;
}

/** The statistics of one stratum's calibration scores (NaN scores, from texts too short to score, are left out). */
export function calibrationStats(scores: readonly number[], minimum = DEFAULT_MINIMUM_CALIBRATION): CalibrationStats {
  const finite = scores.filter((s) => Number.isFinite(s));
  const n = finite.length;
  if (n < 2)
    return { n, mean: n ? finite[0] : null, sd: null, enough: false, reason: `${n} calibration example${n === 1 ? '' : 's'}, fewer than ${minimum}` };
  const m = mean(finite);
  const sd = sampleStandardDeviation(finite);
  if (n < minimum) return { n, mean: m, sd, enough: false, reason: `${n} calibration examples, fewer than ${minimum}` };
  if (!(sd > 0)) return { n, mean: m, sd, enough: false, reason: 'the calibration scores do not vary (sd = 0)' };
  return { n, mean: m, sd, enough: true };
}

/** Per stratum, the statistics of its calibration scores. */
export function calibrationByStratum(
  scores: ReadonlyMap<string, readonly number[]>,
  minimum = DEFAULT_MINIMUM_CALIBRATION,
): Map<string, CalibrationStats> {
  return new Map([...scores].map(([stratum, s]) => [stratum, calibrationStats(s, minimum)]));
}

/** (score − mean) / sd; throws for a stratum without enough calibration, which must be reported rather than judged. */
export function zScore(score: number, stats: CalibrationStats): number {
  if (!stats.enough || stats.mean === null || stats.sd === null) throw new RangeError(`no z-score without enough calibration: ${stats.reason}`);
  return (score - stats.mean) / stats.sd;
}
