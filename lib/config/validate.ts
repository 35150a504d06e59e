import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { BudgetBelowFloorsError, PoolTooSmallError, StratumBelowMinimumError, countOf, type Issue } from '../errors.ts';
import { gitShow, isGitRepository, revisionExists } from '../io/git.ts';
import { columnValues, readParquetFile } from '../io/parquet.ts';
import { allocateStrata, type StratumRequest } from '../sampling/allocate.ts';
import { classifyExample, loadTokenCounter } from '../sampling/classify.ts';
import { scanPool } from '../sampling/pool.ts';
import { strataRequests, targetShares } from '../sampling/targets.ts';
import { jsonWithLines } from './jsonLines.ts';
import { lineInParams, loadParams, type DatasetParams, type Params } from './params.ts';
import { duplicateExclusions, duplicateGroups, promptKey } from '../eligibility/duplicates.ts';
import { projectPaths } from './paths.ts';
import { readConfigFile } from './readConfig.ts';
import { loadTaxonomy, parseTaxonomy, type Taxonomy } from './taxonomy.ts';
import { taxonomyContentHash, taxonomyEditIssue, type TaxonomyStamp } from './taxonomyVersion.ts';
import { PARAMS_FILE, checkDatasetAgainstTaxonomy, collect } from './paramsAgainstTaxonomy.ts';

export { checkParamsAgainstTaxonomy } from './paramsAgainstTaxonomy.ts';

interface ConfigCheck {
  issues: Issue[];
  params?: Params;
  taxonomy?: Taxonomy;
  /** The datasets whose params passed every config-only check, so their allocation can be tried on the pool. */
  sound: Set<string>;
}

function checkConfig(root: string): ConfigCheck {
  const paths = projectPaths(root);
  const issues: Issue[] = [];
  const taxonomyFile = relative(root, paths.taxonomy);
  const params = collect(issues, () => loadParams(paths.params, PARAMS_FILE));
  const taxonomy = collect(issues, () => loadTaxonomy(paths.taxonomy, taxonomyFile));
  const sound = new Set<string>();
  if (taxonomy) {
    const edit = taxonomyEdit(root, taxonomy, taxonomyFile);
    if (edit) issues.push(edit);
  }
  if (params && taxonomy) {
    for (const [name, dataset] of Object.entries(params.datasets)) {
      const problems = checkDatasetAgainstTaxonomy(name, dataset, taxonomy);
      issues.push(...problems);
      if (problems.length === 0) sound.add(name);
    }
  }
  return { issues, params, taxonomy, sound };
}

/**
 * Every problem in params.yaml and the taxonomy that can be found without reading the pool: each
 * file against its schema and rules, dataset names, share and floor keys against the taxonomy,
 * floors no sample of the dataset's size can hold, and a taxonomy edited without a new version.
 * Cheap enough to run upstream of every other stage.
 */
export function validateConfig(root: string): Issue[] {
  return checkConfig(root).issues;
}

/**
 * Every problem in params, taxonomy and pool, listed together instead of stopping at the first:
 * validateConfig, then every pool record, then, when the pool is sound, each dataset's allocation
 * on the pool as classify would stratify it, so that whatever `sample` would refuse (a pool below
 * the floors, a budget below them, a stratum below its minimum) is refused here first.
 */
export async function validateProject(root: string): Promise<{ issues: Issue[]; poolRecords: number }> {
  const paths = projectPaths(root);
  const { issues, params, taxonomy, sound } = checkConfig(root);
  let poolRecords = 0;
  if (taxonomy) {
    const countTokens = await loadTokenCounter(taxonomy.tokenizer);
    const [ids, keys, strata]: string[][] = [[], [], []];
    const scan = scanPool(
      paths.pool,
      new Set(taxonomy.categories.map((c) => c.id)),
      (example) => {
        ids.push(example.id);
        keys.push(promptKey(example.prompt));
        strata.push(classifyExample(example, taxonomy, countTokens).stratum);
      },
      root,
    );
    // The eligible pool, as sample sees it after the duplicates screen (other screens cannot be
    // foreseen here: they run in their own stages, and sample re-allocates on what they leave).
    const duplicates = new Set(duplicateExclusions(duplicateGroups(ids, keys)).map((e) => e.id));
    const counts = new Map<string, number>();
    strata.forEach((stratum, i) => {
      if (!duplicates.has(ids[i])) counts.set(stratum, (counts.get(stratum) ?? 0) + 1);
    });
    issues.push(...scan.issues);
    poolRecords = scan.records;
    // On a pool with bad records the counts are not the ones classify would see: classify refuses
    // that pool anyway, so the allocation is tried once the records are fixed.
    if (params && scan.issues.length === 0) {
      for (const name of Object.keys(params.datasets))
        if (sound.has(name)) issues.push(...allocationIssues(name, params.datasets[name], taxonomy, counts));
    }
  }
  return { issues, poolRecords };
}

