/**
 * The pre-commit hook's fast reads (lib/io/git.ts, lib/io/gitIndex.ts, lib/versioning/manifestWalk.ts)
 * must answer what the slow ones answered: the staged bytes, not the working tree's; git's
 * absent-or-failed distinction through one batch; the same release diff from bytes as from lines.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GitError, InvalidInputError } from '../lib/errors.ts';
import { catFileOnWorker } from '../lib/io/backgroundReads.ts';
import {
  blobDigest,
  catFileBatch,
  gitShow,
  prefetch,
  prefetchInBackground,
  stagedBlobsFromWorktree,
  stagedBlobsFromWorktreeInBackground,
} from '../lib/io/git.ts';
import { StagedFiles, readStagedBlobs, stagedEntries } from '../lib/io/gitIndex.ts';
import { diffSnapshots } from '../lib/versioning/plan.ts';
import { snapshotOf, type DatasetSnapshot } from '../lib/versioning/snapshot.ts';
import { git } from './helpers.ts';

function repository(): string {
  const repo = mkdtempSync(join(tmpdir(), 'evalset-reads-'));
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'a.txt'), 'alpha\n');
  git(repo, 'add', 'a.txt');
  git(repo, 'commit', '-q', '-m', 'a');
  return repo;
}

describe('staged bytes taken from the working tree only when they are the staged blob', () => {
  it('reads the staged text, not a working-tree edit made after `git add`', () => {
    const repo = repository();
    writeFileSync(join(repo, 'm.jsonl'), 'staged\n');
    git(repo, 'add', 'm.jsonl');
    writeFileSync(join(repo, 'm.jsonl'), 'edited after staging\n');
    expect(stagedBlobsFromWorktree(repo, stagedEntries(repo, ['m.jsonl'])).size).toBe(0);
    expect(new StagedFiles(repo, ['m.jsonl']).text('m.jsonl')).toBe('staged\n');
  });

  it('takes the working-tree bytes when their git object id is the staged one, and serves gitShow from them', () => {
    const repo = repository();
    writeFileSync(join(repo, 'm.jsonl'), 'same bytes\n');
    git(repo, 'add', 'm.jsonl');
    expect([...stagedBlobsFromWorktree(repo, stagedEntries(repo, ['m.jsonl']))]).toEqual(['m.jsonl']);
    writeFileSync(join(repo, 'm.jsonl'), 'changed later\n'); // already read: the process keeps what it proved
    expect(gitShow(repo, '', 'm.jsonl')).toBe('same bytes\n');
  });

  it('leaves a staged blob missing from the object store to git’s error, even when the working tree holds its bytes', () => {
    const repo = repository();
    writeFileSync(join(repo, 'p.yaml'), 'a blob that goes missing\n');
    git(repo, 'add', 'p.yaml');
    const oid = git(repo, 'rev-parse', ':p.yaml');
    unlinkSync(join(repo, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
    expect(stagedBlobsFromWorktree(repo, stagedEntries(repo, ['p.yaml'])).size).toBe(0);
    expect(() => new StagedFiles(repo, ['p.yaml']).text('p.yaml')).toThrow(GitError);
  });

  it('falls back to git for a staged file the working tree no longer has, and for a symbolic link', () => {
    const repo = repository();
    writeFileSync(join(repo, 'gone.txt'), 'kept in the index\n');
    git(repo, 'add', 'gone.txt');
    git(repo, 'rm', '-q', '--cached', 'a.txt');
    writeFileSync(join(repo, 'a.txt'), 'x');
    git(repo, 'update-index', '--add', '--cacheinfo', `120000,${git(repo, 'hash-object', '-w', '--stdin')},link`);
    git(repo, 'rm', '-q', '-f', '--cached', 'gone.txt');
    git(repo, 'update-index', '--add', '--cacheinfo', `100644,${git(repo, 'rev-parse', 'HEAD:a.txt')},gone.txt`);
    const entries = stagedEntries(repo, ['gone.txt', 'link']);
    expect(stagedBlobsFromWorktree(repo, entries).size).toBe(0);
    const blobs = readStagedBlobs(repo, entries);
    expect(entries.map((e) => blobs.get(e.oid)!.toString('utf8'))).toEqual(['alpha\n', '']);
  });
});

describe('one `git cat-file --batch` for many files keeps gitShow’s contract', () => {
  it('answers present, absent and tree paths in one batch, in the order asked', () => {
    const repo = repository();
    const { answers } = catFileBatch(repo, ['HEAD:a.txt', 'HEAD:nowhere', 'HEAD:']);
    expect(answers.map((a) => ('type' in a ? a.type : 'missing' in a ? 'missing' : 'ambiguous'))).toEqual(['blob', 'missing', 'tree']);
    expect('bytes' in answers[0] && answers[0].bytes.toString()).toBe('alpha\n');
  });

  it('remembers an absent file as null and refuses an unknown revision', () => {
    const repo = repository();
    prefetch(repo, [
      { rev: 'HEAD', path: 'a.txt' },
      { rev: 'HEAD', path: 'b.txt' },
    ]);
    expect(gitShow(repo, 'HEAD', 'b.txt')).toBeNull();
    expect(() => prefetch(repo, [{ rev: 'eval-dataset/d/v9.9.9', path: 'a.txt' }])).toThrow(/unknown revision/);
  });
});

describe('reads on a worker thread are a warm-up only', () => {
  it('gives the bytes git gives', async () => {
    const repo = repository();
    const names = ['HEAD:a.txt', ':a.txt', 'HEAD:missing.txt'];
    const out = await catFileOnWorker(repo, names);
    expect(out!.stdout.equals(execFileSync('git', ['cat-file', '--batch'], { cwd: repo, input: names.join('\n') + '\n' }))).toBe(true);
  });

  it('keeps what it found, and leaves an unknown revision to the reader that reports it', async () => {
    const repo = repository();
    await prefetchInBackground(repo, [
      { rev: '', path: 'a.txt' },
      { rev: 'eval-dataset/d/v8.8.8', path: 'a.txt' },
    ]);
    expect(gitShow(repo, '', 'a.txt')).toBe('alpha\n');
    expect(() => gitShow(repo, 'eval-dataset/d/v8.8.8', 'a.txt')).toThrow(/unknown revision/);
    expect(await catFileOnWorker(mkdtempSync(join(tmpdir(), 'evalset-norepo-')), [':a.txt'])).toBeNull();
  });

  it('takes working-tree bytes only when they are the staged blob git holds, with their digests', async () => {
    const repo = repository();
    for (const [name, text] of [
      ['same.txt', 'staged\n'],
      ['edited.txt', 'staged\n2'],
      ['lost.txt', 'staged\n3'],
    ])
      writeFileSync(join(repo, name), text);
    git(repo, 'add', '.');
    writeFileSync(join(repo, 'edited.txt'), 'edited after staging\n');
    const lost = git(repo, 'rev-parse', ':lost.txt');
    unlinkSync(join(repo, '.git', 'objects', lost.slice(0, 2), lost.slice(2)));
    const entries = stagedEntries(repo, ['same.txt', 'edited.txt', 'lost.txt']);
    await stagedBlobsFromWorktreeInBackground(repo, entries, ['sha256', 'md5']);
    const same = entries.find((e) => e.path === 'same.txt')!;
    expect(gitShow(repo, '', 'same.txt')).toBe('staged\n');
    // Computed on the worker: asked with no bytes, the digest is the remembered one.
    expect(blobDigest(same.oid, Buffer.alloc(0), 'sha256')).toBe(createHash('sha256').update('staged\n').digest('hex'));
    expect(new StagedFiles(repo, ['edited.txt']).text('edited.txt')).toBe('staged\n2');
    expect(() => new StagedFiles(repo, ['lost.txt']).text('lost.txt')).toThrow(GitError);
  });
});

/** Manifest lines as the sample stage writes them: canonical JSON, sorted by id. */
const line = (id: string, label: string, stratum = 'reasoning×routine') =>
  JSON.stringify({ content_hash: `c-${id}`, id, label_hash: `l-${label}`, stratum });
