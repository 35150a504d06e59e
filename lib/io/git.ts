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
 * A file's content at a revision (`HEAD`, a tag, or '' for the index), or null where it does not
 * exist. Read once per process: callers must not expect to see the index change under them.
 */
export function gitShow(cwd: string, rev: string, path: string): string | null {
  const key = `${cwd}\0${rev}:${path}`;
  if (!shown.has(key)) {
    const r = spawnSync('git', ['show', `${rev}:${path}`], { cwd, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
    shown.set(key, r.status === 0 ? r.stdout : null);
  }
  return shown.get(key)!;
}

export function isGitRepository(cwd: string): boolean {
  return spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd, stdio: 'ignore' }).status === 0;
}

export function revisionExists(cwd: string, rev: string): boolean {
  return spawnSync('git', ['rev-parse', '--verify', '-q', rev], { cwd, stdio: 'ignore' }).status === 0;
}
