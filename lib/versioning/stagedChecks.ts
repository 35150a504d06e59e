import { createHash } from 'node:crypto';
import { parseParams, type Params } from '../config/params.ts';
import { parseTaxonomy, type Taxonomy } from '../config/taxonomy.ts';
import { checkParamsAgainstTaxonomy } from '../config/validate.ts';
import { InvalidInputError, formatIssue, type Issue } from '../errors.ts';
import { lockedMd5 } from '../io/dvcLock.ts';
import { gitShow, revisionExists } from '../io/git.ts';
import { describeDiff } from './plan.ts';
import { declaredVersion, planFor } from './release.ts';
import { manifestDataset } from './watched.ts';

/**
 * What a commit must not break, read from the staged files (the index), not the working tree:
 * - params.yaml or the taxonomy staged: both must be valid;
 * - a manifest, the taxonomy or a dataset version staged: the declared version must be the one the
 *   semver bump rules require against the dataset's latest release tag;
 * - a manifest or dvc.lock staged: the manifest must be the one dvc.lock records (the pipeline was re-run).
 * Returns the problems, each a paragraph for a person; none means the commit may go ahead.
 */
export function checkStagedCommit(root: string, staged: readonly string[]): string[] {
  const manifests = staged.map(manifestDataset).filter((n): n is string => n !== undefined);
  const problems: string[] = [];

  // 1. The staged configuration is valid.
  const issues: Issue[] = [];
  const parseStaged = <T>(path: string, parser: (text: string, file: string) => T): T | undefined => {
    const text = gitShow(root, '', path);
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
  const taxonomy: Taxonomy | undefined = parseStaged('taxonomy/strata.json', parseTaxonomy);
  if (params && taxonomy) issues.push(...checkParamsAgainstTaxonomy(params, taxonomy));
  if (issues.length) problems.push(`the staged configuration is invalid:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);

  if (params) {
    const names = Object.keys(params.datasets);
    // 2. The version bump of every affected dataset.
    const headHasCommit = revisionExists(root, 'HEAD^{commit}');
    const versionChanged = (name: string) =>
      !headHasCommit || declaredVersion(root, { kind: 'rev', rev: 'HEAD' }, name) !== params.datasets[name].version;
    const affected = names.filter(
      (name) => manifests.includes(name) || staged.includes('taxonomy/strata.json') || (staged.includes('params.yaml') && versionChanged(name)),
    );
    for (const name of affected) {
      if (gitShow(root, '', `evalsets/${name}/manifest.jsonl`) === null) continue; // not built yet: nothing to release
      const plan = planFor(root, name, { kind: 'index' });
      if (!plan.ok) problems.push(`${name}: ${plan.violation}\n${plan.diff ? describeDiff(plan.diff) : ''}`);
    }

    // 3. Each staged manifest is the one dvc.lock records.
    const lockText = gitShow(root, '', 'dvc.lock');
    for (const name of staged.includes('dvc.lock') ? names : manifests) {
      const path = `evalsets/${name}/manifest.jsonl`;
      const manifest = gitShow(root, '', path);
      const recorded = lockedMd5(lockText, `sample@${name}`, 'outs', path);
      if (manifest === null || recorded === undefined) continue;
      if (createHash('md5').update(manifest).digest('hex') !== recorded) {
        problems.push(
          `${path} is not the manifest dvc.lock records: the pipeline was not re-run. Run \`dvc repro\`, then stage the manifest and dvc.lock together.`,
        );
      }
    }
  }

  return problems;
}
