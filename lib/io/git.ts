import { execFileSync, spawnSync } from 'node:child_process';
import { GitError } from '../errors.ts';

/** Run git and return its trimmed stdout; a failure is a GitError carrying git's own message. */
export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    throw new GitError(args.join(' '), String((err as { stderr?: unknown }).stderr ?? (err as Error).message));
  }
}

// Blobs already read in this process: a hook reads the same large manifest for several checks.
const shown = new Map<string, string | null>();

/**
 * A file's content at a revision (`HEAD`, a tag, a sha, or '' for the index), or null where the
 * revision (or the index) has no file at that path. Anything else — not a repository, an unknown
 * revision, a corrupt object — is a GitError: a check that cannot read its input must fail, not
 * skip as if the file were absent. Read once per process: callers must not expect to see the index
 * change under them.
 */
export function gitShow(cwd: string, rev: string, path: string): string | null {
  const key = `${cwd}\0${rev}:${path}`;
  if (!shown.has(key)) shown.set(key, readBlob(cwd, rev, path));
  return shown.get(key)!;
}

/**
 * `git cat-file --batch` answers `<object> missing` both for an absent path and for an unknown
 * revision, and (git 2.39) also for a corrupt object, with the reason on stderr; so a "missing"
 * answer is believed only when git said nothing else and the revision itself resolves.
 */
function readBlob(cwd: string, rev: string, path: string): string | null {
  const object = `${rev}:${path}`;
  const r = spawnSync('git', ['cat-file', '--batch'], { cwd, input: `${object}\n`, maxBuffer: 1 << 30, env: { ...process.env, LC_ALL: 'C' } });
  const stderr = r.stderr?.toString('utf8') ?? '';
  if (r.error || r.status !== 0) throw new GitError(`cat-file --batch <<< ${object}`, stderr || String(r.error?.message ?? `exit ${r.status}`));
  const out = r.stdout;
  const headerEnd = out.indexOf(0x0a);
  const header = out.toString('utf8', 0, headerEnd);
  if (header.endsWith(' missing')) {
    if (/^(error|fatal):/m.test(stderr)) throw new GitError(`cat-file --batch <<< ${object}`, stderr);
    if (rev !== '' && !revisionExists(cwd, `${rev}^{tree}`)) throw new GitError(`cat-file --batch <<< ${object}`, `unknown revision ${rev}`);
    return null;
  }
  const [, type, size] = header.split(' ');
  if (type !== 'blob') return null; // a directory (tree) at that path: no file there
  return out.toString('utf8', headerEnd + 1, headerEnd + 1 + Number(size));
}

export function isGitRepository(cwd: string): boolean {
  return spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd, stdio: 'ignore' }).status === 0;
}

/** Whether a revision resolves; a GitError when git itself fails (not a repository, …) rather than answering no. */
export function revisionExists(cwd: string, rev: string): boolean {
  const r = spawnSync('git', ['rev-parse', '--verify', '-q', rev], { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status === 0) return true;
  if (r.status === 1) return false;
  throw new GitError(`rev-parse --verify -q ${rev}`, r.stderr || String(r.error?.message ?? `exit ${r.status}`));
}
