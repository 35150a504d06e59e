/**
 * Stage `traffic`: the features of the recent production traffic in datasets/traffic/ (the last
 * max(window_days, trend_days) daily partitions): category when given, length in tokens, named
 * entities. Computed once per change of the traffic, for every dataset's staleness and re-curation.
 */
import { join } from 'node:path';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { saveEntityCache } from '../lib/refresh/entities.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { projectTokenCounter } from '../lib/refresh/extractors.ts';
import {
  TRAFFIC_FEATURES_PATH,
  TRAFFIC_SUMMARY_PATH,
  computeTrafficFeatures,
  encodeTrafficFeatures,
  trafficSummaryJson,
  type TrafficSummary,
} from '../lib/refresh/trafficFeatures.ts';

export async function runTraffic(root: string, onProgress?: (n: number) => void): Promise<TrafficSummary & { prompts: number }> {
  removeStaleTemporaries([join(root, 'interim')]);
  const features = computeTrafficFeatures(root, await projectTokenCounter(root), { onProgress });
  saveEntityCache();
  writeAllAtomic({
    [join(root, TRAFFIC_FEATURES_PATH)]: encodeTrafficFeatures(features),
    [join(root, TRAFFIC_SUMMARY_PATH)]: trafficSummaryJson(features),
  });
  return { ...features.summary, prompts: features.days.reduce((n, d) => n + d.prompts.length, 0) };
}

export const stage: Stage<Awaited<ReturnType<typeof runTraffic>>> = {
  name: 'traffic',
  perDataset: false,
  describe: 'features of the recent production traffic in datasets/traffic/ (category, length, named entities), for staleness and re-curation',
  params: ['staleness.window_days', 'staleness.trend_days'],
  deps: ['interim/validated.json', 'datasets/traffic', 'taxonomy/strata.json'],
  code: [
    'stages/traffic.ts',
    'lib/refresh/trafficFeatures.ts',
    'lib/refresh/extractors.ts',
    'lib/refresh/categorize.ts',
    'lib/refresh/entities.ts',
    'lib/refresh/traffic.ts',
    'lib/refresh/settings.ts',
    'lib/sampling',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [{ path: TRAFFIC_FEATURES_PATH }, { path: TRAFFIC_SUMMARY_PATH }],
  run: (root, _dataset, onProgress) => runTraffic(root, onProgress),
  summarize: (r) =>
    r.partitions
      ? `features of ${r.prompts.toLocaleString('en-US')} traffic prompts (${r.partitions} daily partitions of ${r.dir}/, ${r.first} to ${r.last})`
      : `no traffic in ${r.dir}/`,
};

await runStageMain(stage, import.meta.url);
