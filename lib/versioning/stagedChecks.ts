import { parseParams, type Params } from '../config/params.ts';
import { parseTaxonomy, type Taxonomy } from '../config/taxonomy.ts';
import { taxonomyEditIssue, taxonomyStamp } from '../config/taxonomyVersion.ts';
import { checkParamsAgainstTaxonomy } from '../config/paramsAgainstTaxonomy.ts';
import { InvalidInputError, formatIssue, type Issue } from '../errors.ts';
import { gitShow, prefetch, revisionExists } from '../io/git.ts';
import { StagedFiles } from '../io/gitIndex.ts';
import type { SampleMeta } from '../provenance/meta.ts';
import { lockProblems, parseStagedLock } from './lockCheck.ts';
import { describeDiff } from './plan.ts';
import { declaredVersion, planFor } from './release.ts';
import { CONFIG_FILES, TAXONOMY, type StagedInputs } from './stagedInputs.ts';
import { datasetOf } from './watched.ts';

/**
 * What a commit must not break, read from the staged files (the index), not the working tree:
 * 1. params.yaml and the taxonomy are valid, and a taxonomy whose content changed keeps no old version;
 * 2. each dataset's meta.json names the staged version and hashes the staged manifest;
 * 3. dvc.lock is not empty and describes the commit: params, code, data pointer and outputs (lockCheck.ts);
 * 4. where a manifest, meta.json, the taxonomy or a dataset version is staged, the declared version is
 *    the one the semver bump rules require against the dataset's latest release tag.
 * Returns the problems, each a paragraph for a person; none means the commit may go ahead. A git
 * failure throws (a GitError): the hook reports it as a refusal rather than skip the check.
 * `inputs`: reads already under way (stagedInputs.ts), awaited just before the step that needs them.
 */
