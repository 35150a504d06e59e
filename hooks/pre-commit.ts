/**
 * pre-commit: when params.yaml or the taxonomy is staged, validate the staged versions (not the
 * working tree's) and block the commit on any problem. Other commits pass at the cost of one
 * `git diff --cached --name-only`.
 */
import { execFileSync } from 'node:child_process';
import { parseParams, type Params } from '../lib/config/params.ts';
import { parseTaxonomy, type Taxonomy } from '../lib/config/taxonomy.ts';
import { checkParamsAgainstTaxonomy } from '../lib/config/validate.ts';
import { InvalidInputError, formatIssue, type Issue } from '../lib/errors.ts';

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
const staged = git('diff', '--cached', '--name-only', '--diff-filter=ACMR').split('\n').filter(Boolean);
const watched = ['params.yaml', 'taxonomy/strata.json'];

if (staged.some((path) => watched.includes(path))) {
  const issues: Issue[] = [];
  const parse = <T>(path: string, parser: (text: string, file: string) => T): T | undefined => {
    try {
      return parser(git('show', `:${path}`), path);
    } catch (err) {
      if (err instanceof InvalidInputError) issues.push(...err.issues);
      else issues.push({ file: path, message: 'is not staged or cannot be read' });
      return undefined;
    }
  };
  const params: Params | undefined = parse('params.yaml', parseParams);
  const taxonomy: Taxonomy | undefined = parse('taxonomy/strata.json', parseTaxonomy);
  if (params && taxonomy) issues.push(...checkParamsAgainstTaxonomy(params, taxonomy));
  if (issues.length) {
    process.stderr.write(`evalset pre-commit: the staged configuration is invalid:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}\n`);
    process.stderr.write('Fix the files, `git add` them again and commit (`npx evalset validate` checks the working tree).\n');
    process.exit(1);
  }
}
