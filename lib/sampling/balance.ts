import { chiSquaredGoodnessOfFit } from '../stats/chiSquaredGoodnessOfFit.ts';
import { totalVariationDistance } from '../stats/totalVariationDistance.ts';
import { designedAllocation, type Allocation } from './allocate.ts';

/**
 * Cochran's rule for the chi-squared approximation: expected counts below 5 make it unreliable.
 * W. G. Cochran, "Some Methods for Strengthening the Common χ² Tests", Biometrics 10(4):417–451 (1954).
 */
export const COCHRAN_MIN_EXPECTED = 5;

export interface Balance {
  test: string;
  /** Pearson's χ² of the realised counts against the designed allocation scaled to the realised total. */
  statistic: number;
  df: number;
  p_value: number;
  threshold: number;
  /** p_value < threshold. */
  imbalanced: boolean;
  /** Effect size: total variation distance between the realised and the designed shares, ½ Σ |pᵢ − qᵢ|, in [0, 1]. */
  tvd: number;
  /** The smallest expected count in the test (0 when the dataset is empty). */
  min_expected: number;
  /** Per stratum, the count the design asks for at the requested size: shares with floors applied, before pool limits. */
  designed: Record<string, number>;
  /** Per stratum, the count drawn, beside `designed` so that balance.json can be read on its own. */
  realised: Record<string, number>;
  /** Why the verdict should be read with care: small expected counts, an over-committed design. */
  warnings: string[];
}

export const BALANCE_TEST = 'chi-squared goodness of fit against the designed allocation (target shares with floors applied, before pool limits)';

const round = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/**
 * The balance check: does the dataset hold what its design asked for? The realised counts are
 * compared with the designed allocation (`designedAllocation`: the target shares with the floors
 * applied and the surplus redistributed, before pool caps), so a floor the design asked for is not
 * counted as imbalance, while a pool limit, drift or a bug still is. The chi-squared p-value says
 * whether the difference is more than rounding and chance; the TVD says how large it is.
 * With one stratum, or no example at all, there is nothing to balance: the test does not apply and cannot fail.
 */
export function balanceOf(allocation: Allocation, threshold: number): Balance {
  const design = designedAllocation(allocation.size, allocation.strata);
  // The designed counts add up to the size by construction; summing them would only add float error.
  const designedTotal = design.strata.length ? allocation.size : 0;
  const total = allocation.total;
  const realised = new Map(allocation.strata.map((s) => [s.stratum, s.allocated]));
  const cells = design.strata.map((s) => ({
    stratum: s.stratum,
    observed: realised.get(s.stratum) ?? 0,
    expected: designedTotal === 0 ? 0 : (s.designed * total) / designedTotal,
  }));
  const warnings: string[] = [];
  if (design.overcommitted) {
    const floors = allocation.strata.reduce((sum, s) => sum + (s.share > 0 ? s.floor : 0), 0);
    warnings.push(
      `the floors add up to ${floors}, more than the size ${allocation.size}: the designed counts are the floors scaled down to the size`,
    );
  }
  // A stratum the design leaves empty carries no expected count; chi-squared is undefined there, so it is named instead.
  for (const c of cells.filter((c) => c.expected === 0 && c.observed > 0)) {
    warnings.push(`stratum ${c.stratum} holds ${c.observed} examples where the design leaves none; the chi-squared test leaves it out`);
  }
  const tested = cells.filter((c) => c.expected > 0);
  const applies = tested.length >= 2 && total > 0;
  const test = applies
    ? chiSquaredGoodnessOfFit(
        tested.map((c) => c.observed),
        tested.map((c) => c.expected),
      )
    : { statistic: 0, df: 0, pValue: 1 };
  const minExpected = tested.length ? Math.min(...tested.map((c) => c.expected)) : 0;
  const small = tested.filter((c) => c.expected < COCHRAN_MIN_EXPECTED);
  if (applies && small.length) {
    warnings.push(
      `${small.length} of ${tested.length} strata expect fewer than ${COCHRAN_MIN_EXPECTED} examples (smallest ${round(minExpected)}): ` +
        `the chi-squared approximation is weak there (Cochran 1954), so read the TVD beside the p-value`,
    );
  }
  return {
    test: BALANCE_TEST,
    statistic: test.statistic,
    df: test.df,
    p_value: test.pValue,
    threshold,
    imbalanced: test.pValue < threshold,
    tvd:
      total === 0 || designedTotal === 0
        ? 0
        : totalVariationDistance(
            cells.map((c) => c.observed / total),
            design.strata.map((s) => s.designed / designedTotal),
          ),
    min_expected: minExpected,
    designed: Object.fromEntries(design.strata.map((s) => [s.stratum, s.designed])),
    realised: Object.fromEntries(cells.map((c) => [c.stratum, c.observed])),
    warnings,
  };
}

export function poolLimitedWarnings(allocation: Allocation): string[] {
  return allocation.strata
    .filter((s) => s.poolLimited)
    .map((s) => `stratum ${s.stratum} is pool-limited: its pool holds ${s.pool} examples, below its floor of ${s.floor}; all ${s.pool} were taken`);
}
