/**
 * Stage `features`: the prompt features staleness and re-curation compare (task category, length in
 * tokens, named entities), of every pool example and of the recent production traffic in
 * datasets/traffic/, computed once here so that the per-dataset stages do not tag the same prompts
 * again. A traffic prompt without a category gets the one a classifier trained on the pool assigns.
 */
import { join } from 'node:path';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import {
  FEATURES_PATH,
  FEATURES_SUMMARY_PATH,
  computeFeatureTable,
  encodeFeatureTable,
  summaryJson,
  type TrafficSummary,
} from '../lib/refresh/featureTable.ts';
import { projectExtractors } from '../lib/refresh/extractors.ts';

export async function runFeatures(root: string, onProgress?: (n: number) => void): Promise<TrafficSummary & { pool: number; prompts: number }> {
  removeStaleTemporaries([join(root, 'interim')]);
  const table = await computeFeatureTable(root, await projectExtractors(root), { onProgress });
  writeAllAtomic({ [join(root, FEATURES_PATH)]: encodeFeatureTable(table), [join(root, FEATURES_SUMMARY_PATH)]: summaryJson(table) });
  return { ...table.summary, pool: table.pool.size, prompts: table.traffic.reduce((n, d) => n + d.prompts.length, 0) };
}

export const stage: Stage<Awaited<ReturnType<typeof runFeatures>>> = {
  name: 'features',
  perDataset: false,
  describe: 'prompt features (task category, length, named entities) of the pool and the recent production traffic, for staleness and re-curation',
  params: ['staleness.window_days', 'staleness.trend_days'],
  deps: ['interim/validated.json', 'datasets', 'taxonomy/strata.json'],
  code: [
    'stages/features.ts',
    'lib/refresh/featureTable.ts',
    'lib/refresh/features.ts',
    'lib/refresh/extractors.ts',
    'lib/refresh/categorize.ts',
    'lib/refresh/entities.ts',
    'lib/refresh/traffic.ts',
    'lib/refresh/settings.ts',
    'lib/sampling',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [{ path: FEATURES_PATH }, { path: FEATURES_SUMMARY_PATH }],
  run: (root, _dataset, onProgress) => runFeatures(root, onProgress),
  summarize: (r) =>
    `features of ${r.pool.toLocaleString('en-US')} pool examples and ${r.prompts.toLocaleString('en-US')} traffic prompts ` +
    (r.partitions ? `(${r.partitions} daily partitions of ${r.dir}/, ${r.first} to ${r.last})` : `(no traffic in ${r.dir}/)`),
};

await runStageMain(stage, import.meta.url);