/** The params key that set a stratum's floor: its own `floors` entry, else the dataset's `floor`. */
function floorKey(dataset: DatasetParams, stratum: string): string[] {
  return dataset.floors && Object.hasOwn(dataset.floors, stratum) ? ['floors', stratum] : ['floor'];
}

/** The allocation `sample` would make for one dataset on these pool counts, its refusals turned into issues naming params.yaml. */
export function allocationIssues(name: string, dataset: DatasetParams, taxonomy: Taxonomy, counts: ReadonlyMap<string, number>): Issue[] {
  const issues: Issue[] = [];
  const at = (path: string[]) => ({ file: PARAMS_FILE, line: lineInParams(dataset, path), field: ['datasets', name, ...path].join('.') });
  const requests = collect(issues, () => strataRequests(name, dataset, targetShares(name, dataset, taxonomy, counts), counts));
  if (!requests) return issues;
  const short = (rs: readonly StratumRequest[]) => rs.filter((r) => r.share > 0 && r.pool < r.floor);
  try {
    allocateStrata({ dataset: name, size: dataset.size, strata: requests, allowPoolLimited: dataset.allow_pool_limited ?? true });
  } catch (err) {
    if (err instanceof PoolTooSmallError) {
      const deficits = err.deficits.map((d) => `${d.stratum} ${d.pool} of ${d.floor}`).join(', ');
      const anyOwn = err.deficits.some((d) => floorKey(dataset, d.stratum)[0] === 'floors');
      issues.push({
        ...at(anyOwn ? ['floors'] : ['floor']),
        message: `the pool holds ${countOf(err.pool, 'example')} in the strata this dataset draws from, but their floors add up to ${err.floors} (short: ${deficits}): add candidates to those strata or lower their floors`,
      });
    } else if (err instanceof StratumBelowMinimumError) {
      // allocateStrata stops at the first; every short stratum is its own problem.
      for (const r of short(requests))
        issues.push({
          ...at(floorKey(dataset, r.stratum)),
          message: `stratum ${r.stratum} has ${countOf(r.pool, 'candidate')} in the pool, below its floor of ${r.floor}, and allow_pool_limited is false: add candidates, lower the floor, or allow pool-limited strata`,
        });
    } else if (err instanceof BudgetBelowFloorsError) {
      issues.push({
        ...at(['size']),
        message: `${err.size} is smaller than the floors of the strata with candidates, which add up to ${err.floors}: raise \`size\` or lower \`floor\` / \`floors\``,
      });
    } else throw err;
  }
  return issues;
}

/** The taxonomy stamp recorded in the previous assignment table, when that table records one. */
function stampOfAssignments(path: string): TaxonomyStamp | null {
  if (!existsSync(path)) return null;
  const table = readParquetFile(path, { columns: ['taxonomy_version', 'taxonomy_content_hash'], limit: 1 });
  if (table.numRows === 0 || !table.getChild('taxonomy_version') || !table.getChild('taxonomy_content_hash')) return null;
  const [version] = columnValues(table, 'taxonomy_version') as (string | null)[];
  const [hash] = columnValues(table, 'taxonomy_content_hash') as (string | null)[];
  return version && hash ? { version, content_hash: hash } : null;
}

/** The taxonomy as committed at HEAD, when the root is in a git repository and HEAD holds a valid one. */
function committedTaxonomy(root: string, file: string): Taxonomy | null {
  if (!isGitRepository(root) || !revisionExists(root, 'HEAD^{commit}')) return null;
  // `./` makes the path relative to the root even when the root is a subfolder of the repository.
  const text = gitShow(root, 'HEAD', `./${file}`);
  if (text === null) return null;
  try {
    return parseTaxonomy(text, `HEAD:${file}`);
  } catch {
    return null; // an invalid committed taxonomy says nothing about what was last used
  }
}

/**
 * A taxonomy whose content changed while its version stayed the same would move examples between
 * strata with no record in the registry. Compared with the stamp of the last classify run (the
 * assignment table), else with the taxonomy committed at HEAD.
 */
function taxonomyEdit(root: string, taxonomy: Taxonomy, file: string): Issue | null {
  const paths = projectPaths(root);
  const committed = committedTaxonomy(root, file);
  const committedStamp = committed && { version: committed.version, content_hash: taxonomyContentHash(committed) };
  const previous = stampOfAssignments(paths.assignments) ?? committedStamp;
  if (!previous) return null;
  // The committed file tells what the previous taxonomy said (to tell a removal from an edit) only when it is the one stamped.
  const before = committedStamp && committedStamp.content_hash === previous.content_hash ? committed : null;
  const line = jsonWithLines(readConfigFile(paths.taxonomy, file)).lineOf(['version']);
  return taxonomyEditIssue(previous, taxonomy, file, before, line);
}
