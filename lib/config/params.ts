import { type Document, LineCounter, isMap, isNode, isScalar, parseDocument } from 'yaml';
import { readConfigFile } from './readConfig.ts';
import { InvalidInputError, VALIDATE_HINT, type Issue } from '../errors.ts';
import { LONE_SURROGATE_MESSAGE, illFormedStrings } from '../io/jsonl.ts';
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
  /** The agreement analysis of this dataset's labels (stage agreement-report@name). */
  agreement?: DatasetAgreementParams;
  /** Capability coverage (stage coverage@name). */
  coverage?: { fail_on_gap?: boolean };
  /** Staleness against production traffic and delta-mode re-curation (stages staleness@name, recurate@name). */
  refresh?: DatasetRefreshParams;
}

export interface DatasetRefreshParams {
  /** Whether this dataset is meant to mirror production traffic (a stress set is not): staleness runs only then. */
  track_traffic?: boolean;
  /** GitHub login of the dataset's owner, assigned to its refresh pull requests. */
  owner?: string;
  /** The share of the previous version's examples a proposal keeps at least (default 0.7). */
  min_overlap?: number;
  retire?: {
    /** An example further than this from the production centroid may retire (feature distance in [0, 1], default 0.5). */
    max_distance?: number;
    /** A stratum whose category's production share falls below this retires down to its floor (default 0.02). */
    min_production_share?: number;
  };
}

/** The staleness check's settings, shared by every dataset (lib/refresh/check.ts StalenessSettings). */
export interface StalenessParams {
  seed?: number;
  window_days?: number;
  trend_days?: number;
  length_bins?: number[];
  top_entities?: number;
  thresholds?: { monitor?: number; recurate?: number };
  noise_floor?: { replicates?: number; quantile?: number };
}

export interface DatasetAgreementParams {
  /** The label type: binary, nominal, ordinal, interval or ratio. */
  level?: 'binary' | 'nominal' | 'ordinal' | 'interval' | 'ratio';
  /** The order of ordinal labels that are words. */
  values?: (string | number | boolean)[];
  /** Pairs of annotators sharing fewer items get no kappa. */
  min_pair_items?: number;
  bootstrap?: { samples?: number; confidence?: number };
}

export interface Params {
  datasets: Record<string, DatasetParams>;
  /** The agreement screen over the pool's annotations (stage agreement). */
  agreement?: { min_agreement?: number };
  /** Staleness against production traffic (stage staleness@name). */
  staleness?: StalenessParams;
  /** The scheduled refresh runner (`evalset refresh run`). */
  refresh?: { on_call?: string };
  /** The contamination screens (stages contamination-index, ngram, duplicates, sample@name). */
  contamination?: ContaminationParams;
}

export interface ContaminationParams {
  ngram?: { width?: number; fpr?: number; stride?: number; seed?: number; threshold?: number };
  near_duplicates?: { width?: number; threshold?: number; permutations?: number };
  membership?: {
    endpoint?: { api: 'openai' | 'tgi'; base_url: string; model: string; prompt_logprobs?: boolean; api_key_env?: string } | null;
    method?: 'mean' | 'min-k';
    min_k?: number;
    z_threshold?: number;
    min_calibration?: number;
    concurrency?: number;
    batch?: number;
    retries?: number;
    timeout_s?: number;
  };
}

export const DEFAULT_MIN_AGREEMENT = 0.5;

export const DEFAULT_FLOOR = 30;
export const DEFAULT_BALANCE_THRESHOLD = 0.05;

/** The keys of `datasets.{name}` that the sample stage reads; dvc.yaml declares the same list. */
export const SAMPLE_PARAM_KEYS = ['version', 'seed', 'size', 'allocation', 'floor', 'floors', 'allow_pool_limited', 'balance'] as const;

/**
 * What a dataset may be called: it becomes a folder under evalsets/, a git tag, a DVC params key and,
 * through dvc.yaml's `foreach`, part of a shell command, so only characters that are inert in all of
 * them. Lower case only, so that two names cannot share a folder on a case-insensitive file system.
 */
