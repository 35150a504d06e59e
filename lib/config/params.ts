import { LineCounter, isNode, parseDocument } from 'yaml';
import { readConfigFile } from './readConfig.ts';
import { InvalidInputError, type Issue } from '../errors.ts';
import { nearestLine, validateAgainst } from './schema.ts';

export type AllocationMode = 'proportional' | 'production' | 'explicit';

export interface CardParams {
  pretty_name?: string;
  description?: string;
  license?: string;
  target_model_family?: string;
  harness_version?: string;
  baseline_range?: [number, number];
  baseline_metric?: string;
}

export interface DatasetParams {
  version: string;
  seed: number;
  size: number;
  /** proportional: to the pool; production: to given production shares; explicit: given target shares. */
  allocation: { mode: AllocationMode; shares?: Record<string, number> };
  floor?: number;
  floors?: Record<string, number>;
  allow_pool_limited?: boolean;
  balance?: { threshold?: number; fail_on_imbalance?: boolean };
  card?: CardParams;
}

export interface Params {
  datasets: Record<string, DatasetParams>;
}

export const DEFAULT_FLOOR = 30;
export const DEFAULT_BALANCE_THRESHOLD = 0.05;

/** The keys of `datasets.{name}` that the sample stage reads; dvc.yaml declares the same list. */
export const SAMPLE_PARAM_KEYS = ['version', 'seed', 'size', 'allocation', 'floor', 'floors', 'allow_pool_limited', 'balance'] as const;

export function parseParams(text: string, file: string): Params {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length) {
    throw new InvalidInputError(doc.errors.map((e) => ({ file, line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] })));
  }
  const value = doc.toJS();
  const lineOf = (path: string[]) =>
    nearestLine(path, (at) => {
      const node = doc.getIn(at, true);
      return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
    });
  const issues: Issue[] = validateAgainst('params', value, file, lineOf);
  if (issues.length) throw new InvalidInputError(issues);
  return value as Params;
}

export function loadParams(path: string, displayName = path): Params {
  return parseParams(readConfigFile(path, displayName), displayName);
}

export function datasetParams(params: Params, name: string, file = 'params.yaml'): DatasetParams {
  const dataset = params.datasets[name];
  if (!dataset) {
    throw new InvalidInputError([{ file, field: `datasets.${name}`, message: `no such dataset; known: ${Object.keys(params.datasets).join(', ')}` }]);
  }
  return dataset;
}

/** Exactly the params the sample stage reads, for its digest. */
export function sampleParamsOf(dataset: DatasetParams): Partial<DatasetParams> {
  const picked: Record<string, unknown> = {};
  for (const key of SAMPLE_PARAM_KEYS) if (dataset[key] !== undefined) picked[key] = dataset[key];
  return picked as Partial<DatasetParams>;
}
