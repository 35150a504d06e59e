import type { DatasetParams } from '../config/params.ts';
import { DEFAULT_FLOOR, lineInParams } from '../config/params.ts';
import { STRATUM_SEPARATOR, type Taxonomy, stratumId } from '../config/taxonomy.ts';
import { InvalidInputError, VALIDATE_HINT, type Issue } from '../errors.ts';
import type { StratumRequest } from './allocate.ts';

/**
 * Target shares per stratum from a dataset's allocation params.
 * - proportional: each stratum's share of the pool (a representative sample).
 * - production / explicit: given shares, keyed by stratum (`category×difficulty`) or by category;
 *   a category's share is split over its strata in proportion to their pools. Shares are normalised.
 */
export function targetShares(
  dataset: string,
  params: DatasetParams,
  taxonomy: Taxonomy,
  poolCounts: ReadonlyMap<string, number>,
  file = 'params.yaml',
): Map<string, number> {
  const categories = new Set(taxonomy.categories.map((c) => c.id));
  const levels = taxonomy.difficulty.levels.map((l) => l.id);
  const shares = new Map<string, number>();
  for (const c of categories) for (const l of levels) shares.set(stratumId(c, l), 0);
  if (params.allocation.mode === 'proportional') {
    for (const key of shares.keys()) shares.set(key, poolCounts.get(key) ?? 0);
    return shares;
  }
  const issues: Issue[] = [];
  const field = `datasets.${dataset}.allocation.shares`;
  const given = params.allocation.shares ?? {};
  const at = (key: string) => ({ file, line: lineInParams(params, ['allocation', 'shares', key]), field: `${field}.${key}` });
  for (const [key, share] of Object.entries(given)) {
    if (shares.has(key)) {
      const category = key.split(STRATUM_SEPARATOR)[0];
      if (Object.hasOwn(given, category)) issues.push({ ...at(key), message: `both the stratum and its category "${category}" have a share` });
      shares.set(key, share);
    } else if (categories.has(key)) {
      const strata = levels.map((l) => stratumId(key, l));
      const pool = strata.reduce((sum, s) => sum + (poolCounts.get(s) ?? 0), 0);
      for (const s of strata) shares.set(s, pool === 0 ? share / strata.length : (share * (poolCounts.get(s) ?? 0)) / pool);
    } else {
      issues.push({ ...at(key), message: `"${key}" is neither a category nor a stratum of the taxonomy` });
    }
  }
  if (![...shares.values()].some((v) => v > 0))
    issues.push({ file, line: lineInParams(params, ['allocation', 'shares']), field, message: 'no stratum has a positive share' });
  if (issues.length) throw new InvalidInputError(issues, { hint: VALIDATE_HINT });
  return shares;
}

/** The allocation request per stratum: pool, share and floor (the dataset's `floor`, or `floors[stratum]`). */
export function strataRequests(
  dataset: string,
  params: DatasetParams,
  shares: ReadonlyMap<string, number>,
  poolCounts: ReadonlyMap<string, number>,
  file = 'params.yaml',
): StratumRequest[] {
  // A Map, not the parsed object: a stratum id must never find an inherited property.
  const floors = new Map(Object.entries(params.floors ?? {}));
  const unknown = [...floors.keys()].filter((key) => !shares.has(key));
  if (unknown.length) {
    throw new InvalidInputError(
      unknown.map((key) => ({
        file,
        line: lineInParams(params, ['floors', key]),
        field: `datasets.${dataset}.floors.${key}`,
        message: `"${key}" is not a stratum of the taxonomy`,
      })),
      { hint: VALIDATE_HINT },
    );
  }
  return [...shares].map(([stratum, share]) => ({
    stratum,
    share,
    pool: poolCounts.get(stratum) ?? 0,
    floor: floors.get(stratum) ?? params.floor ?? DEFAULT_FLOOR,
  }));
}
