import type { SampleMeta } from '../provenance/meta.ts';
import { formatP } from '../stats/formatP.ts';

/** One dataset as a person reads it: counts and shares per stratum, the balance verdict, the exclusions, the warnings. */
export function sampleSummary(meta: SampleMeta): string {
  const excluded = Object.entries(meta.eligibility ?? {}).map(
    ([check, c]) => `  excluded by ${check}: ${c.excluded} in the pool; ${c.quarantined} passed over by the draw (quarantine.parquet)`,
  );
  const lines = [
    `${meta.dataset} v${meta.version}: ${meta.size.realised} examples from a pool of ${meta.size.pool} (seed ${meta.seed})`,
    ...meta.strata.map(
      (s) =>
        `  ${s.stratum.padEnd(32)} ${String(s.realised).padStart(6)}  ${s.percent.toFixed(1).padStart(5)}%${s.pool_limited ? '  pool-limited' : ''}`,
    ),
    `  balance against the designed allocation: χ² = ${meta.balance.statistic.toFixed(2)}, df = ${meta.balance.df}, p = ${formatP(meta.balance.p_value)}, TVD ${meta.balance.tvd.toFixed(3)} → ${meta.balance.imbalanced ? 'imbalanced' : 'balanced'}`,
    ...meta.balance.warnings.map((w) => `  warning: ${w}`),
    ...excluded,
    ...meta.warnings.map((w) => `  warning: ${w}`),
  ];
  return lines.join('\n');
}
