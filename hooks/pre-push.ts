/**
 * pre-push: for every release tag the push creates on the remote, the snapshot being sent must
 * declare that version and reproduce, and `dvc status` must be clean; then the DVC-tracked data goes
 * to the default remote (what `dvc install`'s pre-push does, which husky's core.hooksPath would
 * otherwise bypass), so git never points at data the remote lacks.
 * Git passes the refs on stdin: `<local ref> <local sha> <remote ref> <remote sha>` per line. What is
 * a release is read from the REMOTE ref: `git push origin HEAD:refs/tags/eval-dataset/x/v2.0.0`
 * publishes a release whatever the local ref is called.
 */
import { readFileSync } from 'node:fs';
import { rebuildDataset } from '../stages/index.ts';
import { EvalsetError } from '../lib/errors.ts';
import { dvc, dvcClean } from '../lib/io/dvc.ts';
import { git } from '../lib/io/git.ts';
import { declaredVersion } from '../lib/versioning/release.ts';
import { describeReproduction, reproduceRevision } from '../lib/versioning/reproduce.ts';
import { isDeletion, parsePushedRefs, pushedReleases } from '../lib/versioning/tags.ts';

const refuse = (message: string): never => {
  process.stderr.write(`evalset pre-push: push refused.\n${message}\n`);
  process.exit(1);
};

try {
  const root = git(process.cwd(), ['rev-parse', '--show-toplevel']);
  const refs = parsePushedRefs(readFileSync(0, 'utf8'));
  // Deleting refs sends no objects and publishes nothing: nothing to check, no data to push.
  if (refs.every(isDeletion)) process.exit(0);
  const releases = pushedReleases(refs);

  if (releases.length && !dvcClean(root)) refuse('`dvc status` is not clean. Run `dvc repro`, commit the outputs and dvc.lock, then push again.');
  for (const release of releases) {
    const declared = declaredVersion(root, { kind: 'rev', rev: release.sha }, release.dataset);
    if (declared !== release.version) {
      refuse(
        `${release.tag}: the commit being pushed (${release.sha.slice(0, 10)}) declares ${release.dataset} ${declared ?? '(no version)'} in params.yaml, not ${release.version}.\n` +
          'Push the release tag `evalset tag` created for that version, or tag the commit that declares it.',
      );
    }
    process.stderr.write(`evalset pre-push: reproducing ${release.tag} …\n`);
    const result = await reproduceRevision(root, release.tag, release.dataset, rebuildDataset, release.sha);
    if (!result.ok) refuse(describeReproduction(result));
    process.stderr.write(`evalset pre-push: ${describeReproduction(result)}\n`);
  }

  // A failure to list the remotes is not "no remotes": the data might not reach anyone.
  const remotes = dvc(root, ['remote', 'list']);
  if (remotes.status !== 0) {
    const error = (remotes.stderr || remotes.stdout).split('\n').find((l) => l.startsWith('ERROR')) ?? `exit code ${remotes.status}`;
    refuse(`\`dvc remote list\` failed: ${error}\nFix the DVC configuration (.dvc/config, .dvc/config.local), then push again.`);
  }
  if (remotes.stdout.trim()) {
    process.stderr.write('evalset pre-push: dvc push\n');
    if (dvc(root, ['push'], { inherit: true }).status !== 0)
      refuse('`dvc push` failed: git would point at data the remote lacks. Fix the remote, then push again.');
  }
} catch (err) {
  if (err instanceof EvalsetError) refuse(`${err.message}\nhint: ${err.hint}`);
  throw err;
}
