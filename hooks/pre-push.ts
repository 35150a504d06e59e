/**
 * pre-push: for every release tag being pushed, the snapshot must reproduce and `dvc status` must be
 * clean; then the DVC-tracked data goes to the default remote (what `dvc install`'s pre-push does,
 * which husky's core.hooksPath would otherwise bypass), so git never points at data the remote lacks.
 * Git passes the refs on stdin: `<local ref> <local sha> <remote ref> <remote sha>` per line.
 */
import { readFileSync } from 'node:fs';
import { rebuildDataset } from '../stages/rebuild.ts';
import { EvalsetError } from '../lib/errors.ts';
import { dvc, dvcClean } from '../lib/io/dvc.ts';
import { git } from '../lib/io/git.ts';
import { describeReproduction, reproduceTag } from '../lib/versioning/reproduce.ts';
import { parseTag } from '../lib/versioning/tags.ts';

const root = git(process.cwd(), ['rev-parse', '--show-toplevel']);
const refs = readFileSync(0, 'utf8')
  .split('\n')
  .map((line) => line.trim().split(/\s+/))
  .filter(([localRef, localSha]) => localRef && localSha && !/^0+$/.test(localSha));
const tags = refs.map(([localRef]) => localRef.replace(/^refs\/tags\//, '')).filter((ref) => parseTag(ref));

const refuse = (message: string) => {
  process.stderr.write(`evalset pre-push: push refused.\n${message}\n`);
  process.exit(1);
};

try {
  if (tags.length && !dvcClean(root)) refuse('`dvc status` is not clean. Run `dvc repro`, commit the outputs and dvc.lock, then push again.');
  for (const tag of tags) {
    process.stderr.write(`evalset pre-push: reproducing ${tag} …\n`);
    const result = await reproduceTag(root, tag, rebuildDataset);
    if (!result.ok) refuse(describeReproduction(result));
    process.stderr.write(`evalset pre-push: ${describeReproduction(result)}\n`);
  }
  const remotes = dvc(root, ['remote', 'list']).stdout.trim();
  if (remotes) {
    process.stderr.write('evalset pre-push: dvc push\n');
    if (dvc(root, ['push'], { inherit: true }).status !== 0)
      refuse('`dvc push` failed: git would point at data the remote lacks. Fix the remote, then push again.');
  }
} catch (err) {
  if (err instanceof EvalsetError) refuse(`${err.message}\nhint: ${err.hint}`);
  throw err;
}
