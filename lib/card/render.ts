import { stringify } from 'yaml';
import type { CardParams } from '../config/params.ts';
import type { Taxonomy } from '../config/taxonomy.ts';
import type { SampleMeta } from '../provenance/meta.ts';
import type { QualityResult } from '../quality/result.ts';
import { DATASET_COLUMNS } from '../sampling/dataset.ts';
import { renderQualitySections } from './sections/index.ts';

/** Hugging Face's size buckets (the `size_categories` field of a dataset card). */
export function sizeCategory(n: number): string {
  const buckets: [number, string][] = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
  ];
  for (const [limit, label] of buckets) if (n < limit) return label;
  return 'n>10M';
}

function features() {
  return Object.entries(DATASET_COLUMNS).map(([name, type]) =>
    type === 'string[]'
      ? { name, sequence: 'string' }
      : { name, dtype: type.startsWith('int32') ? 'int32' : type.startsWith('float64') ? 'float64' : 'string' },
  );
}

const pct = (x: number) => `${x.toFixed(1)}%`;
const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/**
 * The dataset card: Hugging Face card layout (YAML front matter, then the template's sections),
 * extended with the evaluation fields. Everything comes from meta.json, params and the taxonomy,
 * so the same inputs render the same bytes.
 */
export function renderCard(meta: SampleMeta, card: CardParams, taxonomy: Taxonomy, quality: ReadonlyMap<string, QualityResult>): string {
  const title = card.pretty_name ?? `evalset ${meta.dataset}`;
  const hfTasks = [...new Set(taxonomy.categories.map((c) => c.hf_task_category ?? 'text-generation'))].sort();
  const frontMatter = {
    pretty_name: title,
    license: card.license ?? 'other',
    language: ['en'],
    task_categories: hfTasks,
    size_categories: [sizeCategory(meta.size.realised)],
    tags: ['evaluation', 'evalset', `taxonomy-${meta.taxonomy_version}`],
    configs: [{ config_name: 'default', data_files: [{ split: 'test', path: 'data.parquet' }] }],
    dataset_info: {
      features: features(),
      splits: [{ name: 'test', num_bytes: meta.files['data.parquet'].bytes, num_examples: meta.size.realised }],
      dataset_size: meta.files['data.parquet'].bytes,
    },
  };
  const baseline = card.baseline_range
    ? `${card.baseline_range[0]}–${card.baseline_range[1]}${card.baseline_metric ? ` (${card.baseline_metric})` : ''}`
    : 'not stated';
  const strataRows = meta.strata.map(
    (s) =>
      `| ${s.stratum} | ${s.pool} | ${pct(100 * s.share)} | ${num(s.target)} | ${s.floor} | ${s.realised} | ${pct(s.percent)} | ${s.pool_limited ? 'pool-limited' : ''} |`,
  );
  const warnings = meta.warnings.length ? meta.warnings.map((w) => `- ⚠️ ${w}`).join('\n') : '- none';

  return `---
${stringify(frontMatter, { lineWidth: 0 })}---

# Dataset Card for ${title}

${card.description ?? `An evaluation dataset sampled by evalset from a pool of ${meta.size.pool} candidates.`}

## Dataset Details

- **Dataset:** \`${meta.dataset}\`, version ${meta.version}
- **Examples:** ${meta.size.realised} (requested ${meta.size.requested}), one split: \`test\`
- **License:** ${card.license ?? 'other'}
- **Curated with:** evalset ${meta.tools.evalset}

## Uses

Held-out evaluation of ${card.target_model_family ?? 'language models'}. Not for training: any model trained on these
examples can no longer be evaluated on them.

## Evaluation

| field | value |
| --- | --- |
| Target model family | ${card.target_model_family ?? 'not stated'} |
| Evaluation harness version | ${card.harness_version ?? 'not stated'} |
| Expected baseline score range | ${baseline} |

## Dataset Structure

One row per example in \`data.parquet\`, sorted by \`id\`: \`id\`, \`prompt\`, \`reference\` (may be null), \`task_category\`,
\`difficulty\`, \`stratum\` (\`category×difficulty\`), \`capabilities\` (list of capability ids), \`labels\` (JSON text)
and \`source\`. \`manifest.jsonl\` lists \`id\`, \`stratum\`, \`content_hash\`, \`label_hash\` and \`row_hash\` for every row.
Candidates excluded by an eligibility screen that the draw passed over are in \`quarantine.parquet\`: the same
columns, then \`check\`, \`score\` and \`reason\`.

## Dataset Creation

### Sampling

- **Seed:** ${meta.seed}
- **Taxonomy version:** ${meta.taxonomy_version}
- **Params digest:** \`${meta.params_digest}\`

Each example gets one stratum, \`category×difficulty\`; difficulty follows fixed thresholds on the example's
signals (see \`taxonomy/strata.json\`). The budget is allocated over the eligible pool (the pool less what the eligibility screens excluded) by the target shares, with a
floor per stratum and the surplus redistributed; inside a stratum, the examples ranking lowest by SHA-256 of
\`seed:id\` are drawn.

| stratum | eligible pool | target share | target | floor | examples | share of dataset | note |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${strataRows.join('\n')}

### Warnings

${warnings}

${renderQualitySections(quality)}

## Bias, Risks, and Limitations

The sample mirrors its pool: strata marked pool-limited above hold fewer examples than their floor, so results on
them carry wider uncertainty. Difficulty comes from proxy signals, not from measured performance of the target model.
`;
}