export const DATASET_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const DATASET_NAME_RULE =
  'is not an allowed dataset name: use lower-case letters, digits, "-" and "_", starting with a letter or digit (the name becomes a folder, a git tag and part of the commands in dvc.yaml)';

export type LineOf = (path: readonly string[]) => number | undefined;

// Where each parsed params object came from, so that a problem found later (an unknown stratum in
// the shares, a floor the pool cannot meet) can still name its line. Keyed by the objects parseParams
// returns: the whole params and each dataset's entry.
const lineIndex = new WeakMap<object, LineOf>();

/** The line of a field of params (or of one dataset's entry), or of its nearest ancestor; undefined for objects not read from a file. */
export function lineInParams(owner: object, path: readonly string[]): number | undefined {
  return lineIndex.get(owner)?.(path);
}

/** The line of a key in the YAML document (where a person looks for it), else of the value, else of the nearest ancestor. */
export function yamlLines(doc: Document, lineCounter: LineCounter): LineOf {
  const exact = (path: string[]): number | undefined => {
    if (path.length === 0) return 1;
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === path[path.length - 1]);
      if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
    }
    const node = doc.getIn(path, true);
    return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  return (path) => nearestLine(path, exact);
}

/** Friendlier words for the schema's verdict on the `datasets` map and its keys. */
function explainDatasetIssue(issue: Issue, value: unknown): Issue {
  if (issue.field === 'datasets' && (issue.message === 'must not be empty' || (issue.message === 'must be object' && value == null)))
    return { ...issue, message: 'must list at least one dataset (see the README, "Datasets and allocation")' };
  if (issue.field?.startsWith('datasets.') && issue.message.startsWith('is not an allowed name')) return { ...issue, message: DATASET_NAME_RULE };
  return issue;
}

export function parseParams(text: string, file: string): Params {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length) {
    throw new InvalidInputError(
      doc.errors.map((e) => ({ file, line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] })),
      { hint: VALIDATE_HINT },
    );
  }
  const value = doc.toJS();
  const lineOf = yamlLines(doc, lineCounter);
  const illFormed = illFormedStrings(value).map((path) => ({ file, line: lineOf(path), field: path.join('.'), message: LONE_SURROGATE_MESSAGE }));
  const datasets = (value as { datasets?: unknown } | null)?.datasets;
  const issues: Issue[] = [...illFormed, ...validateAgainst('params', value, file, lineOf).map((issue) => explainDatasetIssue(issue, datasets))];
  if (issues.length) throw new InvalidInputError(issues, { hint: VALIDATE_HINT });
  const params = value as Params;
  lineIndex.set(params, lineOf);
  for (const [name, dataset] of Object.entries(params.datasets)) lineIndex.set(dataset, (path) => lineOf(['datasets', name, ...path]));
  return params;
}

export function loadParams(path: string, displayName = path): Params {
  return parseParams(readConfigFile(path, displayName), displayName);
}

/** The names of the datasets, in the order params.yaml lists them. */
export const datasetNames = (params: Params): string[] => Object.keys(params.datasets);

/**
 * One dataset's params. Looked up as an own key: a name such as `__proto__` or `constructor` must
 * be "no such dataset", not a property every object inherits.
 */
export function datasetParams(params: Params, name: string, file = 'params.yaml'): DatasetParams {
  if (!Object.hasOwn(params.datasets, name)) {
    throw new InvalidInputError(
      [
        {
          file,
          line: lineInParams(params, ['datasets']),
          field: 'datasets',
          message: `no dataset \`${name}\` in ${file}; datasets: ${datasetNames(params).join(', ')}`,
        },
      ],
      { hint: `Name one of the datasets listed under \`datasets:\` in ${file}.` },
    );
  }
  return params.datasets[name];
}

/** Exactly the params the sample stage reads, for its digest. */
export function sampleParamsOf(dataset: DatasetParams): Partial<DatasetParams> {
  const picked: Record<string, unknown> = {};
  for (const key of SAMPLE_PARAM_KEYS) if (dataset[key] !== undefined) picked[key] = dataset[key];
  return picked as Partial<DatasetParams>;
}
