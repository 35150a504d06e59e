/**
 * Stage `staleness@{name}`, after the draw: the dataset's examples against the production traffic of
 * datasets/traffic/ by Jensen–Shannon divergence per dimension, each with its noise floor and action,
 * and the daily trend. Writes the quality result, the DVC metrics, one DVC plot per dimension and the
 * Markdown report; a dataset that does not track traffic, or a project without traffic, gets a
 * not-run result in the same files.
 */
import { join, relative } from 'node:path';
import { projectPaths } from '../lib/config/paths.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { saveEntityCache } from '../lib/refresh/entities.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { qualityJson, type QualityResult } from '../lib/quality/result.ts';
import { comparedFeaturesPath, encodeComparedFeatures } from '../lib/refresh/comparedFeatures.ts';
import { analyseStaleness } from '../lib/refresh/project.ts';
import { STALENESS_DIMENSIONS, stalenessMetrics, stalenessReport, trendCsv, type StalenessDetails } from '../lib/refresh/result.ts';

const plotPath = (name: string, dimension: string) => join('reports', 'plots', `staleness-${name}-${dimension}.csv`);

export async function runStaleness(root: string, name: string, onProgress?: (n: number) => void): Promise<QualityResult<unknown>> {
  const out = projectPaths(root).dataset(name);
  const reports = projectPaths(root).reports;
  removeStaleTemporaries([out.qualityDir, join(root, 'interim'), reports, join(reports, 'plots')]);
  const { result, reference = [], window = [] } = await analyseStaleness(root, name, { onProgress });
  const details = result.status === 'not_run' ? null : (result.details as StalenessDetails);
  saveEntityCache();
  writeAllAtomic({
    [join(root, comparedFeaturesPath(name))]: encodeComparedFeatures({ reference, window }),
    [out.quality('staleness')]: qualityJson(result, relative(root, out.quality('staleness'))),
    [join(reports, `staleness-${name}.json`)]: JSON.stringify(stalenessMetrics(details), null, 2) + '\n',
    [join(reports, `staleness-${name}.md`)]: stalenessReport(result),
    ...Object.fromEntries(STALENESS_DIMENSIONS.map((dimension) => [join(root, plotPath(name, dimension)), trendCsv(details, dimension)])),
  });
  return result;
}

export const stage: Stage<QualityResult<unknown>> = {
  name: 'staleness',
  perDataset: true,
  describe: 'staleness of one dataset against production traffic (datasets/traffic/): JSD per dimension with its noise floor, action and daily trend',
  command: false,
  params: ['staleness', 'datasets.${key}.refresh.track_traffic'],
  deps: ['evalsets/${key}/data.parquet', 'interim/traffic.parquet', 'interim/traffic.json', 'datasets/pool', 'taxonomy/strata.json'],
  code: ['stages/staleness.ts', 'lib/refresh', 'lib/sampling', 'lib/quality', 'lib/stats', 'lib/card/sections/staleness.ts', ...STAGE_RUNTIME_CODE],
  outs: [
    { path: comparedFeaturesPath('${key}') },
    { path: 'evalsets/${key}/quality/staleness.json', cache: false },
    { path: 'reports/staleness-${key}.json', cache: false, metrics: true },
    { path: 'reports/staleness-${key}.md', cache: false },
    ...STALENESS_DIMENSIONS.map((dimension) => ({
      path: plotPath('${key}', dimension),
      cache: false as const,
      plots: { x: 'date', y: 'jsd', title: `staleness of \${key}: ${dimension} (JSD, nats)` },
    })),
  ],
  run: (root, dataset, onProgress) => runStaleness(root, dataset!, onProgress),
  summarize: (r) => `staleness: ${r.summary}`,
};

await runStageMain(stage, import.meta.url);