export async function checkStagedCommit(root: string, staged: readonly string[], inputs?: StagedInputs): Promise<string[]> {
  const problems: string[] = [];
  // The hook's own reader, not gitShow: a staged blob git cannot read must refuse the commit, not read as absent.
  const files = new StagedFiles(root, [...CONFIG_FILES, 'evalsets'], inputs?.entries);
  const read = (path: string) => files.text(path);
  const headHasCommit = inputs?.hasHead ?? revisionExists(root, 'HEAD^{commit}');
  // What `inputs` has not read in the background is read here, each group through one `git cat-file --batch`.
  await inputs?.config;
  prefetch(root, [
    ...CONFIG_FILES.filter((p) => files.entry(p)).map((path) => ({ rev: '', path })),
    ...(headHasCommit && staged.includes('params.yaml') ? [{ rev: 'HEAD', path: 'params.yaml' }] : []),
    ...(headHasCommit && staged.includes(TAXONOMY) ? [{ rev: 'HEAD', path: TAXONOMY }] : []),
  ]);

  // 1. The staged configuration is valid.
  const issues: Issue[] = [];
  const parseStaged = <T>(path: string, parser: (text: string, file: string) => T): T | undefined => {
    const text = read(path);
    if (text === null) return undefined;
    try {
      return parser(text, path);
    } catch (err) {
      if (err instanceof InvalidInputError) issues.push(...err.issues);
      else throw err;
      return undefined;
    }
  };
  const params: Params | undefined = parseStaged('params.yaml', parseParams);
  const taxonomy: Taxonomy | undefined = parseStaged(TAXONOMY, parseTaxonomy);
  if (params && taxonomy) issues.push(...checkParamsAgainstTaxonomy(params, taxonomy));
  if (taxonomy && headHasCommit && staged.includes(TAXONOMY)) {
    const edit = taxonomyEditAgainstHead(root, taxonomy, read(TAXONOMY)!);
    if (edit) issues.push(edit);
  }
  if (issues.length) problems.push(`the staged configuration is invalid:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);

  // 2. Each staged meta.json is the one built from the staged params and manifest.
  await inputs?.manifests;
  files.prefetch(files.listed().filter((p) => datasetOf(p) !== undefined));
  if (params) for (const name of Object.keys(params.datasets)) problems.push(...metaProblems(name, params, files));

  // 3. dvc.lock describes the commit.
  const lockText = read('dvc.lock');
  if (lockText !== null) {
    const lock = parseStagedLock(lockText);
    if (typeof lock === 'string') problems.push(lock);
    else problems.push(...lockProblems(root, lock, { text: read, staged }));
  }

  // 4. The version bump of every affected dataset.
  await inputs?.releases;
  if (params) {
    const touched = new Set(staged.map(datasetOf).filter((n): n is string => n !== undefined));
    const versionChanged = (name: string) =>
      !headHasCommit || declaredVersion(root, { kind: 'rev', rev: 'HEAD' }, name) !== params.datasets[name].version;
    const affected = Object.keys(params.datasets).filter(
      (name) => touched.has(name) || staged.includes(TAXONOMY) || (staged.includes('params.yaml') && versionChanged(name)),
    );
    for (const name of affected) {
      if (!files.entry(`evalsets/${name}/manifest.jsonl`) || !files.entry(`evalsets/${name}/meta.json`)) continue; // not built yet
      const plan = planFor(root, name, { kind: 'index' });
      if (!plan.ok) problems.push(`${name}: ${plan.violation}\n${plan.diff ? describeDiff(plan.diff) : ''}`);
    }
  }
  return problems;
}

/** The staged taxonomy changed its content against HEAD's while keeping its version: the moves would go unrecorded. */
function taxonomyEditAgainstHead(root: string, staged: Taxonomy, stagedText: string): Issue | null {
  const headText = gitShow(root, 'HEAD', TAXONOMY);
  if (headText === null) return null; // a new taxonomy: nothing was classified under an older one
  let head: Taxonomy;
  try {
    head = JSON.parse(headText) as Taxonomy;
  } catch {
    return null; // HEAD's file was not JSON: there is no content to have kept a version for
  }
  const line = stagedText.split('\n').findIndex((l) => /"version"\s*:/.test(l));
  const wellFormed = Array.isArray(head.categories) && Array.isArray(head.difficulty?.levels);
  return taxonomyEditIssue(taxonomyStamp(head), staged, TAXONOMY, wellFormed ? head : null, line < 0 ? undefined : line + 1);
}

/** meta.json must name the staged version of its dataset and hash the staged manifest: else it was not rebuilt. */
function metaProblems(name: string, params: Params, files: StagedFiles): string[] {
  const path = `evalsets/${name}/meta.json`;
  const text = files.text(path);
  if (text === null) return [];
  let meta: Partial<SampleMeta>;
  try {
    meta = JSON.parse(text) as Partial<SampleMeta>;
  } catch {
    return [`${path}: malformed JSON. Run \`dvc repro\` to rebuild it, then stage it.`];
  }
  const out: string[] = [];
  const declared = params.datasets[name].version;
  if (meta.version !== declared) {
    out.push(
      `${path}: version: the staged meta.json records ${meta.version ?? 'no version'}, but the staged params.yaml declares ${declared}: the dataset was not rebuilt with its new version. Run \`dvc repro\`, then stage meta.json and dvc.lock.`,
    );
  }
  // The bytes hashed as they are (no decoding and re-encoding of a 21 MB manifest), once per process.
  const manifest = files.bytes(`evalsets/${name}/manifest.jsonl`);
  if (manifest === null)
    out.push(`${path}: manifest_sha256: evalsets/${name}/manifest.jsonl is not in the index. Run \`dvc repro\`, then stage the manifest.`);
  else if (meta.manifest_sha256 !== files.digest(`evalsets/${name}/manifest.jsonl`, 'sha256')) {
    out.push(
      `${path}: manifest_sha256: the staged meta.json does not hash the staged manifest (they come from different runs). Run \`dvc repro\`, then stage both with dvc.lock.`,
    );
  }
  return out;
}
