/**
 * The prompt features staleness and re-curation compare (lib/refresh/features.ts), computed once per
 * change of their inputs by the `features` stage: every pool example's, and every prompt's of the
 * recent traffic (the last max(window_days, trend_days) daily partitions). Entity extraction is the
 * costly part (compromise tags a few hundred prompts a second), so the per-dataset stages read this
 * table instead of tagging the same prompts again.
 *
 * `interim/features.parquet`: one row per prompt, sorted by side, date and key; `interim/features.json`:
 * what the traffic folder held (partitions, first and last date), which the reports state.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectPaths } from '../config/paths.ts';
import { loadParams } from '../config/params.ts';
import { InvalidInputError } from '../errors.ts';
import { readJsonl } from '../io/jsonl.ts';
import { byCodePoint } from '../io/order.ts';
import { columnValues, encodeParquet, readParquetFile, toArrowTable, type ColumnSpec } from '../io/parquet.ts';
import { poolFiles } from '../sampling/pool.ts';
import type { TrafficDayFeatures } from './check.ts';
import { promptFeatures, type FeatureExtractors, type PromptFeatures } from './features.ts';
import { stalenessSettings } from './settings.ts';
import { readTraffic, trafficPartitions } from './traffic.ts';

export const FEATURES_PATH = join('interim', 'features.parquet');
export const FEATURES_SUMMARY_PATH = join('interim', 'features.json');
/** Where production traffic lives: daily partitions `YYYY-MM-DD.jsonl` (or `.parquet`). */
export const TRAFFIC_DIR = join('datasets', 'traffic');

const COLUMNS: ColumnSpec = {
  side: 'string',
  /** A pool example's id; a traffic prompt's position in its day, `YYYY-MM-DD/N`. */
  key: 'string',
  date: 'string?',
  category: 'string',
  /** `given` when the record carried its category, `classified` when the classifier assigned it. */
  category_source: 'string',
  tokens: 'int32',
  entities: 'string[]',
};

export interface TrafficSummary {
  /** The traffic folder, relative to the repository root. */
  dir: string;
  partitions: number;
  first: string | null;
  last: string | null;
}

export interface FeatureTable {
  pool: Map<string, PromptFeatures>;
  /** The recent traffic, day by day in date order. */
  traffic: TrafficDayFeatures[];
  summary: TrafficSummary;
}

interface Row {
  side: 'pool' | 'traffic';
  key: string;
  date: string | null;
  category: string;
  category_source: 'given' | 'classified';
  tokens: number;
  entities: string[];
}

/**
 * The features of the pool and of the recent traffic in `dir` (default datasets/traffic). Pool records
 * that do not parse are left out: the classify stage refuses a malformed pool before this runs.
 */
export async function computeFeatureTable(
  root: string,
  extract: FeatureExtractors,
  options: { traffic?: string; onProgress?: (n: number) => void } = {},
): Promise<FeatureTable> {
  const paths = projectPaths(root);
  const settings = stalenessSettings(loadParams(paths.params, 'params.yaml'));
  const dir = options.traffic ?? join(root, TRAFFIC_DIR);
  const rel = (p: string) => relative(root, p) || '.';
  let done = 0;
  const features = (prompt: string, category?: string) => {
    options.onProgress?.(++done);
    return promptFeatures(prompt, category, extract);
  };
  const pool = new Map<string, PromptFeatures>();
  for (const file of poolFiles(paths.pool))
    for (const entry of readJsonl(file, rel(file))) {
      const v = entry.value as { id?: unknown; prompt?: unknown; task_category?: unknown } | undefined;
      if (!entry.issue && typeof v?.id === 'string' && typeof v.prompt === 'string' && typeof v.task_category === 'string')
        pool.set(v.id, await features(v.prompt, v.task_category));
    }
  const partitions = existsSync(dir) ? trafficPartitions(dir, rel) : [];
  const days = readTraffic(partitions.slice(-Math.max(settings.window_days, settings.trend_days)), rel);
  const traffic: FeatureTable['traffic'] = [];
  for (const day of days) {
    const prompts: PromptFeatures[] = [];
    for (const p of day.prompts) prompts.push(await features(p.prompt, p.task_category));
    traffic.push({ date: day.date, prompts });
  }
  return {
    pool,
    traffic,
    summary: { dir: rel(dir), partitions: partitions.length, first: partitions[0]?.date ?? null, last: partitions.at(-1)?.date ?? null },
  };
}

export function encodeFeatureTable(table: FeatureTable): Uint8Array {
  const rows: Row[] = [
    ...[...table.pool]
      .sort(([a], [b]) => byCodePoint(a, b))
      .map(([id, f]): Row => ({
        side: 'pool',
        key: id,
        date: null,
        category: f.category,
        category_source: 'given',
        tokens: f.tokens,
        entities: f.entities,
      })),
    ...table.traffic.flatMap((day) =>
      day.prompts.map((f, i): Row => ({
        side: 'traffic',
        key: `${day.date}/${i}`,
        date: day.date,
        category: f.category,
        category_source: f.classified ? 'classified' : 'given',
        tokens: f.tokens,
        entities: f.entities,
      })),
    ),
  ];
  return encodeParquet(toArrowTable(COLUMNS, rows as unknown as Record<string, unknown>[]));
}

export function summaryJson(table: FeatureTable): string {
  return JSON.stringify(table.summary, null, 2) + '\n';
}

/** The table the `features` stage wrote. */
export function readFeatureTable(root: string): FeatureTable {
  const path = join(root, FEATURES_PATH);
  if (!existsSync(path)) throw new InvalidInputError([{ file: FEATURES_PATH, message: 'missing: run `dvc repro` (the features stage writes it)' }]);
  const t = readParquetFile(path);
  const [sides, keys, dates, categories, sources] = ['side', 'key', 'date', 'category', 'category_source'].map((c) => columnValues(t, c) as string[]);
  const tokens = columnValues(t, 'tokens') as number[];
  const entities = columnValues(t, 'entities') as string[][];
  const pool = new Map<string, PromptFeatures>();
  const byDate = new Map<string, TrafficDayFeatures>();
  sides.forEach((side, i) => {
    const f: PromptFeatures = { category: categories[i], tokens: tokens[i], entities: [...entities[i]] };
    if (sources[i] === 'classified') f.classified = true;
    if (side === 'pool') pool.set(keys[i], f);
    else {
      let day = byDate.get(dates[i]);
      if (!day) byDate.set(dates[i], (day = { date: dates[i], prompts: [] }));
      day.prompts.push(f);
    }
  });
  const summary = JSON.parse(readFileSync(join(root, FEATURES_SUMMARY_PATH), 'utf8')) as TrafficSummary;
  return { pool, traffic: [...byDate.values()].sort((a, b) => byCodePoint(a.date, b.date)), summary };
}
