import { chiSquaredGoodnessOfFit } from '../stats/chiSquaredGoodnessOfFit.ts';
import type { Allocation } from './allocate.ts';

export interface Balance {
  test: string;
  statistic: number;
  df: number;
  p_value: number;
  threshold: number;
  imbalanced: boolean;
}

/**
 * The balance check: chi-squared goodness of fit of the realised counts against the target shares
 * (what pure proportionality would give), so that floors and pool limits show as imbalance.
 * With one stratum, or no example at all, there is nothing to balance: the test does not apply and cannot fail.
 */
export function balanceOf(allocation: Allocation, threshold: number): Balance {
  const total = allocation.total;
  const test =
    allocation.strata.length < 2 || total === 0
      ? { statistic: 0, df: 0, pValue: 1 }
      : chiSquaredGoodnessOfFit(
          allocation.strata.map((s) => s.allocated),
          allocation.strata.map((s) => (s.target / allocation.size) * total),
        );
  return {
    test: 'chi-squared goodness of fit against the target shares',
    statistic: test.statistic,
    df: test.df,
    p_value: test.pValue,
    threshold,
    imbalanced: test.pValue < threshold,
  };
}

export function poolLimitedWarnings(allocation: Allocation): string[] {
  return allocation.strata
    .filter((s) => s.poolLimited)
    .map((s) => `stratum ${s.stratum} is pool-limited: its pool holds ${s.pool} examples, below its floor of ${s.floor}; all ${s.pool} were taken`);
}
