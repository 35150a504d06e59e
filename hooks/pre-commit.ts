/**
 * pre-commit (after lint-staged): guards what a commit stages, reading the staged versions, not the
 * working tree's.
 * - params.yaml or the taxonomy staged: both must be valid.
 * - a manifest, the taxonomy or a dataset version staged: the declared version must be the one the
 *   semver bump rules require against the dataset's latest release tag.
 * - a manifest or dvc.lock staged: the manifest must be the one dvc.lock records (the pipeline was re-run).
 * Other commits pay one `git diff --cached --name-only`.
 */
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { parseParams, type Params } from '../lib/config/params.ts';
import { parseTaxonomy, type Taxonomy } from '../lib/config/taxonomy.ts';
import { checkParamsAgainstTaxonomy } from '../lib/config/validate.ts';
import { InvalidInputError, formatIssue, type Issue } from '../lib/errors.ts';
import { git, gitShow, revisionExists } from '../lib/io/git.ts';
import { describeDiff } from '../lib/versioning/plan.ts';
import { declaredVersion, planFor } from '../lib/versioning/release.ts';

const root = git(process.cwd(), ['rev-parse', '--show-toplevel']);
const staged = git(root, ['diff', '--cached', '--name-only', '--diff-filter=ACMRD']).split('\n').filter(Boolean);
const manifestOf = (path: string) => /^evalsets\/([^/]+)\/manifest\.jsonl$/.exec(path)?.[1];
const configStaged = staged.some((p) => p === 'params.yaml' || p.startsWith('taxonomy/'));
const manifests = staged.map(manifestOf).filter((n): n is string => n !== undefined);

if (configStaged || manifests.length || staged.includes('dvc.lock')) {
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
    const lock = lockText ? (parse(lockText) as { stages?: Record<string, { outs?: { path: string; md5?: string }[] }> }) : {};
    for (const name of staged.includes('dvc.lock') ? names : manifests) {
      const path = `evalsets/${name}/manifest.jsonl`;
      const manifest = gitShow(root, '', path);
      const recorded = lock.stages?.[`sample@${name}`]?.outs?.find((o) => o.path === path)?.md5;
      if (manifest === null || recorded === undefined) continue;
      if (createHash('md5').update(manifest).digest('hex') !== recorded) {
        problems.push(
          `${path} is not the manifest dvc.lock records: the pipeline was not re-run. Run \`dvc repro\`, then stage the manifest and dvc.lock together.`,
        );
      }
    }
  }

  if (problems.length) {
    process.stderr.write(`evalset pre-commit: commit refused.\n${problems.map((p) => `- ${p}`).join('\n')}\n`);
    process.exit(1);
  }
}
