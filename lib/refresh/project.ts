/**
 * The staleness check run on a project: params, the dataset's examples and the features of the recent
 * traffic. The DVC stage (stages/staleness.ts) reads the traffic features the `traffic` stage
 * computed; `evalset staleness --traffic DIR` computes them for another folder with the same function.
 * Both call `analyseStaleness`, so they agree. The dataset's own prompts are tagged here (only the
 * examples of datasets that track traffic are ever tagged), and a traffic prompt without a category
 * gets the one the pool-trained classifier assigns.
 */
import { datasetParams, loadParams } from '../config/params.ts';
import { projectPaths } from '../config/paths.ts';
import { columnValues, readParquetFile } from '../io/parquet.ts';
import type { QualityResult } from '../quality/result.ts';
import { checkStaleness, type TrafficDayFeatures } from './check.ts';
import { projectExtractors } from './extractors.ts';
import { promptFeatures, type PromptFeatures } from './features.ts';
import { stalenessResult, type StalenessDetails } from './result.ts';
import { stalenessSettings } from './settings.ts';
import { computeTrafficFeatures, readTrafficFeatures, type TrafficFeatures } from './trafficFeatures.ts';

export interface StalenessOfOptions {
  /** Another traffic folder than datasets/traffic/ (by hand: `evalset staleness --traffic DIR`): its features are computed here. */
  traffic?: string;
  onProgress?: (done: number) => void;
}

/** What the staleness analysis of a dataset yields: the result, and the features re-curation uses. */
export interface StalenessAnalysis {
  result: QualityResult<StalenessDetails | Record<string, never>>;
  /** The dataset's examples with their features (absent when the check did not run). */
  reference?: { id: string; features: PromptFeatures }[];
  /** The prompts of the traffic window, with their categories. */
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
  const paths = projectPaths(root);
  const params = loadParams(paths.params, 'params.yaml');
  if (!datasetParams(params, name).refresh?.track_traffic)
    return { result: notRun(name, `\`datasets.${name}.refresh.track_traffic\` is not true: this dataset is not meant to mirror production traffic`) };
  const extract = await projectExtractors(root);
  const table: TrafficFeatures = options.traffic
    ? computeTrafficFeatures(root, extract.countTokens, { traffic: options.traffic, onProgress: options.onProgress })
    : readTrafficFeatures(root);
  const days = table.days.filter((d) => d.prompts.length > 0);
  if (!days.length)
    return {
      result: notRun(name, `there is no production traffic in \`${table.summary.dir}/\` (daily partitions YYYY-MM-DD.jsonl; README, "Refresh")`),
    };
  const settings = stalenessSettings(params);

  const data = readParquetFile(paths.dataset(name).data, { columns: ['id', 'prompt', 'task_category'] });
  const [ids, prompts, categories] = ['id', 'prompt', 'task_category'].map((c) => columnValues(data, c) as string[]);
  const reference: { id: string; features: PromptFeatures }[] = [];
  for (let i = 0; i < ids.length; i++) reference.push({ id: ids[i], features: await promptFeatures(prompts[i], categories[i], extract) });
  const traffic: TrafficDayFeatures[] = [];
  for (const day of days) {
    const features: PromptFeatures[] = [];
    for (const p of day.prompts)
      features.push(
        p.category === null
          ? { category: await extract.classify(p.prompt!), tokens: p.tokens, entities: p.entities, classified: true }
          : { category: p.category, tokens: p.tokens, entities: p.entities },
      );
    traffic.push({ date: day.date, prompts: features });
  }
  const check = checkStaleness(
    reference.map((r) => r.features),
    traffic,
    settings,
  );
  const window = traffic.slice(-settings.window_days).flatMap((d) => d.prompts);
  const result = stalenessResult(name, {
    ...check,
    settings,
    traffic: { ...table.summary, first: table.summary.first!, last: table.summary.last!, classified: window.filter((p) => p.classified).length },
  });
  return { result, reference, window };
}
