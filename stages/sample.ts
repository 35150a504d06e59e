/**
 * Stage `sample@{name}`: allocate over the eligible pool, draw, and write data.parquet,
 * quarantine.parquet, manifest.jsonl, the quality results of the draw (balance, eligibility,
 * contamination, provenance), the metrics report and meta.json (last: it vouches for the others by
 * their SHA-256). Membership inference screens here, lazily: the draw asks the model endpoint about
 * candidates in rank order, only as far as each stratum needs.
 */
import { dirname, relative } from 'node:path';
import { datasetParams, loadParams, sampleParamsOf, DEFAULT_BALANCE_THRESHOLD } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy, strataOf } from '../lib/config/taxonomy.ts';
import { drawEligible } from '../lib/eligibility/draw.ts';
import { retiredExclusions } from '../lib/eligibility/retired.ts';
import { readExclusions } from '../lib/eligibility/table.ts';
import { releasedLabels } from '../lib/annotation/screen.ts';
import { openMembership } from '../lib/contamination/membershipRun.ts';
import { contaminationResult, readScreenReports } from '../lib/contamination/result.ts';
import { membershipSettings } from '../lib/contamination/settings.ts';
import { EvalsetError, ImbalancedDatasetError, InvalidInputError } from '../lib/errors.ts';
import { allocationIssues } from '../lib/config/validate.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { workingTreeObjectIds } from '../lib/io/gitTree.ts';
import { digest, sha256 } from '../lib/io/hash.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import type { Stage } from '../lib/pipeline/stage.ts';
import { assertValidMeta, type SampleMeta } from '../lib/provenance/meta.ts';
import { reproducibleTimestamp } from '../lib/provenance/timestamp.ts';
import { toolVersions } from '../lib/provenance/tools.ts';
import { qualityJson } from '../lib/quality/result.ts';
import { allocateStrata } from '../lib/sampling/allocate.ts';
import { readAssignmentIndex } from '../lib/sampling/assignments.ts';
import { balanceOf, poolLimitedWarnings } from '../lib/sampling/balance.ts';
import { DATASET_COLUMNS, contentHash, datasetRows, encodeDataset, manifestJsonl, manifestLine } from '../lib/sampling/dataset.ts';
import { encodeQuarantine } from '../lib/sampling/quarantine.ts';
import { readRecordsAt } from '../lib/sampling/pool.ts';
import { sampleSummary } from '../lib/sampling/summary.ts';
import { strataRequests, targetShares } from '../lib/sampling/targets.ts';
import { readVoucher } from '../lib/sampling/voucher.ts';
import { balanceResult, eligibilityResult, provenanceResult } from '../lib/sampling/quality.ts';

/** The code this stage runs; meta.json records each path's git object id (the code identity). */
const CODE = [
  'stages/sample.ts',
  'lib/sampling',
  'lib/annotation/screen.ts',
  'lib/annotation/annotations.ts',
  'lib/annotation/exampleAgreement.ts',
  'lib/eligibility',
  'lib/contamination/corpus.ts',
  'lib/contamination/membership',
  'lib/contamination/membershipRun.ts',
  'lib/contamination/normalize.ts',
  'lib/contamination/result.ts',
  'lib/contamination/settings.ts',
  'lib/quality',
  'lib/provenance',
  'lib/config',
  'lib/io',
  'lib/stats',
  'lib/pipeline',
  'lib/cli/output.ts',
  'lib/errors.ts',
];

