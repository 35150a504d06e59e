import { relative } from 'node:path';
import { InvalidInputError, type Issue } from '../errors.ts';
import { scanPool } from '../sampling/pool.ts';
import { strataRequests, targetShares } from '../sampling/targets.ts';
import { loadParams, type Params } from './params.ts';
import { projectPaths } from './paths.ts';
import { loadTaxonomy, type Taxonomy } from './taxonomy.ts';

function collect<T>(issues: Issue[], load: () => T): T | undefined {
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

/** Every problem in params, taxonomy and pool, listed together instead of stopping at the first. */
export function validateProject(root: string): { issues: Issue[]; poolRecords: number } {
  const paths = projectPaths(root);
  const issues: Issue[] = [];
  const params: Params | undefined = collect(issues, () => loadParams(paths.params, 'params.yaml'));
  const taxonomy: Taxonomy | undefined = collect(issues, () => loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy)));
  let poolRecords = 0;
  if (taxonomy) {
    const scan = scanPool(paths.pool, new Set(taxonomy.categories.map((c) => c.id)), () => {}, root);
    issues.push(...scan.issues);
    poolRecords = scan.records;
    if (params) issues.push(...checkParamsAgainstTaxonomy(params, taxonomy));
  }
  return { issues, poolRecords };
}

/** Share and floor keys in params must name categories or strata that the taxonomy has. */
export function checkParamsAgainstTaxonomy(params: Params, taxonomy: Taxonomy): Issue[] {
  const issues: Issue[] = [];
  const none = new Map<string, number>();
  for (const [name, dataset] of Object.entries(params.datasets)) {
    collect(issues, () => strataRequests(name, dataset, targetShares(name, dataset, taxonomy, none), none));
  }
  return issues;
}
