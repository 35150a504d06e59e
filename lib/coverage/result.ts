import type { QualityResult } from '../quality/result.ts';
import type { CoverageReport } from './coverage.ts';

export interface CoverageDetails extends CoverageReport {
  tree_version: string;
  fail_on_gap: boolean;
}

export function coverageResult(dataset: string, details: CoverageDetails): QualityResult<CoverageDetails> {
  const gaps = details.gaps.length;
  return {
    schema_version: 1,
    check: 'coverage',
    dataset,
    status: gaps ? (details.fail_on_gap ? 'fail' : 'warn') : 'pass',
    summary: gaps
      ? `${gaps} of ${details.total} capabilities below their minimum; ${details.covered} covered.`
      : `All ${details.total} capabilities reach their minimum.`,
    details,
  };
}

/** reports/coverage-NAME.json, a DVC metrics file: counts per capability, and each gap as a structured warning. */
export function coverageMetrics(details: CoverageDetails) {
  return {
    tree_version: details.tree_version,
    covered: details.covered,
    total: details.total,
    gaps: details.gaps.length,
    capabilities: Object.fromEntries(details.leaves.map((l) => [l.id, { count: l.count, minimum: l.minimum, available: l.available }])),
    warnings: details.gaps.map((g) => ({
      capability: g.capability,
      count: g.count,
      minimum: g.minimum,
      missing: g.missing,
      available: g.available,
      remediation: g.remediation,
    })),
  };
}
