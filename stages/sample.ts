/** Stage `sample@{name}`: allocate, draw, and write data.parquet, manifest.jsonl, meta.json and the metrics report. */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { datasetParams, loadParams, sampleParamsOf, DEFAULT_BALANCE_THRESHOLD } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy } from '../lib/config/taxonomy.ts';
import { ImbalancedDatasetError, InvalidInputError } from '../lib/errors.ts';
import { writeAllAtomic } from '../lib/io/atomic.ts';
import { digest, sha256 } from '../lib/io/hash.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { readParquetFile, tableRows } from '../lib/io/parquet.ts';
import { workingTreeObjectIds } from '../lib/io/gitTree.ts';
import { reproducibleTimestamp } from '../lib/provenance/timestamp.ts';
import { CODE_PATHS, toolVersions } from '../lib/provenance/tools.ts';
import type { SampleMeta } from '../lib/provenance/meta.ts';
import { allocateStrata } from '../lib/sampling/allocate.ts';
import type { Assignment } from '../lib/sampling/classify.ts';
import { contentHash, datasetRows, encodeDataset, manifestLine } from '../lib/sampling/dataset.ts';
import { drawLowest } from '../lib/sampling/draw.ts';
import { readPoolOrThrow, type PoolExample } from '../lib/sampling/pool.ts';
import { strataRequests, targetShares } from '../lib/sampling/targets.ts';
import { chiSquaredGoodnessOfFit } from '../lib/stats/chiSquaredGoodnessOfFit.ts';

export async function runSample(root: string, name: string): Promise<SampleMeta> {
  const paths = projectPaths(root);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const out = paths.dataset(name);

  if (!existsSync(paths.assignments)) {
    throw new InvalidInputError([{ file: relative(root, paths.assignments), message: 'missing: run `evalset classify` (or `dvc repro`) first' }]);
  }
  const assignments = new Map<string, Assignment>();
  const byStratum = new Map<string, string[]>();
  for (const row of tableRows(readParquetFile(paths.assignments))) {
    const a = row as unknown as Assignment;
    assignments.set(a.id, a);
    const list = byStratum.get(a.stratum);
    if (list) list.push(a.id);
    else byStratum.set(a.stratum, [a.id]);
  }
  const poolCounts = new Map([...byStratum].map(([s, ids]) => [s, ids.length]));

  const shares = targetShares(name, params, taxonomy, poolCounts);
  const allocation = allocateStrata({
    dataset: name,
    size: params.size,
    strata: strataRequests(name, params, shares, poolCounts),
    allowPoolLimited: params.allow_pool_limited ?? true,
  });

  const selected = new Set<string>();
  for (const s of allocation.strata) for (const id of drawLowest(byStratum.get(s.stratum) ?? [], s.allocated, params.seed)) selected.add(id);

  const examples: PoolExample[] = [];
  const scan = readPoolOrThrow(paths.pool, new Set(taxonomy.categories.map((c) => c.id)), (e) => selected.has(e.id) && examples.push(e), root);
  if (examples.length !== selected.size || scan.count !== assignments.size) {
    throw new InvalidInputError([
      { file: relative(root, paths.assignments), message: 'does not match the pool (the pool changed since classify ran): run `evalset classify` again' },
    ]);
  }
  const rows = datasetRows(examples, assignments);

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
  const time = reproducibleTimestamp(scan.newestCreatedAt);
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
    size: { requested: params.size, realised: total, pool: scan.count },
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