const META = JSON.stringify({ taxonomy_version: '1.0.0', strata: [{ stratum: 'reasoning×routine' }], columns: {} });
const fromBytes = (text: string): DatasetSnapshot => snapshotOf('d', META, Buffer.from(text, 'utf8'), '');
const fromText = (text: string): DatasetSnapshot => snapshotOf('d', META, text, '');
/** The reference: the lines on one side only, compared as sets (what the hook did before the merge walk). */
function bySets(before: string, after: string) {
  const lines = (t: string) => t.split('\n').filter((l) => l.trim() !== '');
  const a = new Set(lines(before));
  const b = new Set(lines(after));
  return {
    ...diffSnapshots(
      { ...fromText(''), manifestLines: [...a].filter((l) => !b.has(l)) },
      { ...fromText(''), manifestLines: [...b].filter((l) => !a.has(l)) },
    ),
  };
}

describe('the release diff by merge walk', () => {
  const manifests = fc
    .array(fc.record({ id: fc.integer({ min: 0, max: 60 }), label: fc.constantFrom('a', 'b'), keep: fc.double({ min: 0, max: 1, noNaN: true }) }), {
      maxLength: 40,
    })
    .map((rows) => {
      const byId = new Map(rows.map((r) => [`ex-${String(r.id).padStart(3, '0')}`, r]));
      const ids = [...byId.keys()].sort();
      const before = ids.filter((id) => byId.get(id)!.keep < 0.8).map((id) => line(id, 'a'));
      const after = ids.filter((id) => byId.get(id)!.keep > 0.2).map((id) => line(id, byId.get(id)!.label));
      return { before, after };
    });

  it('finds, from bytes and from lines, exactly the changes the set comparison finds (random sorted manifests)', () => {
    fc.assert(
      fc.property(manifests, fc.boolean(), fc.boolean(), ({ before, after }, trailingNewline, blankLine) => {
        const join = (lines: string[]) =>
          (blankLine && lines.length ? [lines[0], '', ...lines.slice(1)] : lines).join('\n') + (trailingNewline ? '\n' : '');
        const expected = bySets(join(before), join(after)).changes;
        expect(diffSnapshots(fromBytes(join(before)), fromBytes(join(after))).changes).toEqual(expected);
        expect(diffSnapshots(fromText(join(before)), fromText(join(after))).changes).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('falls back to sets for manifests out of id order or with a repeated line, and gives their answer', () => {
    const unsorted = [line('b', 'x'), line('a', 'x'), line('c', 'x')].join('\n');
    const relabeled = [line('a', 'x'), line('b', 'y'), line('c', 'x')].join('\n');
    const repeated = [line('a', 'x'), line('a', 'x'), line('b', 'x')].join('\n');
    for (const [before, after] of [
      [unsorted, relabeled],
      [repeated, [line('a', 'x'), line('b', 'x')].join('\n')],
    ]) {
      expect(diffSnapshots(fromBytes(before), fromBytes(after)).changes).toEqual(bySets(before, after).changes);
    }
    expect(diffSnapshots(fromBytes(unsorted), fromBytes(relabeled)).changes).toEqual([{ id: 'b', kind: 'relabeled', stratum: 'reasoning×routine' }]);
  });

  it('names the file and line of a malformed line it had to parse', () => {
    const before = [line('a', 'x'), line('b', 'x'), line('c', 'x')].join('\n');
    const after = [line('a', 'x'), '{"id": "b", oops', line('c', 'x')].join('\n');
    let error: unknown;
    try {
      diffSnapshots(fromBytes(before), fromBytes(after));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues).toEqual([{ file: 'evalsets/d/manifest.jsonl', line: 2, message: 'malformed manifest line' }]);
  });

  it('compares a 100,000-line manifest with 1% relabeled faster than decoding it and comparing sets of lines', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `ex-${String(i).padStart(7, '0')}`);
    const before = Buffer.from(ids.map((id) => line(id, 'a')).join('\n') + '\n');
    const after = Buffer.from(ids.map((id, i) => line(id, i % 100 === 7 ? 'b' : 'a')).join('\n') + '\n');
    const time = (f: () => unknown) => {
      const start = performance.now();
      f();
      return performance.now() - start;
    };
    // What the hook did before: decode both, split, and keep the lines not in the other side's set.
    const sets = time(() => {
      const a = before.toString('utf8').split('\n');
      const b = after.toString('utf8').split('\n');
      const sa = new Set(a);
      const sb = new Set(b);
      return [a.filter((l) => !sb.has(l)), b.filter((l) => !sa.has(l))];
    });
    let diff: ReturnType<typeof diffSnapshots> | undefined;
    const walk = time(() => (diff = diffSnapshots(snapshotOf('d', META, before, ''), snapshotOf('d', META, after, ''))));
    expect(diff!.changes).toHaveLength(1000);
    expect(diff!.changes.every((c) => c.kind === 'relabeled')).toBe(true);
    expect(walk).toBeLessThan(sets); // ~8–50 ms against ~150–250 ms here
  });
});
