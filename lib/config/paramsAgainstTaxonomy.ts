/**
 * The checks of params against the taxonomy that need no pool: kept apart from validate.ts, which
 * loads the pool, Parquet and tokenizer readers, so that the pre-commit hook can run them without
 * loading those (about 1 s of module loading).
 */
import { InvalidInputError, type Issue } from '../errors.ts';
import { strataRequests, targetShares } from '../sampling/targets.ts';
import { DEFAULT_FLOOR, lineInParams, type DatasetParams, type Params } from './params.ts';
import { strataOf, type Taxonomy } from './taxonomy.ts';

export const PARAMS_FILE = 'params.yaml';

/** The value `load` returns, or undefined with its input issues added to `issues`. */
export function collect<T>(issues: Issue[], load: () => T): T | undefined {
  try {
    return load();
  } catch (err) {
    if (err instanceof InvalidInputError) {
      issues.push(...err.issues);
      return undefined;
    }
    throw err;
  }
}

/** Share and floor keys in params must name categories or strata that the taxonomy has, and no floor may exceed its dataset's size. */
export function checkParamsAgainstTaxonomy(params: Params, taxonomy: Taxonomy): Issue[] {
  return Object.entries(params.datasets).flatMap(([name, dataset]) => checkDatasetAgainstTaxonomy(name, dataset, taxonomy));
}

export function checkDatasetAgainstTaxonomy(name: string, dataset: DatasetParams, taxonomy: Taxonomy): Issue[] {
  const issues: Issue[] = [];
  const none = new Map<string, number>();
  // Shares and floors are checked apart, so that a bad share key does not hide a bad floor key.
  const shares = collect(issues, () => targetShares(name, dataset, taxonomy, none)) ?? new Map([...strataOf(taxonomy).keys()].map((s) => [s, 0]));
  collect(issues, () => strataRequests(name, dataset, shares, none));
  issues.push(...floorsAboveSize(name, dataset));
  return issues;
}

/**
 * A floor larger than the dataset's size can never be met by a sample of that size: refused before
 * any pool is read. (Whether the floors together fit depends on which strata have candidates, so
 * that is checked against the pool.)
 */
function floorsAboveSize(name: string, dataset: DatasetParams): Issue[] {
  const issues: Issue[] = [];
  const at = (path: string[]) => ({ file: PARAMS_FILE, line: lineInParams(dataset, path), field: ['datasets', name, ...path].join('.') });
  if (dataset.floor === undefined && DEFAULT_FLOOR > dataset.size)
    issues.push({
      ...at(['size']),
      message: `${dataset.size} is below the default floor of ${DEFAULT_FLOOR} per stratum: set \`floor\` to at most ${dataset.size}`,
    });
  if (dataset.floor !== undefined && dataset.floor > dataset.size)
    issues.push({
      ...at(['floor']),
      message: `${dataset.floor} is larger than the dataset's size, ${dataset.size}: no sample of that size can meet it`,
    });
  for (const [stratum, floor] of Object.entries(dataset.floors ?? {}))
    if (floor > dataset.size)
      issues.push({
        ...at(['floors', stratum]),
        message: `${floor} is larger than the dataset's size, ${dataset.size}: no sample of that size can meet it`,
      });
  return issues;
}
