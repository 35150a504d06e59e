/**
 * The index (the staged tree) read in bulk: which files are staged under some paths, and their bytes
 * through one `git cat-file --batch` process, so that hashing a few hundred staged files costs two
 * processes instead of a few hundred. Every git failure is a GitError carrying git's message: a check
 * that cannot read the index must refuse, not skip.
 */
import { spawnSync } from 'node:child_process';
import { GitError } from '../errors.ts';
import { gitShow } from './git.ts';

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

/** The bytes of each blob, by object id, read through one `git cat-file --batch`. */
export function readBlobs(root: string, oids: readonly string[]): Map<string, Buffer> {
  const wanted = [...new Set(oids)];
  const blobs = new Map<string, Buffer>();
  if (!wanted.length) return blobs;
  const out = gitBuffer(root, ['cat-file', '--batch'], wanted.join('\n') + '\n');
  let at = 0;
  for (const oid of wanted) {
    const end = out.indexOf(0x0a, at);
    const header = out.toString('utf8', at, end);
    const [name, type, size] = header.split(' ');
    if (type !== 'blob' || name !== oid) throw new GitError(`cat-file --batch <<< ${oid}`, header || 'no answer');
    const start = end + 1;
    blobs.set(oid, out.subarray(start, start + Number(size)));
    at = start + Number(size) + 1; // the content is followed by a newline
  }
  return blobs;
}

/**
 * Staged files read on demand: which paths the index holds is asked once for the given roots, and
 * the text is read through gitShow, whose per-process cache the release plan then reuses (a
 * 100,000-example manifest is 21 MB). A file the index lists but git cannot read is a GitError,
 * never taken for a missing file.
 */
export class StagedFiles {
  private readonly entries = new Map<string, IndexEntry>();
  private readonly texts = new Map<string, string>();
  /** `roots`: the files and folders whose staged files are listed up front; others are looked up when asked for. */
  constructor(
    private readonly root: string,
    private readonly roots: readonly string[],
  ) {
    for (const entry of stagedEntries(root, roots)) this.entries.set(entry.path, entry);
  }
  /** The staged text of a file, or null when the index holds no file there. */
  text(path: string): string | null {
    if (!this.roots.some((r) => path === r || path.startsWith(`${r}/`)) && !this.entries.has(path)) {
      for (const entry of stagedEntries(this.root, [path])) if (entry.path === path) this.entries.set(path, entry);
    }
    const entry = this.entries.get(path);
    if (!entry) return null;
    if (!this.texts.has(path)) {
      // gitShow answers null for a staged blob that is missing from the object store: ask for it by
      // id instead, so that git's own answer (`<oid> missing`) is the error.
      this.texts.set(path, gitShow(this.root, '', path) ?? readBlobs(this.root, [entry.oid]).get(entry.oid)!.toString('utf8'));
    }
    return this.texts.get(path)!;
  }
  /** A text already read, if any: its bytes are its UTF-8 encoding unless the decoding replaced some (U+FFFD). */
  readText(path: string): string | undefined {
    return this.texts.get(path);
  }
}
