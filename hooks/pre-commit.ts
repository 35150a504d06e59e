/**
 * pre-commit, after lint-staged: the staged-files checks of lib/versioning/stagedChecks.ts. A commit
 * that stages none of the watched paths pays one `git diff --cached --name-only`; the checks and
 * their dependencies load only when needed.
 */
import { git } from '../lib/io/git.ts';
import { needsChecks } from '../lib/versioning/watched.ts';

const root = git(process.cwd(), ['rev-parse', '--show-toplevel']);
const staged = git(root, ['diff', '--cached', '--name-only', '--diff-filter=ACMRD']).split('\n').filter(Boolean);
if (needsChecks(staged)) {
  const { checkStagedCommit } = await import('../lib/versioning/stagedChecks.ts');
  const problems = checkStagedCommit(root, staged);
  if (problems.length) {
    process.stderr.write(`evalset pre-commit: commit refused.\n${problems.map((p) => `- ${p}`).join('\n')}\n`);
    process.exit(1);
  }
}
