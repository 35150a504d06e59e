import { markdownTable } from 'markdown-table';
import sparkly from 'sparkly';
import type { QualityResult } from '../../quality/result.ts';
import type { StalenessDetails } from '../../refresh/result.ts';

/** A Unicode sparkline of one dimension's daily JSD, from 0 to the larger of its maximum and the re-curation threshold. */
export function trendSparkline(d: StalenessDetails, dimension: string): string {
  const values = d.trend.map((t) => t.dimensions.find((p) => p.name === dimension)?.jsd ?? '');
  const top = Math.max(d.settings.thresholds.recurate, ...values.filter((v): v is number => typeof v === 'number'));
  return sparkly(values, { minimum: 0, maximum: top });
}

const nats = (x: number) => x.toFixed(3);
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The card's staleness section (also the body of reports/staleness-NAME.md): the verdict, a table per dimension, the trend and what moved. */
export function renderStaleness(result: QualityResult<StalenessDetails>): string {
  const d = result.details;
  const { monitor, recurate } = d.settings.thresholds;
  const lines = [
    `**${d.action}** — ${result.summary}`,
    '',
    `Reference: the ${d.reference.examples.toLocaleString('en-US')} examples of this release. Current: the last ${d.window.days} daily ` +
      `partitions of \`${d.traffic.dir}/\` (${d.traffic.partitions} in all, ${d.traffic.first} to ${d.traffic.last}); ` +
      `${d.traffic.classified.toLocaleString('en-US')} of the window's prompts had no task category and were classified.`,
    '',
    markdownTable(
      [
        ['dimension', 'JSD (nats)', 'noise floor', 'action', `trend, last ${d.trend.length} days`],
        ...d.dimensions.map((x) => [x.name, nats(x.jsd), nats(x.noise_floor), x.action, trendSparkline(d, x.name)]),
      ],
      { align: ['l', 'r', 'r', 'l', 'l'] },
    ),
    '',
    `Thresholds: monitor above ${monitor} nats, re-curate above ${recurate} nats, and only when the divergence also exceeds the noise floor: ` +
      `the ${percent(d.settings.noise_floor.quantile)} quantile of the divergence that sampling noise alone gives at these sample sizes ` +
      `(${d.settings.noise_floor.replicates.toLocaleString('en-US')} seeded bootstrap replicates). The sparklines run from 0 to the larger of the ` +
      `re-curation threshold and the largest daily value, ${d.trend[0]?.date ?? '—'} to ${d.trend.at(-1)?.date ?? '—'}.`,
  ];
  if (d.first_recurate) lines.push('', `The first day whose own traffic called for re-curation: **${d.first_recurate}**.`);
  const moved = d.dimensions.filter((x) => x.action !== 'none');
  if (moved.length) {
    lines.push('', 'What moved (share of the reference → share of the current window):', '');
    for (const x of moved)
      lines.push(`- **${x.name}**: ${x.shifts.map((s) => `\`${s.bin}\` ${percent(s.reference)} → ${percent(s.current)}`).join(', ')}`);
  }
  return lines.join('\n');
}
