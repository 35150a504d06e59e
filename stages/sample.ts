/** Stage `sample@{name}`: allocate, draw, and write data.parquet, manifest.jsonl, meta.json and the metrics report. */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { datasetParams, loadParams, sampleParamsOf, DEFAULT_BALANCE_THRESHOLD } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy, strataOf } from '../lib/config/taxonomy.ts';
import { ImbalancedDatasetError, InvalidInputError } from '../lib/errors.ts';
import { writeAllAtomic } from '../lib/io/atomic.ts';
import { digest, sha256 } from '../lib/io/hash.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { workingTreeObjectIds } from '../lib/io/gitTree.ts';
import { reproducibleTimestamp } from '../lib/provenance/timestamp.ts';
import { CODE_PATHS, toolVersions } from '../lib/provenance/tools.ts';
import type { SampleMeta } from '../lib/provenance/meta.ts';
import { allocateStrata } from '../lib/sampling/allocate.ts';
import { drawAllocated, poolCounts, readAssignmentIndex } from '../lib/sampling/assignments.ts';
import { balanceOf, poolLimitedWarnings } from '../lib/sampling/balance.ts';
import { DATASET_COLUMNS, contentHash, datasetRows, encodeDataset, manifestLine } from '../lib/sampling/dataset.ts';
import { readRecordsAt, verifyClassified, type ClassifiedPool } from '../lib/sampling/pool.ts';
import { strataRequests, targetShares } from '../lib/sampling/targets.ts';

export async function runSample(root: string, name: string): Promise<SampleMeta> {
  const paths = projectPaths(root);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const out = paths.dataset(name);
  if (!existsSync(paths.assignments) || !existsSync(paths.poolSummary)) {
    throw new InvalidInputError([{ file: relative(root, paths.assignments), message: 'missing: run `evalset classify` (or `dvc repro`) first' }]);
  }
  const pool = JSON.parse(readFileSync(paths.poolSummary, 'utf8')) as ClassifiedPool;
  verifyClassified(root, paths.pool, paths.taxonomy, pool);
  const index = readAssignmentIndex(paths.assignments);

  const counts = poolCounts(index);
  const allocation = allocateStrata({
    dataset: name,
    size: params.size,
    strata: strataRequests(name, params, targetShares(name, params, taxonomy, counts), counts),
    allowPoolLimited: params.allow_pool_limited ?? true,
  });
  const balance = balanceOf(allocation, params.balance?.threshold ?? DEFAULT_BALANCE_THRESHOLD);
  if (balance.imbalanced && params.balance?.fail_on_imbalance) throw new ImbalancedDatasetError(name, balance.p_value, balance.threshold);

  const selected = drawAllocated(index, allocation, params.seed);
  const categories = new Set(taxonomy.categories.map((c) => c.id));
  const examples = readRecordsAt(root, pool, selected.map(index.location), categories);
  const axes = strataOf(taxonomy);
  const rows = datasetRows(
    examples,
    new Map(selected.map((i) => [index.ids[i], { stratum: index.strata[i], difficulty: axes.get(index.strata[i])!.difficulty }])),
  );

  const data = encodeDataset(rows);
  const manifest = toJsonl(rows.map(manifestLine));
  const time = reproducibleTimestamp(pool.newest_created_at);
  const sampleParams = sampleParamsOf(params);
  const total = allocation.total;
  const meta: SampleMeta = {
    dataset: name,
    version: params.version,
    seed: params.seed,
    taxonomy_version: taxonomy.version,
    params_digest: digest(sampleParams),
    params: sampleParams,
    size: { requested: params.size, realised: total, pool: pool.records },
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
    columns: DATASET_COLUMNS,
    files: { 'data.parquet': { sha256: sha256(data), bytes: data.byteLength, rows: rows.length } },
    content_hash: contentHash(rows),
    manifest_sha256: sha256(manifest),
    code: workingTreeObjectIds(root, CODE_PATHS),
    tools: toolVersions(),
    timestamp: time.timestamp,
    timestamp_source: time.source,
  };
  const report = {
    examples: total,
    pool_limited_strata: allocation.poolLimited.length,
    balance: { chi_squared: balance.statistic, df: balance.df, p_value: balance.p_value, imbalanced: balance.imbalanced },
  };
  writeAllAtomic({
    [out.data]: data,
    [out.manifest]: manifest,
    [out.report]: JSON.stringify(report, null, 2) + '\n',
    [out.meta]: JSON.stringify(meta, null, 2) + '\n',
  });
  return meta;
}
