/**
 * Stage `coverage@{name}`, after the draw: count the official partition's examples per capability leaf
 * of taxonomy/capabilities.json, and report every leaf below its minimum with the exact remediation,
 * including how many eligible pool candidates could fill it. An unknown capability id in the pool is
 * an input error naming file, line and field.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { datasetParams, loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { capabilityIssues, loadCapabilityTree } from '../lib/coverage/capabilityTree.ts';
import { coverageGaps } from '../lib/coverage/coverage.ts';
import { coverageMetrics, coverageResult, type CoverageDetails } from '../lib/coverage/result.ts';
import { readExclusions } from '../lib/eligibility/table.ts';
import { CoverageGapError, InvalidInputError, type Issue } from '../lib/errors.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { readJsonl } from '../lib/io/jsonl.ts';
import { columnValues, readParquetFile } from '../lib/io/parquet.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { qualityJson, type QualityResult } from '../lib/quality/result.ts';
import { poolFiles } from '../lib/sampling/pool.ts';
import { readVoucher } from '../lib/sampling/voucher.ts';

export const CAPABILITIES_PATH = join('taxonomy', 'capabilities.json');

export async function runCoverage(root: string, name: string): Promise<QualityResult<unknown>> {
  const paths = projectPaths(root);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const out = paths.dataset(name);
  const files = { quality: out.quality('coverage'), report: join(root, 'reports', `coverage-${name}.json`) };
  removeStaleTemporaries([out.qualityDir, paths.reports]);
  const rel = (p: string) => relative(root, p);
  let result: QualityResult<unknown>;
  let metrics: unknown;
  if (!existsSync(join(root, CAPABILITIES_PATH))) {
    const reason = `there is no capability tree (${CAPABILITIES_PATH})`;
    result = {
      schema_version: 1,
      check: 'coverage',
      dataset: name,
      status: 'not_run',
      summary: 'Capability coverage was not measured.',
      reason,
      details: {},
    };
    metrics = { covered: null, total: null, gaps: null };
  } else {
    const tree = loadCapabilityTree(join(root, CAPABILITIES_PATH), CAPABILITIES_PATH);
    const voucher = readVoucher(paths);
    const inDataset = new Set(columnValues(readParquetFile(out.data, { columns: ['id'] }), 'id') as string[]);
    const poolIds = new Set(columnValues(readParquetFile(paths.assignments, { columns: ['id'] }), 'id') as string[]);
    const excluded = readExclusions(root, poolIds, voucher.assignments.sha256);
    const counts = new Map<string, number>();
    const available = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    const issues: Issue[] = [];
    for (const path of poolFiles(paths.pool)) {
      for (const entry of readJsonl(path, rel(path))) {
        if (entry.issue) continue; // classify already refused a malformed pool; the voucher says this is the pool it read
        const record = entry.value as { id: string; capabilities?: unknown };
        const problems = capabilityIssues(tree, record.capabilities, rel(path), entry.line);
        if (problems.length) {
          issues.push(...problems);
          continue;
        }
        const caps = new Set((record.capabilities as string[] | undefined) ?? []);
        if (inDataset.has(record.id)) for (const c of caps) bump(counts, c);
        else if (!excluded.has(record.id)) for (const c of caps) bump(available, c);
      }
    }
    if (issues.length) throw new InvalidInputError(issues, { hint: `Use the leaf ids of ${CAPABILITIES_PATH}, or add the capability to it.` });
    const details: CoverageDetails = {
      tree_version: tree.version,
      fail_on_gap: params.coverage?.fail_on_gap ?? false,
      ...coverageGaps(tree, counts, available),
    };
    if (details.fail_on_gap && details.gaps.length)
      throw new CoverageGapError(
        name,
        details.gaps.map((g) => g.remediation),
      );
    result = coverageResult(name, details);
    metrics = coverageMetrics(details);
  }
  writeAllAtomic({ [files.quality]: qualityJson(result, rel(files.quality)), [files.report]: JSON.stringify(metrics, null, 2) + '\n' });
  return result;
}

export const stage: Stage<QualityResult<unknown>> = {
  name: 'coverage',
  perDataset: true,
  describe: 'capability coverage of one dataset: examples per leaf of taxonomy/capabilities.json, each gap with its remediation',
  params: ['datasets.${key}.coverage'],
  deps: ['evalsets/${key}/data.parquet', 'interim/strata.parquet', 'interim/pool.json', 'interim/exclusions', 'datasets/pool', 'taxonomy'],
  code: ['stages/coverage.ts', 'lib/coverage', 'lib/eligibility', 'lib/sampling', 'lib/quality', ...STAGE_RUNTIME_CODE],
  outs: [
    { path: 'evalsets/${key}/quality/coverage.json', cache: false },
    { path: 'reports/coverage-${key}.json', cache: false, metrics: true },
  ],
  run: (root, dataset) => runCoverage(root, dataset!),
  summarize: (r) => `coverage: ${r.summary}` + ((r.details as Partial<CoverageDetails>).gaps ?? []).map((g) => `\n  ${g.remediation}`).join(''),
};

await runStageMain(stage, import.meta.url);
