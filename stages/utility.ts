/**
 * Stage `utility`: is the synthetic dataset still useful? Real against synthetic: the Wasserstein
 * distance per numeric feature, the Jensen–Shannon divergence per categorical one, the agreement of
 * the numeric correlations, and a downstream scorer's Spearman ρ between paired rows. Below a
 * threshold the dataset is rejected (exit 1, nothing written), naming what degraded most.
 */
import { join } from 'node:path';
import { loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { PRIVACY_PATHS, SCORERS, SYNTHETIC_DATASET, hasPrivateSource, type PrivacyParams } from '../lib/privacy/project.ts';
import { readPrivateRecords } from '../lib/privacy/records.ts';
import { assertUtility, utilityReport, type Row } from '../lib/privacy/utility.ts';
import { qualityJson, type QualityResult } from '../lib/quality/result.ts';

export async function runUtility(root: string): Promise<QualityResult<unknown>> {
  const at = (p: string) => join(root, p);
  const reportPath = at(join('reports', 'utility.json'));
  removeStaleTemporaries([at(join(PRIVACY_PATHS.dir, 'quality')), at('reports')]);
  const params: PrivacyParams = (loadParams(projectPaths(root).params, 'params.yaml') as { privacy?: PrivacyParams }).privacy ?? {};
  const base = { schema_version: 1 as const, check: 'utility', dataset: SYNTHETIC_DATASET };
  let result: QualityResult<unknown>;
  let metrics: unknown;
  if (!hasPrivateSource(root)) {
    result = {
      ...base,
      status: 'not_run',
      summary: 'No synthetic dataset.',
      reason: `there is no private source (${PRIVACY_PATHS.source})`,
      details: {},
    };
    metrics = { passed: null };
  } else {
    const u = params.utility ?? {};
    const scorerName = u.scorer;
    const scorer = scorerName === undefined ? undefined : SCORERS[scorerName];
    if (!scorer)
      throw new InvalidInputError([
        {
          file: 'params.yaml',
          field: 'privacy.utility.scorer',
          message: `${scorerName === undefined ? 'is required (the downstream test runs it)' : `unknown scorer "${scorerName}"`}; known: ${Object.keys(SCORERS).join(', ')}`,
        },
      ]);
    // Rows pair by position (synthesis keeps one row per source row, and a missing value stays missing):
    // the numeric measures use the pairs where every numeric feature is present on both sides.
    const real = readPrivateRecords(at(PRIVACY_PATHS.source), PRIVACY_PATHS.source).records;
    const synthetic = readPrivateRecords(at(PRIVACY_PATHS.data), PRIVACY_PATHS.data).records;
    const numeric = u.numeric ?? [];
    const complete = (row: Row | undefined) => row !== undefined && numeric.every((f) => row[f] !== null && row[f] !== undefined);
    const pairs = real.map((r, i) => [r, synthetic[i]] as const).filter(([r, s]) => real.length !== synthetic.length || (complete(r) && complete(s)));
    const report = utilityReport(
      pairs.map(([r]) => r),
      pairs.map(([, s]) => s),
      {
        numeric,
        categorical: u.categorical ?? [],
        scorer,
        minSpearman: u.min_spearman,
        maxJsd: u.max_jsd,
        minCorrelationAgreement: u.min_correlation_agreement,
        files: { real: PRIVACY_PATHS.source, synthetic: PRIVACY_PATHS.data },
      },
    );
    assertUtility(report); // rejected: exit 1, nothing written
    const rho = report.downstream.spearman;
    result = {
      ...base,
      status: 'pass',
      summary: `Accepted: the ${scorerName} scores of paired real and synthetic rows agree with Spearman's ρ = ${rho === null ? '—' : rho.toFixed(3)} (at least ${u.min_spearman ?? 0.85} required).`,
      details: { scorer: scorerName, rows: { paired: pairs.length, source: real.length }, ...report },
    };
    metrics = {
      passed: report.passed,
      spearman: rho,
      correlation_agreement: report.correlation.pearson_of_upper_triangles,
      wasserstein: Object.fromEntries(report.numeric.map((n) => [n.feature, n.wasserstein])),
      jsd: Object.fromEntries(report.categorical.map((c) => [c.feature, c.jsd])),
    };
  }
  writeAllAtomic({ [at(PRIVACY_PATHS.utility)]: qualityJson(result, PRIVACY_PATHS.utility), [reportPath]: JSON.stringify(metrics, null, 2) + '\n' });
  return result;
}

export const stage: Stage<QualityResult<unknown>> = {
  name: 'utility',
  perDataset: false,
  describe: 'validate the synthetic dataset against the real one (distributions, correlations, a downstream score); reject it below the thresholds',
  params: ['privacy.utility'],
  deps: ['evalsets/synthetic/data.jsonl', 'evalsets/synthetic/privacy.json', 'datasets'],
  code: [
    'stages/utility.ts',
    'lib/privacy/project.ts',
    'lib/privacy/records.ts',
    'lib/privacy/utility.ts',
    'lib/stats',
    'lib/quality',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [
    { path: 'evalsets/synthetic/quality/utility.json', cache: false },
    { path: 'reports/utility.json', cache: false, metrics: true },
  ],
  run: (root) => runUtility(root),
  summarize: (r) => `utility: ${r.summary}`,
};

await runStageMain(stage, import.meta.url);
