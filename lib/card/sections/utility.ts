import { markdownTable } from 'markdown-table';
import type { UtilityReport } from '../../privacy/utility.ts';
import type { QualityResult } from '../../quality/result.ts';

const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));

/** The card's utility section: how well the synthetic rows keep the real ones' distributions, correlations and downstream scores. */
export function renderUtilitySection(result: QualityResult<UtilityReport>): string {
  const r = result.details;
  const lines = [
    result.summary,
    '',
    '_These figures are computed on the source records themselves, outside the differential-privacy guarantee: they are for the data owner, and publishing them discloses a little about the source (e.g. a spread in real standard deviations)._',
  ];
  if (r.failures.length) lines.push('', ...r.failures.map((f) => `- ${f}`), '', r.suggestion);
  lines.push(
    '',
    markdownTable(
      [
        ['dimension', 'measure', 'value'],
        ['downstream scores (paired rows)', "Spearman's ρ", f3(r.downstream.spearman)],
        ['numeric correlations', 'Pearson r of the correlation matrices', f3(r.correlation.pearson_of_upper_triangles)],
        ...r.numeric.map((n) => [`\`${n.feature}\``, 'Wasserstein (real std units)', `${f3(n.wasserstein)} (${f3(n.normalized)})`]),
        ...r.categorical.map((c) => [`\`${c.feature}\``, 'Jensen–Shannon (nats)', f3(c.jsd)]),
      ],
      { align: ['l', 'l', 'r'] },
    ),
  );
  return lines.join('\n');
}
