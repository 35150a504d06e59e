import { markdownTable } from 'markdown-table';
import type { GroupAgreement, PairAgreement } from '../../annotation/analysis.ts';
import type { AgreementDetails } from '../../annotation/result.ts';
import type { QualityResult } from '../../quality/result.ts';

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));
const interval = (ci: [number, number] | null) => (ci ? `[${f3(ci[0])}, ${f3(ci[1])}]` : '—');

const VERDICT = {
  reliable: 'reliable (α ≥ 0.800)',
  tentative: 'tentative conclusions only (0.667 ≤ α < 0.800)',
  unreliable: 'not reliable (α < 0.667)',
  undefined: 'undefined (every label the same, or too few labelled pairs)',
};

function groupTable(groups: readonly GroupAgreement[], name: string): string {
  return markdownTable(
    [
      [name, 'examples', 'alpha', 'interval', 'vs overall'],
      ...groups.map((g) => [g.group, String(g.units), f3(g.alpha), interval(g.ci), g.excludes_overall ? `interval ${g.excludes_overall}` : '']),
    ],
    { align: ['l', 'r', 'r', 'l', 'l'] },
  );
}

function pairRow(p: PairAgreement): string[] {
  return [p.a, p.b, String(p.n), f3(p.kappa), ...(p.kappa_linear !== undefined ? [f3(p.kappa_linear), f3(p.kappa_quadratic)] : [])];
}

/** The card's agreement section: overall alpha with its interval, per stratum and category, the weakest pairs, findings and the queues. */
export function renderAgreementSection(result: QualityResult<AgreementDetails>): string {
  const d = result.details;
  const pct = Math.round(d.confidence * 100);
  const lines = [
    `Krippendorff's alpha (${d.level} labels) over the ${d.overall.units} examples of this release with two or more annotations: ` +
      `**${f3(d.overall.alpha)}** ${interval(d.overall.ci)} (${pct}% bootstrap interval over examples, ${d.bootstrap_samples} resamples, seed ${d.seed}) — ${VERDICT[d.verdict]}.`,
    `${d.annotations} annotations by ${d.annotators} annotators; alpha counts each annotator's latest label.`,
  ];
  if (d.findings.length) lines.push('', ...d.findings.map((f) => `- **${f.charAt(0).toUpperCase()}${f.slice(1)}.**`));
  if (d.strata_excluding_overall.length)
    lines.push(
      '',
      `Strata whose ${pct}% interval excludes the overall alpha: ${d.strata_excluding_overall.map((s) => `${s.stratum} (${s.side})`).join(', ')}.`,
    );
  if (d.groups.task_category?.length) lines.push('', groupTable(d.groups.task_category, 'task category'));
  if (d.groups.stratum?.length) lines.push('', groupTable(d.groups.stratum, 'stratum'));
  if (d.weakest_pairs.length) {
    const ordinal = d.weakest_pairs[0].kappa_linear !== undefined;
    lines.push(
      '',
      "Weakest annotator pairs (Cohen's kappa on the items both labelled):",
      '',
      markdownTable(
        [['annotator', 'annotator', 'shared items', 'kappa', ...(ordinal ? ['linear', 'quadratic'] : [])], ...d.weakest_pairs.map(pairRow)],
        {
          align: ['l', 'l', 'r', 'r', 'r', 'r'],
        },
      ),
    );
  }
  const routed = d.routing.adjudication + d.routing.senior;
  lines.push(
    '',
    routed
      ? `Excluded until adjudicated: ${d.routing.adjudication} example${d.routing.adjudication === 1 ? '' : 's'} in \`${d.routing.files.adjudication.split('/').pop()}\` (agreement below the threshold, or a tie) and ${d.routing.senior} in \`${d.routing.files.senior.split('/').pop()}\` (no two annotators agree), each with its full annotation history. An adjudicated label added to \`datasets/annotations/adjudicated/\` releases the example on the next run.`
      : 'No example this draw would have taken is waiting for adjudication.',
  );
  return lines.join('\n');
}
