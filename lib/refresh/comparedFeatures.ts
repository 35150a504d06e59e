/**
 * The features the staleness stage compared, kept for re-curation: the dataset's examples (by id) and
 * the prompts of the traffic window (their categories assigned). `interim/staleness-NAME.parquet`,
 * written by staleness@NAME beside its report, read by recurate@NAME, so the proposal measures exactly
 * what the staleness verdict measured, and nothing is tagged twice.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.ts';
import { columnValues, encodeParquet, readParquetFile, toArrowTable, type ColumnSpec } from '../io/parquet.ts';
import type { PromptFeatures } from './features.ts';

export const comparedFeaturesPath = (name: string): string => join('interim', `staleness-${name}.parquet`);

const COLUMNS: ColumnSpec = { side: 'string', id: 'string?', category: 'string', tokens: 'int32', entities: 'string[]' };

export interface ComparedFeatures {
  reference: { id: string; features: PromptFeatures }[];
  window: PromptFeatures[];
}

export function encodeComparedFeatures({ reference, window }: ComparedFeatures): Uint8Array {
  const row = (side: string, id: string | null, f: PromptFeatures) => ({ side, id, category: f.category, tokens: f.tokens, entities: f.entities });
  return encodeParquet(
    toArrowTable(COLUMNS, [...reference.map((r) => row('reference', r.id, r.features)), ...window.map((f) => row('window', null, f))]),
  );
}

export function readComparedFeatures(root: string, name: string): ComparedFeatures {
  const path = join(root, comparedFeaturesPath(name));
  if (!existsSync(path))
    throw new InvalidInputError([{ file: comparedFeaturesPath(name), message: 'missing: run `dvc repro` (the staleness stage writes it)' }]);
  const t = readParquetFile(path);
  const [sides, ids, categories] = ['side', 'id', 'category'].map((c) => columnValues(t, c) as string[]);
  const tokens = columnValues(t, 'tokens') as number[];
  const entities = columnValues(t, 'entities') as string[][];
  const out: ComparedFeatures = { reference: [], window: [] };
  sides.forEach((side, i) => {
    const features = { category: categories[i], tokens: tokens[i], entities: [...entities[i]] };
    if (side === 'reference') out.reference.push({ id: ids[i], features });
    else out.window.push(features);
  });
  return out;
}
