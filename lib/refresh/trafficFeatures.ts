/**
 * The features of the recent production traffic (lib/refresh/features.ts: category when the record
 * gives one, length in tokens, named entities), computed once per change of the traffic by the
 * `traffic` stage, for the last max(window_days, trend_days) daily partitions. Entity tagging is the
 * costly part (compromise tags a few hundred prompts a second), so the per-dataset stages read this
 * table instead of tagging the same prompts again. A prompt's missing category is left null here and
 * assigned by the staleness stage, whose classifier is trained on the pool: so a change to the pool
 * does not make the traffic be tagged again.
 *
 * `interim/traffic.parquet`: one row per prompt, by date and position in the day (readTraffic's
 * order); `interim/traffic.json`: what the traffic folder held, which the reports state.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadParams } from '../config/params.ts';
import { projectPaths } from '../config/paths.ts';
import { InvalidInputError } from '../errors.ts';
import { columnValues, encodeParquet, readParquetFile, toArrowTable, type ColumnSpec } from '../io/parquet.ts';
import { entitiesOf } from './entities.ts';
import { stalenessSettings } from './settings.ts';
import { readTraffic, trafficPartitions } from './traffic.ts';

export const TRAFFIC_FEATURES_PATH = join('interim', 'traffic.parquet');
export const TRAFFIC_SUMMARY_PATH = join('interim', 'traffic.json');

const COLUMNS: ColumnSpec = { date: 'string', position: 'int32', category: 'string?', prompt: 'string?', tokens: 'int32', entities: 'string[]' };

/** A traffic prompt's features; `category` null when the record gave none, and then its `prompt` is kept for the classifier. */
export interface TrafficPromptFeatures {
  category: string | null;
  prompt: string | null;
  tokens: number;
  entities: string[];
}

export interface TrafficSummary {
  /** The traffic folder, relative to the repository root. */
  dir: string;
  partitions: number;
  first: string | null;
  last: string | null;
}

export interface TrafficFeatures {
  days: { date: string; prompts: TrafficPromptFeatures[] }[];
  summary: TrafficSummary;
}

/** The features of the recent traffic in `dir` (default datasets/traffic). */
export function computeTrafficFeatures(
  root: string,
  countTokens: (text: string) => number,
  options: { traffic?: string; onProgress?: (n: number) => void } = {},
): TrafficFeatures {
  const paths = projectPaths(root);
  const settings = stalenessSettings(loadParams(paths.params, 'params.yaml'));
  const dir = options.traffic ?? paths.traffic;
  const rel = (p: string) => relative(root, p) || '.';
  const partitions = existsSync(dir) ? trafficPartitions(dir, rel) : [];
  let done = 0;
  const days = readTraffic(partitions.slice(-Math.max(settings.window_days, settings.trend_days)), rel).map((day) => ({
    date: day.date,
    prompts: day.prompts.map((p) => {
      options.onProgress?.(++done);
      return {
        category: p.task_category ?? null,
        prompt: p.task_category === undefined ? p.prompt : null,
        tokens: countTokens(p.prompt),
        entities: entitiesOf(p.prompt),
      };
    }),
  }));
  return {
    days,
    summary: { dir: rel(dir), partitions: partitions.length, first: partitions[0]?.date ?? null, last: partitions.at(-1)?.date ?? null },
  };
}

export function encodeTrafficFeatures(t: TrafficFeatures): Uint8Array {
  const rows = t.days.flatMap((day) => day.prompts.map((p, position) => ({ date: day.date, position, ...p })));
  return encodeParquet(toArrowTable(COLUMNS, rows));
}

export const trafficSummaryJson = (t: TrafficFeatures): string => JSON.stringify(t.summary, null, 2) + '\n';

/** The table the `traffic` stage wrote. */
export function readTrafficFeatures(root: string): TrafficFeatures {
  const path = join(root, TRAFFIC_FEATURES_PATH);
  if (!existsSync(path))
    throw new InvalidInputError([{ file: TRAFFIC_FEATURES_PATH, message: 'missing: run `dvc repro` (the traffic stage writes it)' }]);
  const table = readParquetFile(path);
  const dates = columnValues(table, 'date') as string[];
  const categories = columnValues(table, 'category') as (string | null)[];
  const prompts = columnValues(table, 'prompt') as (string | null)[];
  const tokens = columnValues(table, 'tokens') as number[];
  const entities = columnValues(table, 'entities') as string[][];
  const days: TrafficFeatures['days'] = [];
  dates.forEach((date, i) => {
    if (days.at(-1)?.date !== date) days.push({ date, prompts: [] });
    days.at(-1)!.prompts.push({ category: categories[i], prompt: prompts[i], tokens: tokens[i], entities: [...entities[i]] });
  });
  return { days, summary: JSON.parse(readFileSync(join(root, TRAFFIC_SUMMARY_PATH), 'utf8')) as TrafficSummary };
}
