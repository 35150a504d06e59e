import { EvalsetError, SemverViolationError } from '../errors.ts';
import { dvcClean } from '../io/dvc.ts';
import { git, revisionExists } from '../io/git.ts';
import { describeDiff, type ReleasePlan } from './plan.ts';
import { planFor, requireDataset } from './release.ts';
import { readSnapshot } from './snapshot.ts';
import { tagName } from './tags.ts';

export class ReleaseRefusedError extends EvalsetError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** The annotated tag's message: what changed, and the hashes an auditor checks the snapshot against. */
export function tagMessage(plan: ReleasePlan, meta: { files: Record<string, { sha256: string }>; content_hash: string }, commit: string): string {
  const lines = [
    `${plan.dataset} ${plan.declaredVersion}`,
    '',
    plan.previousTag ? `${plan.required} release after ${plan.previousTag}: ${plan.reasons.map((r) => r.reason).join('; ')}` : 'first release',
  ];
  if (plan.diff) lines.push('', 'Changes:', describeDiff(plan.diff));
  lines.push('', `data.parquet sha256: ${meta.files['data.parquet'].sha256}`, `content hash: ${meta.content_hash}`, `commit: ${commit}`);
  return lines.join('\n') + '\n';
}

/**
 * Cut a release: refuse unless the tree is clean, DVC is up to date and the plan accepts the
 * declared version; then create the annotated tag `eval-dataset/NAME/vX.Y.Z`.
 */
export function createReleaseTag(root: string, dataset: string): { tag: string; plan: ReleasePlan } {
  requireDataset(root, { kind: 'worktree' }, dataset); // a mistyped name is a usage error, whatever state the tree is in
  const dirty = git(root, ['status', '--porcelain']);
  if (dirty) throw new ReleaseRefusedError(`the working tree has uncommitted changes:\n${dirty}`, 'Commit or stash them, then tag again.');
  if (!dvcClean(root))
    throw new ReleaseRefusedError(
      '`dvc status` is not clean: outputs are stale or missing',
      'Run `dvc repro`, commit dvc.lock and the outputs, then tag again.',
    );
  const plan = planFor(root, dataset, { kind: 'worktree' });
  if (!plan.ok) throw new SemverViolationError(plan.violation, plan.diff ? describeDiff(plan.diff) : '  (first release)', plan.expectedVersion);
  const tag = tagName(dataset, plan.declaredVersion);
  if (plan.previousTag === tag)
    throw new ReleaseRefusedError(`${tag} already exists and nothing changed since`, 'Change the dataset and bump its version to release again.');
  if (revisionExists(root, `refs/tags/${tag}`))
    throw new ReleaseRefusedError(
      `${tag} already exists on another line of history (${git(root, ['rev-parse', '--short', `${tag}^{commit}`])})`,
      'Two commits cannot be the same release: bump the version past every existing tag of this dataset.',
    );
  const meta = readSnapshot(root, dataset, { kind: 'worktree' })!.meta;
  git(root, ['tag', '-a', tag, '-m', tagMessage(plan, meta, git(root, ['rev-parse', 'HEAD']))]);
  return { tag, plan };
}
