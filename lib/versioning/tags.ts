import semver from 'semver';
import { git } from '../io/git.ts';

/** A release tag: `eval-dataset/{name}/v{major}.{minor}.{patch}`. */
export const TAG_PREFIX = 'eval-dataset/';

export function tagName(dataset: string, version: string): string {
  return `${TAG_PREFIX}${dataset}/v${version}`;
}

export function parseTag(tag: string): { dataset: string; version: string } | null {
  const m = /^(?:refs\/tags\/)?eval-dataset\/([^/]+)\/v(.+)$/.exec(tag);
  return m && semver.valid(m[2]) ? { dataset: m[1], version: m[2] } : null;
}

/** The dataset's release tags, oldest version first. */
export function releaseTags(root: string, dataset: string): { tag: string; version: string }[] {
  const out = git(root, ['tag', '--list', `${TAG_PREFIX}${dataset}/v*`]);
  return out
    .split('\n')
    .map((tag) => ({ tag, parsed: parseTag(tag) }))
    .filter((t) => t.parsed?.dataset === dataset)
    .map((t) => ({ tag: t.tag, version: t.parsed!.version }))
    .sort((a, b) => semver.compare(a.version, b.version));
}

export function latestRelease(root: string, dataset: string): { tag: string; version: string } | null {
  return releaseTags(root, dataset).at(-1) ?? null;
}
