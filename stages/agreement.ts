/**
 * Stage `agreement`, an eligibility screen: read the pool's annotations (datasets/annotations/*.jsonl)
 * and adjudicated labels (datasets/annotations/adjudicated/*.jsonl), measure each example's agreement,
 * and exclude from every draw the examples whose annotators disagree (they wait for adjudication).
 * Writes the exclusion table, the screen's verdict per example with the label each is released with,
 * the annotations as one validated table for the per-dataset analysis, and a summary report.
 */
import { dirname, join, relative } from 'node:path';
import { ADJUDICATED_DIR, ANNOTATIONS_DIR, groupByExample, jsonlFiles, readAnnotationFiles } from '../lib/annotation/annotations.ts';
import {
  AGREEMENT_CHECK,
  ANNOTATIONS_TABLE_PATH,
  SCREENED_PATH,
  encodeAnnotations,
  encodeScreened,
  screenAnnotations,
} from '../lib/annotation/screen.ts';
import { DEFAULT_MIN_AGREEMENT, loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { exclusionFiles, exclusionTablePath } from '../lib/eligibility/table.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { columnValues, readParquetFile } from '../lib/io/parquet.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { readVoucher } from '../lib/sampling/voucher.ts';

export interface AgreementScreenReport {
  min_agreement: number;
  files: string[];
  adjudicated_files: string[];
  annotations: number;
  annotators: number;
  /** Examples with any annotation or adjudicated label. */
  examples: number;
  single_annotator: number;
  adjudicated: number;
  /** Annotated ids the pool does not hold (left out): how many, and the first few. */
  not_in_pool: { count: number; ids: string[] };
  /** Excluded until adjudicated, per queue. */
  excluded: { adjudication: number; senior: number };
}

export async function runAgreementScreen(root: string): Promise<AgreementScreenReport> {
  const paths = projectPaths(root);
  const reportPath = join(root, 'reports', 'agreement.json');
  removeStaleTemporaries([dirname(exclusionTablePath(root, AGREEMENT_CHECK)), join(root, 'interim'), dirname(reportPath)]);
  const minAgreement = loadParams(paths.params, 'params.yaml').agreement?.min_agreement ?? DEFAULT_MIN_AGREEMENT;
  const voucher = readVoucher(paths, { pool: false });
  const poolIds = new Set(columnValues(readParquetFile(paths.assignments, { columns: ['id'] }), 'id') as string[]);
  const files = jsonlFiles(join(root, ANNOTATIONS_DIR));
  const adjudicatedFiles = jsonlFiles(join(root, ADJUDICATED_DIR));
  const annotations = readAnnotationFiles(files, root);
  const adjudications = readAnnotationFiles(adjudicatedFiles, root);
  const units = groupByExample(annotations);
  const screen = screenAnnotations(units, adjudications, minAgreement, poolIds);
  const count = (test: (e: (typeof screen.examples)[number]) => boolean) => screen.examples.filter(test).length;
  const report: AgreementScreenReport = {
    min_agreement: minAgreement,
    files: files.map((f) => relative(root, f)),
    adjudicated_files: adjudicatedFiles.map((f) => relative(root, f)),
    annotations: annotations.length,
    annotators: new Set(annotations.map((a) => a.annotator_id)).size,
    examples: screen.examples.length,
    single_annotator: count((e) => e.annotators === 1),
    adjudicated: count((e) => e.label_source === 'adjudicated'),
    not_in_pool: { count: screen.orphans.length, ids: screen.orphans.slice(0, 10) },
    excluded: { adjudication: count((e) => e.queue === 'adjudication'), senior: count((e) => e.queue === 'senior') },
  };
  writeAllAtomic({
    [join(root, ANNOTATIONS_TABLE_PATH)]: encodeAnnotations(annotations),
    [join(root, SCREENED_PATH)]: encodeScreened(screen.examples),
    ...exclusionFiles(root, AGREEMENT_CHECK, screen.exclusions, voucher.assignments.sha256),
    [reportPath]: JSON.stringify(report, null, 2) + '\n',
  });
  return report;
}

export const stage: Stage<AgreementScreenReport> = {
  name: 'agreement',
  perDataset: false,
  describe: 'eligibility screen: exclude examples whose annotators disagree until they are adjudicated; release the others with their agreed label',
  params: ['agreement'],
  // `datasets` as a whole: the annotations are optional, and DVC refuses a dependency that does not exist.
  deps: ['interim/strata.parquet', 'interim/pool.json', 'datasets', 'taxonomy/schemas/annotation.schema.json'],
  code: [
    'stages/agreement.ts',
    'lib/annotation/annotations.ts',
    'lib/annotation/exampleAgreement.ts',
    'lib/annotation/screen.ts',
    'lib/eligibility',
    'lib/sampling',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [
    { path: 'interim/annotations.parquet' },
    { path: 'interim/agreement.parquet' },
    { path: 'interim/exclusions/agreement.parquet' },
    { path: 'interim/exclusions/agreement.json' },
    { path: 'reports/agreement.json', cache: false, metrics: true },
  ],
  run: (root) => runAgreementScreen(root),
  summarize: (r) =>
    r.annotations === 0
      ? 'agreement: no annotations in datasets/annotations/: nothing screened'
      : `agreement: ${r.annotations} annotations of ${r.examples} examples by ${r.annotators} annotators; excluded until adjudicated: ${r.excluded.adjudication} (adjudication queue), ${r.excluded.senior} (senior queue); ${r.adjudicated} adjudicated, ${r.single_annotator} with one annotator` +
        (r.not_in_pool.count
          ? `\n  warning: ${r.not_in_pool.count} annotated example${r.not_in_pool.count === 1 ? ' is' : 's are'} not in the pool and were left out: ${r.not_in_pool.ids.join(', ')}${r.not_in_pool.count > 10 ? ', …' : ''}`
          : ''),
};

await runStageMain(stage, import.meta.url);
