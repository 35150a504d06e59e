/**
 * The index (the staged tree) read in bulk: which files are staged under some paths, and their bytes
 * through one `git cat-file --batch` process, so that hashing a few hundred staged files costs two
 * processes instead of a few hundred. Every git failure is a GitError carrying git's message: a check
 * that cannot read the index must refuse, not skip.
 */
import { spawnSync } from 'node:child_process';
import { GitError } from '../errors.ts';
import { blobDigest, gitShow, gitShowBytes, prefetch, readBlobs, stagedBlobsFromWorktree } from './git.ts';

export { readBlobs };

/** One staged file: its mode (100644, 100755, 120000 for a symbolic link, 160000 for a submodule), blob id and path. */
export interface IndexEntry {
  mode: string;
  oid: string;
  path: string;
}

function gitBuffer(root: string, args: string[], input?: string): Buffer {
  const r = spawnSync('git', args, { cwd: root, input, maxBuffer: 2 ** 31 - 1, env: { ...process.env, LC_ALL: 'C' } });
  if (r.error || r.status !== 0) {
    throw new GitError(args.join(' '), r.stderr?.toString('utf8') || String(r.error?.message ?? `exit ${r.status}`));
  }
  return r.stdout;
}

/**
 * The staged files at or below each of `paths` (git's `ls-files --stage`; paths are literal, not
 * globs). `ignoreFile` names per-directory exclude files (`.dvcignore`): with it, only the staged
 * files those patterns exclude are listed, with git's own gitignore matching, which is what DVC's
 * .dvcignore follows (pathspec's gitwildmatch).
 */
export function stagedEntries(root: string, paths: readonly string[], ignoreFile?: string): IndexEntry[] {
  if (!paths.length) return [];
  const args = ['--literal-pathspecs', 'ls-files', '--stage', '-z'];
  if (ignoreFile) args.push('--cached', '--ignored', `--exclude-per-directory=${ignoreFile}`);
  const out = gitBuffer(root, [...args, '--', ...paths]).toString('utf8');
  return out
    .split('\0')
    .filter(Boolean)
    .map((record) => {
      // "<mode> <oid> <stage>\t<path>"
      const tab = record.indexOf('\t');
      const [mode, oid] = record.slice(0, tab).split(' ');
      return { mode, oid, path: record.slice(tab + 1) };
    });
}

/**
 * The bytes of staged files, by object id: from the working tree where it holds the very bytes
 * staged (stagedBlobsFromWorktree), the others through one `git cat-file --batch`.
 */
export function readStagedBlobs(root: string, entries: readonly IndexEntry[]): Map<string, Buffer> {
  stagedBlobsFromWorktree(root, entries);
  return readBlobs(
    root,
    entries.map((e) => e.oid),
  );
}

/**
 * Staged files read on demand: which paths the index holds is asked once for the given roots, and
 * the bytes are read through gitShow's per-process store (from the working tree where it provably
 * holds the staged bytes), which the release plan then reuses (a
 * 100,000-example manifest is 21 MB: it is read from git once, and decoded only where text is
 * needed). A file the index lists but git cannot read is a GitError, never taken for a missing file.
 */
export class StagedFiles {
  private readonly entries = new Map<string, IndexEntry>();
  /**
   * `roots`: the files and folders whose staged files are listed up front; others are looked up when
   * asked for. `listed`: their listing (stagedEntries of the same roots) where the caller has it already.
   */
  constructor(
    private readonly root: string,
    private readonly roots: readonly string[],
    listed?: readonly IndexEntry[],
  ) {
    for (const entry of listed ?? stagedEntries(root, roots)) this.entries.set(entry.path, entry);
  }
  /** The staged paths listed under the roots. */
  listed(): string[] {
    return [...this.entries.keys()];
  }
  /** The index entry of a path, or undefined when the index holds no file there. */
  entry(path: string): IndexEntry | undefined {
    if (!this.roots.some((r) => path === r || path.startsWith(`${r}/`)) && !this.entries.has(path)) {
      for (const entry of stagedEntries(this.root, [path])) if (entry.path === path) this.entries.set(path, entry);
    }
    return this.entries.get(path);
  }
  /** Read the staged files among `paths` not read yet: from the working tree where it holds the staged bytes, the others through one `git cat-file --batch`. */
  prefetch(paths: readonly string[]): void {
    const entries = paths.map((p) => this.entry(p)).filter((e): e is IndexEntry => e !== undefined);
    const taken = stagedBlobsFromWorktree(this.root, entries);
    prefetch(
      this.root,
      entries.filter((e) => !taken.has(e.path)).map((e) => ({ rev: '', path: e.path })),
    );
  }
  /** The staged bytes of a file, or null when the index holds no file there. */
  bytes(path: string): Buffer | null {
    const entry = this.entry(path);
    if (!entry) return null;
    this.prefetch([path]);
    // gitShow answers null for a staged blob that is missing from the object store: ask for it by
    // id instead, so that git's own answer (`<oid> missing`) is the error.
    return gitShowBytes(this.root, '', path) ?? readBlobs(this.root, [entry.oid]).get(entry.oid)!;
  }
  /** A digest (`sha256`, `md5`) of a staged file's bytes, computed once per process; null when the index holds no file there. */
  digest(path: string, algorithm: string): string | null {
    const bytes = this.bytes(path);
    return bytes === null ? null : blobDigest(this.entry(path)!.oid, bytes, algorithm);
  }
  /** The staged text of a file, or null when the index holds no file there. */
  text(path: string): string | null {
    const bytes = this.bytes(path);
    return bytes === null ? null : (gitShow(this.root, '', path) ?? bytes.toString('utf8'));
  }
}
