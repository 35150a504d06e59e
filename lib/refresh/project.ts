/**
 * The staleness check run on a project: params, the dataset's examples and the prompt features of
 * the pool and the recent traffic. The DVC stage (stages/staleness.ts) reads the features the
 * `features` stage computed; `evalset staleness --traffic DIR` computes them for another folder with
 * the same function. Both call `analyseStaleness`, so they agree.
 */
import { datasetParams, loadParams } from '../config/params.ts';
import { projectPaths } from '../config/paths.ts';
import { columnValues, readParquetFile } from '../io/parquet.ts';
import type { QualityResult } from '../quality/result.ts';
import { checkStaleness } from './check.ts';
import { computeFeatureTable, readFeatureTable, type FeatureTable } from './featureTable.ts';
import { projectExtractors } from './extractors.ts';
import type { PromptFeatures } from './features.ts';
import { stalenessResult, type StalenessDetails } from './result.ts';
import { stalenessSettings } from './settings.ts';

/** The ids of a dataset's current build (data.parquet). */
export function datasetIds(root: string, name: string): string[] {
  return columnValues(readParquetFile(projectPaths(root).dataset(name).data, { columns: ['id'] }), 'id') as string[];
}

export interface StalenessOfOptions {
  /** Another traffic folder than datasets/traffic/ (by hand: `evalset staleness --traffic DIR`): its features are computed here. */
  traffic?: string;
  onProgress?: (done: number) => void;
}

/** What the staleness analysis of a dataset yields: the result, and the features re-curation reuses. */
export interface StalenessAnalysis {
  result: QualityResult<StalenessDetails | Record<string, never>>;
  /** The dataset's examples with their features (absent when the check did not run). */
  reference?: { id: string; features: PromptFeatures }[];
  /** The prompts of the traffic window. */
  window?: PromptFeatures[];
}

const notRun = (dataset: string, reason: string): QualityResult<Record<string, never>> => ({
  schema_version: 1,
  check: 'staleness',
  dataset,
  status: 'not_run',
  summary: 'Staleness was not measured.',
  reason,
  details: {},
});

/** Staleness of dataset `name` against the project's traffic: the quality result the stage writes and the command prints. */
export async function stalenessOf(root: string, name: string, options: StalenessOfOptions = {}): Promise<StalenessAnalysis['result']> {
  return (await analyseStaleness(root, name, options)).result;
}

export async function analyseStaleness(root: string, name: string, options: StalenessOfOptions = {}): Promise<StalenessAnalysis> {
  const params = loadParams(projectPaths(root).params, 'params.yaml');
  const dataset = datasetParams(params, name);
  if (!dataset.refresh?.track_traffic)
    return { result: notRun(name, `\`datasets.${name}.refresh.track_traffic\` is not true: this dataset is not meant to mirror production traffic`) };
  const table: FeatureTable = options.traffic
    ? await computeFeatureTable(root, await projectExtractors(root), { traffic: options.traffic, onProgress: options.onProgress })
    : readFeatureTable(root);
  const traffic = table.traffic.filter((d) => d.prompts.length > 0);
  if (!traffic.length)
    return {
      result: notRun(name, `there is no production traffic in \`${table.summary.dir}/\` (daily partitions YYYY-MM-DD.jsonl; README, "Refresh")`),
    };
  const settings = stalenessSettings(params);
  const reference = datasetIds(root, name).map((id) => {
    const features = table.pool.get(id);
    if (!features) throw new Error(`example ${id} of ${name} has no features: the features table is older than the dataset; run \`dvc repro\``);
    return { id, features };
  });
  const check = checkStaleness(
    reference.map((r) => r.features),
    traffic,
    settings,
  );
  const window = traffic.slice(-settings.window_days).flatMap((d) => d.prompts);
  const result = stalenessResult(name, {
    ...check,
    settings,
    traffic: {
      dir: table.summary.dir,
      partitions: table.summary.partitions,
      first: table.summary.first!,
      last: table.summary.last!,
      classified: window.filter((p) => p.classified).length,
    },
  });
  return { result, reference, window };
}
