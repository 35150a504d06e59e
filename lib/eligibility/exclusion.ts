import type { ColumnSpec } from '../io/parquet.ts';

/**
 * Eligibility: checks that run before the draw screen candidates out of it. Each screen produces an
 * exclusion table; `sample` draws from the pool minus the exclusions, so the floors and the budget
 * hold after exclusion, and quarantines every excluded candidate the draw passed over.
 */

/** One excluded candidate: which check excluded it, its score on that check (null when it has none), and why. */
export interface Exclusion {
  id: string;
  check: string;
  score: number | null;
  reason: string;
}

/** The columns of an exclusion table (interim/exclusions/<check>.parquet), in order. */
export const EXCLUSION_COLUMNS: ColumnSpec = { id: 'string', check: 'string', score: 'float64?', reason: 'string' };

/**
 * A screen that is costly per candidate (a model endpoint, for membership inference) screens lazily:
 * `sample` hands it one stratum's candidates in draw-rank order, a batch at a time, only as far as
 * that stratum needs to fill its allocation, and it answers with the exclusions among them.
 */
export interface LazyScreen {
  readonly check: string;
  screen(stratum: string, candidates: readonly string[]): Promise<Exclusion[]>;
}
