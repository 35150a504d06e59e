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
      };
    },
  };
}

export type ProjectPaths = ReturnType<typeof projectPaths>;
