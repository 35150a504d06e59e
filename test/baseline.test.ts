import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../lib/errors.ts';
import { planFor } from '../lib/versioning/release.ts';
import { releaseBaseline } from '../lib/versioning/tags.ts';
import { git } from './helpers.ts';

type Example = { id: string; label: string; content?: string };
const STRATUM = 'reasoning×routine';

/** Write the files a plan reads: params.yaml, the manifest and meta.json of dataset `d`. */
function writeRelease(repo: string, version: string, examples: Example[]): void {
  writeFileSync(join(repo, 'params.yaml'), `datasets:\n  d:\n    version: ${version}\n    seed: 1\n`);
  mkdirSync(join(repo, 'evalsets', 'd'), { recursive: true });
  const lines = examples.map((e) => JSON.stringify({ content_hash: e.content ?? `c-${e.id}`, id: e.id, label_hash: e.label, stratum: STRATUM }));
  writeFileSync(join(repo, 'evalsets', 'd', 'manifest.jsonl'), lines.join('\n') + '\n');
  const meta = { dataset: 'd', version, taxonomy_version: '1.0.0', strata: [{ stratum: STRATUM }], columns: { id: 'string', labels: 'string' } };
  writeFileSync(join(repo, 'evalsets', 'd', 'meta.json'), JSON.stringify(meta));
}

function commitAndTag(repo: string, version: string, examples: Example[], tag = true): void {
  writeRelease(repo, version, examples);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', `d ${version}`);
  if (tag) git(repo, 'tag', '-a', `eval-dataset/d/v${version}`, '-m', version);
}

const v1 = [
  { id: '1', label: 'l1' },
  { id: '2', label: 'l2' },
];

function repository(): string {
  const repo = mkdtempSync(join(tmpdir(), 'evalset-baseline-'));
  git(repo, 'init', '-q', '-b', 'main');
  commitAndTag(repo, '1.0.0', v1);
  return repo;
}

describe('the release a plan compares with: the nearest release tag reachable from HEAD', () => {
  it('a backport on a maintenance branch diffs against its own line (1.0.0), not the highest tag (2.0.0 on main)', () => {
    const repo = repository();
    commitAndTag(repo, '2.0.0', [{ id: '1', label: 'l1' }]); // main: an example removed … (then 2.0.0 by hand)
    git(repo, 'checkout', '-q', '-b', 'maint-1.0', 'eval-dataset/d/v1.0.0');
    writeRelease(repo, '1.0.1', [
      { id: '1', label: 'l1' },
      { id: '2', label: 'L2' },
    ]); // a relabel: a patch

    const plan = planFor(repo, 'd', { kind: 'worktree' });
    expect(plan.previousTag).toBe('eval-dataset/d/v1.0.0');
    expect(plan.required).toBe('patch');
    expect(plan.ok).toBe(true);
    expect(releaseBaseline(repo, 'd')).toEqual({ tag: 'eval-dataset/d/v1.0.0', version: '1.0.0' });

    // The index is compared with HEAD's nearest release too.
    git(repo, 'add', '-A');
    expect(planFor(repo, 'd', { kind: 'index' }).previousTag).toBe('eval-dataset/d/v1.0.0');

    git(repo, 'checkout', '-q', '-f', 'main');
    expect(releaseBaseline(repo, 'd')).toEqual({ tag: 'eval-dataset/d/v2.0.0', version: '2.0.0' });
  });

  it('two release tags on one commit: the higher version wins, whatever order they were made in', () => {
    const repo = repository();
    git(repo, 'tag', '-a', 'eval-dataset/d/v1.2.0', '-m', 'second name', 'HEAD');
    git(repo, 'tag', '-a', 'eval-dataset/d/v1.10.0', '-m', 'third name', 'HEAD');
    git(repo, 'tag', '-a', 'eval-dataset/other/v9.0.0', '-m', 'another dataset', 'HEAD');
    expect(releaseBaseline(repo, 'd')).toEqual({ tag: 'eval-dataset/d/v1.10.0', version: '1.10.0' });
  });

  it('no release reachable, or no commit yet: a first release', () => {
    const repo = mkdtempSync(join(tmpdir(), 'evalset-baseline-'));
    git(repo, 'init', '-q', '-b', 'main');
    expect(releaseBaseline(repo, 'd')).toBeNull();
    writeRelease(repo, '0.1.0', v1);
    expect(planFor(repo, 'd', { kind: 'worktree' })).toMatchObject({ required: 'initial', ok: true });
  });

  it('an unknown dataset name is a usage error that lists the names', () => {
    const repo = repository();
    let error: unknown;
    try {
      planFor(repo, 'nope', { kind: 'worktree' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).exitCode).toBe(2);
    expect((error as InvalidInputError).issues[0].message).toBe('no dataset `nope` in params.yaml; it names `d`');
  });
});