export async function runSample(root: string, name: string): Promise<SampleMeta> {
  const paths = projectPaths(root);
  const allParams = loadParams(paths.params, 'params.yaml');
  const params = datasetParams(allParams, name);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const out = paths.dataset(name);
  removeStaleTemporaries([out.dir, out.qualityDir, paths.reports, dirname(out.membershipCache)]);
  const voucher = readVoucher(paths);
  const index = readAssignmentIndex(paths.assignments);
  const poolIds = new Set(index.ids);
  const exclusions = readExclusions(root, poolIds, voucher.assignments.sha256);
  // Examples a re-curation retired from this dataset stay out of its draws (evalsets/NAME/archive/).
  for (const [id, retired] of retiredExclusions(root, name)) if (poolIds.has(id)) exclusions.set(id, [...(exclusions.get(id) ?? []), ...retired]);

  const strataIds = new Map([...index.byStratum].map(([stratum, rows]) => [stratum, rows.map((i) => index.ids[i])]));
  const allocate = (eligible: ReadonlyMap<string, number>) => {
    try {
      return allocateStrata({
        dataset: name,
        size: params.size,
        strata: strataRequests(name, params, targetShares(name, params, taxonomy, eligible), eligible),
        allowPoolLimited: params.allow_pool_limited ?? true,
      });
    } catch (err) {
      // The same refusal `evalset validate` gives, naming the line of params.yaml that asked for it.
      const issues = err instanceof EvalsetError ? allocationIssues(name, params, taxonomy, eligible) : [];
      throw issues.length ? new InvalidInputError(issues, { hint: err instanceof EvalsetError ? err.hint : undefined }) : err;
    }
  };
  // The membership screen reads a candidate's prompt only when the draw asks about it.
  const categories = new Set(taxonomy.categories.map((c) => c.id));
  const rowOfId = new Map(index.ids.map((id, i) => [id, i]));
  const textOf = (id: string) => readRecordsAt(root, voucher, [index.location(rowOfId.get(id)!)], categories)[0].prompt;
  const membership = await openMembership(paths, name, membershipSettings(allParams.contamination), taxonomy, textOf);
  let draw;
  try {
    draw = await drawEligible({ strata: strataIds, seed: params.seed, allocate, exclusions, lazy: membership.screen ? [membership.screen] : [] });
  } finally {
    await membership.close();
  }
  const membershipSummary = await membership.finish();
  const allocation = draw.allocation;
  const balance = balanceOf(allocation, params.balance?.threshold ?? DEFAULT_BALANCE_THRESHOLD);
  if (balance.imbalanced && params.balance?.fail_on_imbalance) throw new ImbalancedDatasetError(name, balance.p_value, balance.threshold);

  // Table rows of the candidates to read back (drawn or quarantined), without a map of the whole pool.
  const drawnIds = [...draw.drawn.values()].flat();
  const quarantinedIds = [...new Set(draw.quarantined.map((q) => q.id))];
  const wanted = new Set([...drawnIds, ...quarantinedIds]);
  const rowOf = new Map<string, number>();
  index.ids.forEach((id, i) => wanted.has(id) && rowOf.set(id, i));
  const axes = strataOf(taxonomy);
  // The label the annotators agreed on (or an adjudicator decided) travels with the row.
  const released = releasedLabels(root);
  const readRows = (ids: readonly string[]) => {
    const rows = ids.map((id) => rowOf.get(id)!);
    const examples = readRecordsAt(root, voucher, rows.map(index.location), categories).map((e) => {
      const agreed = released.get(e.id);
      return agreed ? { ...e, labels: { ...e.labels, annotation: agreed } } : e;
    });
    return datasetRows(
      examples,
      new Map(rows.map((i) => [index.ids[i], { stratum: index.strata[i], difficulty: axes.get(index.strata[i])!.difficulty }])),
    );
  };
  const rows = readRows(drawnIds);
  const quarantinedRows = readRows(quarantinedIds);

  const data = encodeDataset(rows);
  const quarantine = encodeQuarantine(quarantinedRows, draw.quarantined);
  const manifest = manifestJsonl(rows.map(manifestLine));
  const rowsHash = contentHash(rows);
  const time = reproducibleTimestamp(voucher.newest_created_at);
  const sampleParams = sampleParamsOf(params);
  const total = allocation.total;
  const files = {
    'data.parquet': { sha256: sha256(data), bytes: data.byteLength, rows: rows.length },
    'quarantine.parquet': { sha256: sha256(quarantine), bytes: quarantine.byteLength, rows: draw.quarantined.length },
  };
  const code = workingTreeObjectIds(root, CODE);
  const tools = toolVersions();
  const quality = {
    balance: qualityJson(balanceResult(name, balance), relative(root, out.quality('balance'))),
    eligibility: qualityJson(eligibilityResult(name, draw), relative(root, out.quality('eligibility'))),
    contamination: qualityJson(
      contaminationResult(name, {
        ...readScreenReports(paths),
        membership: membershipSummary,
        quarantined: draw.quarantined,
      }),
      relative(root, out.quality('contamination')),
    ),
    provenance: qualityJson(
      provenanceResult(name, { timestamp: time.timestamp, timestamp_source: time.source, files, content_hash: rowsHash, code, tools }),
      relative(root, out.quality('provenance')),
    ),
  };
  const meta: SampleMeta = {
    dataset: name,
    version: params.version,
    seed: params.seed,
    taxonomy_version: taxonomy.version,
    params_digest: digest(sampleParams),
    params: sampleParams,
    size: { requested: params.size, realised: total, pool: voucher.records, eligible: [...draw.allocation.strata].reduce((n, s) => n + s.pool, 0) },
    strata: allocation.strata.map((s) => ({
      stratum: s.stratum,
      pool: s.pool,
      share: s.target / params.size,
      target: s.target,
      floor: s.floor,
      realised: s.allocated,
      percent: total === 0 ? 0 : (100 * s.allocated) / total,
      pool_limited: s.poolLimited,
    })),
    pool_limited: allocation.poolLimited,
    warnings: poolLimitedWarnings(allocation),
    balance,
    eligibility: Object.fromEntries([...draw.checks].map(([check, c]) => [check, { excluded: c.excluded, quarantined: c.quarantined }])),
    columns: DATASET_COLUMNS,
    files: {
      ...files,
      ...Object.fromEntries(
        Object.entries(quality).map(([check, text]) => [`quality/${check}.json`, { sha256: sha256(text), bytes: Buffer.byteLength(text), rows: 1 }]),
      ),
    },
    content_hash: rowsHash,
    manifest_sha256: sha256(manifest),
    code,
    tools,
    timestamp: time.timestamp,
    timestamp_source: time.source,
  };
  assertValidMeta(meta);
  const report = {
    examples: total,
    pool_limited_strata: allocation.poolLimited.length,
    excluded: Object.fromEntries([...draw.checks].map(([check, c]) => [check, c.excluded])),
    quarantined: draw.quarantined.length,
    balance: {
      chi_squared: balance.statistic,
      df: balance.df,
      p_value: balance.p_value,
      tvd: balance.tvd,
      min_expected: balance.min_expected,
      imbalanced: balance.imbalanced,
    },
  };
  writeAllAtomic({
    [out.data]: data,
    [out.quarantine]: quarantine,
    [out.manifest]: manifest,
    ...Object.fromEntries(Object.entries(quality).map(([check, text]) => [out.quality(check), text])),
    [out.report]: JSON.stringify(report, null, 2) + '\n',
    [out.meta]: JSON.stringify(meta, null, 2) + '\n',
  });
  return meta;
}

