import { join } from 'node:path';

/** Where each input and output lives, relative to the repository root (DESIGN.md, "Layout"). */
export function projectPaths(root: string) {
  return {
    root,
    params: join(root, 'params.yaml'),
    dvcLock: join(root, 'dvc.lock'),
    datasets: join(root, 'datasets'),
    pool: join(root, 'datasets', 'pool'),
    /** Production traffic, daily partitions YYYY-MM-DD.jsonl (staleness). */
    traffic: join(root, 'datasets', 'traffic'),
    /** Text known to be in a model's training data (contamination-index); optional. */
    referenceCorpus: join(root, 'datasets', 'reference-corpus'),
    /** Examples known not to be in training data, the membership screen's null distribution per stratum. */
    calibration: join(root, 'datasets', 'calibration'),
    /** The Bloom index over the reference corpus, and its report (DVC metrics). */
    contaminationIndex: join(root, 'interim', 'contamination', 'index.bloom'),
    contaminationIndexReport: join(root, 'reports', 'contamination-index.json'),
    /** The duplicates screen's report: exact and near-duplicate groups. */
    duplicatesReport: join(root, 'reports', 'duplicates.json'),
    /** The n-gram screen's report: every pool example it flagged, and the counts. */
    ngramReport: join(root, 'reports', 'ngram.json'),
    taxonomy: join(root, 'taxonomy', 'strata.json'),
    registry: join(root, 'taxonomy', 'registry.jsonl'),
    assignments: join(root, 'interim', 'strata.parquet'),
    poolSummary: join(root, 'interim', 'pool.json'),
    reports: join(root, 'reports'),
    dataset: (name: string) => {
      const dir = join(root, 'evalsets', name);
      return {
        dir,
        data: join(dir, 'data.parquet'),
        quarantine: join(dir, 'quarantine.parquet'),
        manifest: join(dir, 'manifest.jsonl'),
        meta: join(dir, 'meta.json'),
        card: join(dir, 'README.md'),
        qualityDir: join(dir, 'quality'),
        /** The result file of one quality check (lib/quality/result.ts). */
        quality: (check: string) => join(dir, 'quality', `${check}.json`),
        report: join(root, 'reports', `sample-${name}.json`),
        /** The membership screen's answers from the model endpoint (a DVC output, pushed to the remote). */
        membershipCache: join(root, 'interim', 'membership', `${name}.jsonl`),
      };
    },
  };
}

export type ProjectPaths = ReturnType<typeof projectPaths>;
