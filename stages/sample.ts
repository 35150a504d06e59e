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
import { columnValues, readParquetFile } from '../lib/io/parquet.ts';
import { workingTreeObjectIds } from '../lib/io/gitTree.ts';
import { reproducibleTimestamp } from '../lib/provenance/timestamp.ts';
import { CODE_PATHS, toolVersions } from '../lib/provenance/tools.ts';
import type { SampleMeta } from '../lib/provenance/meta.ts';
import { allocateStrata } from '../lib/sampling/allocate.ts';
import { DATASET_COLUMNS, contentHash, datasetRows, encodeDataset, manifestLine } from '../lib/sampling/dataset.ts';
import { drawLowest } from '../lib/sampling/draw.ts';
import { readRecordsAt, verifyPool, type PoolSummary } from '../lib/sampling/pool.ts';
import { strataRequests, targetShares } from '../lib/sampling/targets.ts';
import { chiSquaredGoodnessOfFit } from '../lib/stats/chiSquaredGoodnessOfFit.ts';

export async function runSample(root: string, name: string): Promise<SampleMeta> {
  const paths = projectPaths(root);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const out = paths.dataset(name);

  if (!existsSync(paths.assignments) || !existsSync(paths.poolSummary)) {
    throw new InvalidInputError([{ file: relative(root, paths.assignments), message: 'missing: run `evalset classify` (or `dvc repro`) first' }]);
  }
  const pool = JSON.parse(readFileSync(paths.poolSummary, 'utf8')) as PoolSummary;
  verifyPool(root, paths.pool, pool);
  const columns = ['id', 'stratum', 'pool_file', 'pool_line', 'pool_offset', 'pool_length'];
  const table = readParquetFile(paths.assignments, { columns });
  const [ids, strata] = columns.slice(0, 2).map((c) => columnValues(table, c) as string[]);
  const [files, lines, offsets, lengths] = columns.slice(2).map((c) => columnValues(table, c) as number[]);
  const axes = strataOf(taxonomy);
  const byStratum = new Map<string, number[]>();
  strata.forEach((stratum, i) => {
    const list = byStratum.get(stratum);
    if (list) list.push(i);
    else byStratum.set(stratum, [i]);
  });
  const poolCounts = new Map([...byStratum].map(([s, rows]) => [s, rows.length]));

  const shares = targetShares(name, params, taxonomy, poolCounts);
  const allocation = allocateStrata({
    dataset: name,
    size: params.size,
    strata: strataRequests(name, params, shares, poolCounts),
    allowPoolLimited: params.allow_pool_limited ?? true,
  });

  const selected: number[] = [];
  for (const s of allocation.strata) {
    const rows = byStratum.get(s.stratum) ?? [];
    const drawn = new Set(
      drawLowest(
        rows.map((i) => ids[i]),
        s.allocated,
        params.seed,
      ),
    );
    for (const i of rows) if (drawn.has(ids[i])) selected.push(i);
  }
  const examples = readRecordsAt(
    root,
    pool,
    selected.map((i) => ({ id: ids[i], fileIndex: files[i], line: lines[i], offset: offsets[i], length: lengths[i] })),
    new Set(taxonomy.categories.map((c) => c.id)),
  );
  const assigned = new Map(selected.map((i) => [ids[i], { stratum: strata[i], difficulty: axes.get(strata[i])!.difficulty }]));
  const rows = datasetRows(examples, assigned);

  const threshold = params.balance?.threshold ?? DEFAULT_BALANCE_THRESHOLD;
  const total = allocation.total;
  // One stratum has nothing to be balanced against: the test does not apply and cannot fail.
  const test =
    allocation.strata.length < 2
      ? { statistic: 0, df: 0, pValue: 1 }
      : chiSquaredGoodnessOfFit(
          allocation.strata.map((s) => s.allocated),
          allocation.strata.map((s) => (s.target / params.size) * total),
        );
  const imbalanced = test.pValue < threshold;
  if (imbalanced && params.balance?.fail_on_imbalance) throw new ImbalancedDatasetError(name, test.pValue, threshold);

  const data = encodeDataset(rows);
  const manifest = toJsonl(rows.map(manifestLine));
  const time = reproducibleTimestamp(pool.newest_created_at);
  const sampleParams = sampleParamsOf(params);
  const warnings = allocation.poolLimited.map((s) => {
    const a = allocation.strata.find((x) => x.stratum === s)!;
    return `stratum ${s} is pool-limited: its pool holds ${a.pool} examples, below its floor of ${a.floor}; all ${a.pool} were taken`;
  });
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
    warnings,
    balance: {
      test: 'chi-squared goodness of fit against the target shares',
      statistic: test.statistic,
      df: test.df,
      p_value: test.pValue,
      threshold,
      imbalanced,
    },
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
    balance: { chi_squared: test.statistic, df: test.df, p_value: test.pValue, imbalanced },
  };
  writeAllAtomic({
    [out.data]: data,
    [out.manifest]: manifest,
    [out.meta]: JSON.stringify(meta, null, 2) + '\n',
    [out.report]: JSON.stringify(report, null, 2) + '\n',
  });
  return meta;
}
