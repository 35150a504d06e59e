/**
 * pre-commit: checks the staged commit and never rewrites it. Staged code must already be formatted
 * (lib/versioning/stagedFormat.ts), and when a file that dvc.lock or the release rules hang on is
 * staged, lib/versioning/stagedChecks.ts must find nothing wrong. A commit that stages neither pays
 * one `git diff --cached`: the checks and their dependencies load only when needed, and while they
 * load, git reads their inputs in the background (lib/versioning/stagedInputs.ts).
 * Any documented failure (a git command that fails, an unreadable input) is a refusal with its
 * message and hint, never a stack trace, and never a check skipped as if it had passed.
 */
import { EvalsetError } from '../lib/errors.ts';
import { git } from '../lib/io/git.ts';
import { formattable, needsChecks } from '../lib/versioning/watched.ts';

/** The paths the commit changes against HEAD, and those of them it deletes. */
function stagedChanges(root: string): { staged: string[]; deleted: Set<string> } {
  // -z keeps unusual names unquoted; --no-renames lists a rename as the deletion and the addition it is.
  const fields = git(root, ['diff', '--cached', '--name-status', '--no-renames', '-z', '--diff-filter=ACMD']).split('\0').filter(Boolean);
  const staged: string[] = [];
  const deleted = new Set<string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    staged.push(fields[i + 1]);
    if (fields[i] === 'D') deleted.add(fields[i + 1]);
  }
  return { staged, deleted };
}

async function problemsOfCommit(): Promise<string[]> {
  const root = git(process.cwd(), ['rev-parse', '--show-toplevel']);
  const { staged, deleted } = stagedChanges(root);
  const code = formattable(staged.filter((p) => !deleted.has(p)));
  const checks = needsChecks(staged);
  // Started first: git reads the checks' inputs (the release tag's manifest is 21 MB for 100,000
  // examples) on the other core while the modules below load.
  const inputs = checks ? import('../lib/versioning/stagedInputs.ts').then((m) => m.readStagedInputs(root, staged)) : undefined;
  const [formatting, checker, reads] = await Promise.all([
    code.length ? formattingProblems(root, code) : [],
    checks ? import('../lib/versioning/stagedChecks.ts') : undefined,
    inputs,
  ]);
  return [...formatting, ...(checker ? await checker.checkStagedCommit(root, staged, reads) : [])];
}

async function formattingProblems(root: string, code: string[]): Promise<string[]> {
  const { unformattedStaged, formattingProblem } = await import('../lib/versioning/stagedFormat.ts');
  const bad = await unformattedStaged(root, code);
  return bad.length ? [formattingProblem(bad)] : [];
}

const refuse = (problems: string[], code: number) => {
  process.stderr.write(`evalset pre-commit: commit refused.\n${problems.map((p) => `- ${p}`).join('\n')}\n`);
  process.exit(code);
};

try {
  const problems = await problemsOfCommit();
  if (problems.length) refuse(problems, 1);
} catch (err) {
  if (!(err instanceof EvalsetError)) throw err;
  refuse([`${err.message}\n  ${err.hint}`], err.exitCode);
}
