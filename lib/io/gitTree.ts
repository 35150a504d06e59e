import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { git, isGitRepository } from './git.ts';

/**
 * The git object id of each path as it stands in the working tree (untracked files included,
 * ignored ones not): exactly what `git rev-parse <commit>:<path>` prints once the tree is committed
 * as it is. It is staged into a throw-away index, so the user's index is never touched.
 * Returns null outside a git repository.
 */
export function workingTreeObjectIds(root: string, paths: readonly string[]): Record<string, string> | null {
  if (!isGitRepository(root)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'evalset-index-'));
  try {
    const index = join(dir, 'index');
    let realIndex = git(root, ['rev-parse', '--git-path', 'index']);
    if (!isAbsolute(realIndex)) realIndex = join(root, realIndex);
    // Starting from the real index lets git reuse its stat cache instead of re-hashing every file.
    if (existsSync(realIndex)) copyFileSync(realIndex, index);
    const env = { ...process.env, GIT_INDEX_FILE: index };
    const present = paths.filter((p) => existsSync(join(root, p)));
    if (present.length) git(root, ['add', '--all', '--', ...present], env);
    const tree = git(root, ['write-tree'], env);
    const ids: Record<string, string> = {};
    for (const path of present) ids[path] = git(root, ['rev-parse', `${tree}:${path}`]);
    return ids;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RepositoryState {
  commit: string | null;
  dirty: boolean;
}

/** The commit and dirty flag: for run summaries and tag messages only, never for committed outputs. */
export function repositoryState(root: string): RepositoryState {
  try {
    const commit = git(root, ['rev-parse', '--verify', '-q', 'HEAD']);
    return { commit, dirty: git(root, ['status', '--porcelain']) !== '' };
  } catch {
    return { commit: null, dirty: true };
  }
}
