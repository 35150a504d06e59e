import semver from 'semver';
import { git, revisionExists } from '../io/git.ts';

/** A release tag: `eval-dataset/{name}/v{major}.{minor}.{patch}`. */
export const TAG_PREFIX = 'eval-dataset/';

export function tagName(dataset: string, version: string): string {
  return `${TAG_PREFIX}${dataset}/v${version}`;
}

export function parseTag(tag: string): { dataset: string; version: string } | null {
  const m = /^(?:refs\/tags\/)?eval-dataset\/([^/]+)\/v(.+)$/.exec(tag);
  return m && semver.valid(m[2]) ? { dataset: m[1], version: m[2] } : null;
}

/** The release tags among `git tag` output lines, for one dataset, highest version first. */
function releasesAmong(lines: string, dataset: string): { tag: string; version: string }[] {
  return lines
    .split('\n')
    .map((tag) => ({ tag, parsed: parseTag(tag) }))
    .filter((t) => t.parsed?.dataset === dataset)
    .map((t) => ({ tag: t.tag, version: t.parsed!.version }))
    .sort((a, b) => semver.rcompare(a.version, b.version));
}

/** The dataset's release tags, oldest version first. */
export function releaseTags(root: string, dataset: string): { tag: string; version: string }[] {
  return releasesAmong(git(root, ['tag', '--list', `${TAG_PREFIX}${dataset}/v*`]), dataset).reverse();
}

/**
 * The release a change at `rev` is compared with: the nearest release tag of the dataset reachable
 * from `rev` (by git's own measure, `git describe`), not the highest one anywhere — a 1.0.1 backport
 * on a maintenance branch follows its 1.0.0, not the 2.0.0 on main. When several release tags sit on
 * that one commit, the highest version wins, so the answer does not depend on tag dates. Null when
 * no release is reachable (a first release, or no commit yet).
 */
export function releaseBaseline(root: string, dataset: string, rev = 'HEAD'): { tag: string; version: string } | null {
  const pattern = `${TAG_PREFIX}${dataset}/v*`;
  let merged: string;
  try {
    merged = git(root, ['tag', '--list', '--merged', rev, pattern]);
  } catch (err) {
    // One git process in the common case; only a failure asks whether `rev` is a commit at all (none yet: no release).
    if (!revisionExists(root, `${rev}^{commit}`)) return null;
    throw err;
  }
  const reachable = releasesAmong(merged, dataset);
  if (reachable.length <= 1) return reachable[0] ?? null;
  // --candidates: look at every reachable tag, not describe's default 10, before choosing the nearest.
  const nearest = git(root, ['describe', '--tags', '--abbrev=0', `--candidates=${Math.min(reachable.length, 1000)}`, `--match=${pattern}`, rev]);
  const commit = git(root, ['rev-parse', `${nearest}^{commit}`]);
  return releasesAmong(git(root, ['tag', '--list', '--points-at', commit, pattern]), dataset)[0] ?? null;
}

/** One line git gives a pre-push hook on stdin: `<local ref> <local sha> <remote ref> <remote sha>`. */
export interface PushedRef {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

export function parsePushedRefs(stdin: string): PushedRef[] {
  return stdin
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length === 4)
    .map(([localRef, localSha, remoteRef, remoteSha]) => ({ localRef, localSha, remoteRef, remoteSha }));
}

/** A ref deletion: git sends `(delete)` and an all-zero local sha. */
export const isDeletion = (ref: PushedRef) => /^0+$/.test(ref.localSha);

/**
 * The releases a push creates or moves: decided by the REMOTE ref name (what the remote will hold),
 * never the local one — `git push origin HEAD:refs/tags/eval-dataset/x/v2.0.0` is a release too.
 * The object to check is the local sha being sent.
 */
export function pushedReleases(refs: readonly PushedRef[]): { tag: string; dataset: string; version: string; sha: string }[] {
  return refs
    .filter((ref) => !isDeletion(ref) && ref.remoteRef.startsWith('refs/tags/'))
    .map((ref) => ({ ref, parsed: parseTag(ref.remoteRef) }))
    .filter((r) => r.parsed !== null)
    .map(({ ref, parsed }) => ({ tag: ref.remoteRef.slice('refs/tags/'.length), ...parsed!, sha: ref.localSha }));
}