export const stage: Stage<SampleMeta> = {
  name: 'sample',
  perDataset: true,
  describe:
    'allocate over the eligible pool and draw one dataset; write data.parquet, quarantine.parquet, manifest.jsonl, quality results and meta.json',
  params: [
    'datasets.${key}.version',
    'datasets.${key}.seed',
    'datasets.${key}.size',
    'datasets.${key}.allocation',
    'datasets.${key}.floor',
    'datasets.${key}.floors',
    'datasets.${key}.allow_pool_limited',
    'datasets.${key}.balance',
    'contamination.membership',
  ],
  deps: [
    'interim/validated.json',
    'interim/strata.parquet',
    'interim/pool.json',
    'interim/exclusions',
    'interim/agreement.parquet',
    'reports/ngram.json',
    'reports/duplicates.json',
    'datasets/calibration',
    'datasets/reference-corpus',
    'evalsets/${key}/archive',
    'datasets/pool',
    'taxonomy',
    'package-lock.json',
    'requirements.txt',
  ],
  code: CODE,
  outs: [
    { path: 'evalsets/${key}/data.parquet' },
    { path: 'evalsets/${key}/quarantine.parquet' },
    { path: 'evalsets/${key}/manifest.jsonl', cache: false },
    { path: 'evalsets/${key}/quality/balance.json', cache: false },
    { path: 'evalsets/${key}/quality/eligibility.json', cache: false },
    { path: 'evalsets/${key}/quality/contamination.json', cache: false },
    { path: 'interim/membership/${key}.jsonl' },
    { path: 'evalsets/${key}/quality/provenance.json', cache: false },
    { path: 'evalsets/${key}/meta.json', cache: false },
    { path: 'reports/sample-${key}.json', cache: false, metrics: true },
  ],
  nodeFlags: ['--max-semi-space-size=64'],
  run: (root, dataset) => runSample(root, dataset!),
  summarize: sampleSummary,
};

await runStageMain(stage, import.meta.url);
