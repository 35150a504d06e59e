import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitError } from '../lib/errors.ts';
import { gitShow, revisionExists } from '../lib/io/git.ts';
import { git } from './helpers.ts';

/** A repository with one commit holding `a.txt`, and `b.txt` staged on top. */
function repository(): string {
  const repo = mkdtempSync(join(tmpdir(), 'evalset-gitshow-'));
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'a.txt'), 'alpha\n');
  git(repo, 'add', 'a.txt');
  git(repo, 'commit', '-q', '-m', 'a');
  writeFileSync(join(repo, 'b.txt'), 'beta\n');
  git(repo, 'add', 'b.txt');
  return repo;
}

describe('gitShow tells an absent file from a failed read', () => {
  it('reads a file at a revision and in the index', () => {
    const repo = repository();
    expect(gitShow(repo, 'HEAD', 'a.txt')).toBe('alpha\n');
    expect(gitShow(repo, '', 'b.txt')).toBe('beta\n');
  });

  it('answers null for a path the revision or the index does not hold', () => {
    const repo = repository();
    expect(gitShow(repo, 'HEAD', 'b.txt')).toBeNull();
    expect(gitShow(repo, '', 'nowhere.txt')).toBeNull();
  });

  it('throws GitError for an unknown revision instead of calling the file absent', () => {
    const repo = repository();
    expect(() => gitShow(repo, 'eval-dataset/d/v9.9.9', 'a.txt')).toThrow(GitError);
    expect(() => gitShow(repo, 'eval-dataset/d/v9.9.9', 'a.txt')).toThrow(/unknown revision eval-dataset\/d\/v9\.9\.9/);
  });

  it('throws GitError for a corrupt object', () => {
    const repo = repository();
    const id = git(repo, 'rev-parse', 'HEAD:a.txt');
    const object = join(repo, '.git', 'objects', id.slice(0, 2), id.slice(2));
    chmodSync(object, 0o644);
    writeFileSync(object, 'not a zlib stream');
    expect(() => gitShow(repo, 'HEAD', 'a.txt')).toThrow(GitError);
  });

  it('throws GitError outside a repository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalset-norepo-'));
    expect(() => gitShow(dir, '', 'params.yaml')).toThrow(GitError);
    expect(() => revisionExists(dir, 'HEAD')).toThrow(GitError);
  });
});
