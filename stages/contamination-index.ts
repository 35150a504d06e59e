/**
 * Stage `contamination-index`: build the Bloom index over the reference corpus
 * (datasets/reference-corpus/: text known to be in a model's training data) that the `ngram` screen
 * scans the pool against. One build on this machine, sized exactly for the corpus's shingles; a
 * corpus too large for one machine is built in shards elsewhere (`evalset contamination build
 * --shard i/N`, .github/workflows/contamination-index.yml) and merged to the same bytes.
 * Without a corpus it writes an empty index and says so: the screen then reports n-gram detection
 * as skipped.
 */
import { dirname } from 'node:path';
import { loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { buildIndexFile } from '../lib/contamination/build.ts';
import { listCorpus } from '../lib/contamination/corpus.ts';
import { HEADER_BYTES, headerJson } from '../lib/contamination/indexFile.ts';
import { ngramSettings } from '../lib/contamination/settings.ts';
import { expectedFalsePositiveRate } from '../lib/contamination/scan.ts';
import { removeStaleTemporaries, writeAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';

export interface ContaminationIndexReport {
  corpus_files: number;
  corpus_bytes: number;
  shingles: number;
  bits: number;
  bytes: number;
  hashes: number;
  stride: number;
  /** The false-positive rate the formula gives for the shingles inserted. */
  fpr: number;
  header: Record<string, unknown>;
}

export async function runContaminationIndex(root: string, onProgress?: (n: number) => void): Promise<ContaminationIndexReport> {
  const paths = projectPaths(root);
  const settings = ngramSettings(loadParams(paths.params, 'params.yaml').contamination);
  removeStaleTemporaries([dirname(paths.contaminationIndex), paths.reports]);
  const files = await listCorpus(paths.referenceCorpus);
  const header = await buildIndexFile({
    corpusDir: paths.referenceCorpus,
    out: paths.contaminationIndex,
    width: settings.width,
    fpr: settings.fpr,
    stride: settings.stride,
    seed: BigInt(settings.seed),
    onProgress: onProgress && ((p) => onProgress(p.shingles)),
  });
  const report: ContaminationIndexReport = {
    corpus_files: files.length,
    corpus_bytes: files.reduce((n, f) => n + (f.bytes ?? 0), 0),
    shingles: header.inserted,
    bits: header.bits,
    bytes: HEADER_BYTES + header.bits / 8,
    hashes: header.hashes,
    stride: header.stride,
    fpr: expectedFalsePositiveRate(header),
    header: headerJson(header),
  };
  writeAtomic(paths.contaminationIndexReport, JSON.stringify(report, null, 2) + '\n');
  return report;
}

export const stage: Stage<ContaminationIndexReport> = {
  name: 'contamination-index',
  perDataset: false,
  describe: 'build the Bloom index of the reference corpus shingles (datasets/reference-corpus/) for the n-gram screen',
  params: ['contamination.ngram.width', 'contamination.ngram.fpr', 'contamination.ngram.stride', 'contamination.ngram.seed'],
  deps: ['datasets/reference-corpus'],
  code: [
    'stages/contamination-index.ts',
    'lib/contamination/bloomIndex.ts',
    'lib/contamination/build.ts',
    'lib/contamination/corpus.ts',
    'lib/contamination/indexFile.ts',
    'lib/contamination/merge.ts',
    'lib/contamination/normalize.ts',
    'lib/contamination/scan.ts',
    'lib/contamination/settings.ts',
    'lib/contamination/sizing.ts',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [{ path: 'interim/contamination/index.bloom' }, { path: 'reports/contamination-index.json', cache: false, metrics: true }],
  run: (root, _dataset, onProgress) => runContaminationIndex(root, onProgress),
  summarize: (r) =>
    r.corpus_files === 0
      ? 'contamination-index: no reference corpus (datasets/reference-corpus/ is empty): n-gram detection will be skipped'
      : `contamination-index: ${r.shingles.toLocaleString('en-US')} shingles from ${r.corpus_files} file${r.corpus_files === 1 ? '' : 's'} in ${r.bits.toLocaleString('en-US')} bits (${r.bytes.toLocaleString('en-US')} bytes), ${r.hashes} hashes, false-positive rate ${(100 * r.fpr).toFixed(2)}%`,
};

await runStageMain(stage, import.meta.url);
