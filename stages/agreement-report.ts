/**
 * Stage `agreement-report@{name}`, after the draw: how far the annotators of the released examples agree —
 * Krippendorff's alpha with its bootstrap interval, overall, per stratum and per task category;
 * Cohen's kappa per pair of annotators — and the adjudication queues: every example the draw passed
 * over because its annotators disagree, with its whole annotation history.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyzeAgreement } from '../lib/annotation/analysis.ts';
import { groupByExample, type Annotation } from '../lib/annotation/annotations.ts';
import { queueLines } from '../lib/annotation/queue.ts';
import { agreementDetails, agreementMetrics, agreementResult } from '../lib/annotation/result.ts';
import { AGREEMENT_CHECK, ANNOTATIONS_TABLE_PATH, SCREENED_PATH, readAnnotationsTable, readScreened } from '../lib/annotation/screen.ts';
import { datasetParams, loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { columnValues, readParquetFile } from '../lib/io/parquet.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { qualityJson, type QualityResult } from '../lib/quality/result.ts';

export const DEFAULT_MIN_PAIR_ITEMS = 20;
export const DEFAULT_BOOTSTRAP = { samples: 1000, confidence: 0.95 };

export async function runIaa(root: string, name: string): Promise<QualityResult<unknown>> {
  const paths = projectPaths(root);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const out = paths.dataset(name);
  const files = {
    quality: out.quality(AGREEMENT_CHECK),
    report: join(root, 'reports', `iaa-${name}.json`),
    adjudication: join(out.dir, 'adjudication.jsonl'),
    senior: join(out.dir, 'adjudication-senior.jsonl'),
  };
  removeStaleTemporaries([out.dir, out.qualityDir, paths.reports]);
  for (const p of [ANNOTATIONS_TABLE_PATH, SCREENED_PATH])
    if (!existsSync(join(root, p))) throw new InvalidInputError([{ file: p, message: 'is missing: run `evalset agreement` (or `dvc repro`) first' }]);

  const data = readParquetFile(out.data, { columns: ['id', 'stratum', 'task_category'] });
  const ids = columnValues(data, 'id') as string[];
  const strata = columnValues(data, 'stratum') as string[];
  const categories = columnValues(data, 'task_category') as string[];
  const stratumOf = new Map(ids.map((id, i) => [id, strata[i]]));
  const categoryOf = new Map(ids.map((id, i) => [id, categories[i]]));
  const quarantine = readParquetFile(out.quarantine, { columns: ['id', 'check', 'stratum'] });
  const qChecks = columnValues(quarantine, 'check') as string[];
  const qStrata = columnValues(quarantine, 'stratum') as string[];
  const routedIds = new Map<string, string>();
  (columnValues(quarantine, 'id') as string[]).forEach((id, i) => qChecks[i] === AGREEMENT_CHECK && routedIds.set(id, qStrata[i]));

  const annotations = readAnnotationsTable(join(root, ANNOTATIONS_TABLE_PATH), ANNOTATIONS_TABLE_PATH);
  const history = new Map<string, Annotation[]>();
  for (const a of annotations)
    if (stratumOf.has(a.example_id) || routedIds.has(a.example_id))
      (history.get(a.example_id) ?? history.set(a.example_id, []).get(a.example_id)!).push(a);
  const routed = readScreened(join(root, SCREENED_PATH)).filter((e) => routedIds.has(e.example_id));
  const queues = {
    adjudication: queueLines(
      routed.filter((e) => e.queue === 'adjudication'),
      history,
      routedIds,
    ),
    senior: queueLines(
      routed.filter((e) => e.queue === 'senior'),
      history,
      routedIds,
    ),
  };

  // Alpha over the released examples, as annotated (an adjudicated label does not make its annotators agree).
  const units = [...groupByExample(annotations.filter((a) => stratumOf.has(a.example_id))).values()];
  const settings = params.agreement ?? {};
  const rel = (p: string) => relative(root, p);
  const routing = {
    adjudication: queues.adjudication.length,
    senior: queues.senior.length,
    files: { adjudication: rel(files.adjudication), senior: rel(files.senior) },
  };
  let result: QualityResult<unknown>;
  let metrics: unknown;
  if (units.length === 0) {
    result = {
      schema_version: 1,
      check: AGREEMENT_CHECK,
      dataset: name,
      status: 'not_run',
      summary: 'No example of this dataset has annotations.',
      reason: annotations.length
        ? 'no example of this dataset has annotations in datasets/annotations/'
        : 'datasets/annotations/ holds no annotations',
      details: { routing },
    };
    metrics = { alpha: null, units: 0, routing: { adjudication: routing.adjudication, senior: routing.senior } };
  } else {
    const report = analyzeAgreement(
      units,
      {
        type: settings.level ?? 'nominal',
        order: settings.values,
        minPairItems: settings.min_pair_items ?? DEFAULT_MIN_PAIR_ITEMS,
        bootstrap: { ...DEFAULT_BOOTSTRAP, ...settings.bootstrap },
        seed: params.seed,
        where: `params.yaml: datasets.${name}.agreement`,
      },
      { stratum: stratumOf, task_category: categoryOf },
    );
    const details = agreementDetails(report, routing);
    result = agreementResult(name, details);
    metrics = agreementMetrics(details);
  }
  writeAllAtomic({
    [files.adjudication]: toJsonl(queues.adjudication),
    [files.senior]: toJsonl(queues.senior),
    [files.quality]: qualityJson(result, rel(files.quality)),
    [files.report]: JSON.stringify(metrics, null, 2) + '\n',
  });
  return result;
}

export const stage: Stage<QualityResult<unknown>> = {
  name: 'agreement-report',
  perDataset: true,
  describe:
    "inter-annotator agreement of one dataset (Krippendorff's alpha with a bootstrap interval, Cohen's kappa per pair) and its adjudication queues",
  params: ['datasets.${key}.seed', 'datasets.${key}.agreement'],
  deps: ['evalsets/${key}/data.parquet', 'evalsets/${key}/quarantine.parquet', 'interim/annotations.parquet', 'interim/agreement.parquet'],
  code: [
    'stages/agreement-report.ts',
    'lib/annotation/analysis.ts',
    'lib/annotation/annotations.ts',
    'lib/annotation/bootstrapAlpha.ts',
    'lib/stats/quantileSortedType7.ts',
    'lib/annotation/cohenKappa.ts',
    'lib/annotation/exampleAgreement.ts',
    'lib/annotation/krippendorffAlpha.ts',
    'lib/annotation/queue.ts',
    'lib/annotation/reliabilityData.ts',
    'lib/annotation/result.ts',
    'lib/annotation/screen.ts',
    'lib/quality',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [
    { path: 'evalsets/${key}/adjudication.jsonl', cache: false },
    { path: 'evalsets/${key}/adjudication-senior.jsonl', cache: false },
    { path: 'evalsets/${key}/quality/agreement.json', cache: false },
    { path: 'reports/iaa-${key}.json', cache: false, metrics: true },
  ],
  run: (root, dataset) => runIaa(root, dataset!),
  summarize: (r) => `agreement-report: ${r.summary}`,
};

await runStageMain(stage, import.meta.url);
