import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, sha256 } from '../lib/io/hash.ts';
import { lockedMd5 } from '../lib/io/dvcLock.ts';
import { decodeParquet } from '../lib/io/parquet.ts';
import { copyOfRepository, evalset, git, run, venvDvc } from './helpers.ts';

const NAME = 'representative';
const manifestIds = (repo: string) =>
  new Map(
    readFileSync(join(repo, 'evalsets', NAME, 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((m) => [m.id as string, m as { stratum: string; content_hash: string; label_hash: string }]),
  );

function setParam(repo: string, from: string, to: string): void {
  const path = join(repo, 'params.yaml');
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

/** Rewrite pool records by id. */
function editPool(repo: string, edit: (record: Record<string, unknown>) => Record<string, unknown> | null): void {
  const path = join(repo, 'datasets', 'pool', 'demo.jsonl');
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const out = lines.map((l) => edit(JSON.parse(l))).filter((r): r is Record<string, unknown> => r !== null);
  writeFileSync(path, out.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

const dvcIn = (repo: string, ...args: string[]) => {
  const r = run(repo, venvDvc, args);
  expect(r.stderr).not.toMatch(/ERROR/);
  expect(r.status).toBe(0);
};
const commit = (repo: string, message: string, ...extra: string[]) => run(repo, 'git', ['commit', '-m', message, ...extra]);

describe('dataset versioning in a real repository, through the installed hooks', () => {
  let repo: string;
  let good: string;

  beforeAll(() => {
    repo = copyOfRepository();
    expect(run(repo, process.execPath, ['--input-type=module', '-e', "const { default: husky } = await import('husky'); husky();"]).status).toBe(0);
    expect(evalset(['demo'], { cwd: repo }).status).toBe(0);
    dvcIn(repo, 'repro');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('tags the first release with its hashes in the message, and reproduces it', () => {
    const tagged = evalset(['tag', NAME], { cwd: repo });
    expect(tagged.stderr).toBe('');
    expect(tagged.stdout.trim()).toBe(`created eval-dataset/${NAME}/v0.1.0`);
    const meta = JSON.parse(readFileSync(join(repo, 'evalsets', NAME, 'meta.json'), 'utf8'));
    const message = git(repo, 'tag', '-l', '--format=%(contents)', `eval-dataset/${NAME}/v0.1.0`);
    expect(message).toContain(`data.parquet sha256: ${meta.files['data.parquet'].sha256}`);
    expect(message).toContain(`content hash: ${meta.content_hash}`);
    expect(message).toContain(`commit: ${git(repo, 'rev-parse', 'HEAD')}`);

    const again = evalset(['tag', NAME], { cwd: repo });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists and nothing changed/);

    const reproduced = evalset(['reproduce', `eval-dataset/${NAME}/v0.1.0`], { cwd: repo });
    expect(reproduced.stdout).toContain(`eval-dataset/${NAME}/v0.1.0: reproduced (data.parquet SHA-256 ${meta.files['data.parquet'].sha256})`);
    expect(reproduced.status).toBe(0);
  });

  it('lets an unrelated commit through', () => {
    writeFileSync(join(repo, 'NOTES.md'), 'notes\n');
    git(repo, 'add', 'NOTES.md');
    const r = commit(repo, 'docs: notes');
    expect(r.status).toBe(0);
  });

  let relabeled = '';
  let relabeledFrom = '';
  let retired = '';
  it('refuses an under-bump and an over-bump with the rule and the diff, and accepts the right bump', () => {
    const before = manifestIds(repo);
    const sampled = [...before.keys()].sort();
    relabeled = sampled[3];
    retired = sampled[7];
    editPool(repo, (r) => {
      if (r.id === relabeled) relabeledFrom = canonicalJson(r.labels);
      return r.id === retired ? null : r.id === relabeled ? { ...r, labels: { quality: 'relabeled-in-test' } } : r;
    });
    dvcIn(repo, 'add', 'datasets');
    dvcIn(repo, 'repro');
    git(repo, 'add', '-A');

    const under = commit(repo, 'dataset(representative): retire one example');
    expect(under.status).not.toBe(0);
    expect(under.stderr).toMatch(
      /representative: version 0\.1\.0 → 0\.1\.0 declares no bump, but 1 example added: a minor bump \(0\.2\.0\) is required/,
    );
    expect(under.stderr).toMatch(/relabeled/);

    setParam(repo, 'version: 0.1.0\n    seed: 1729', 'version: 1.0.0\n    seed: 1729');
    dvcIn(repo, 'repro');
    git(repo, 'add', '-A');
    const over = commit(repo, 'dataset(representative): retire one example');
    expect(over.status).not.toBe(0);
    expect(over.stderr).toMatch(/version 0\.1\.0 → 1\.0\.0 declares a major bump, but .*: a minor bump \(0\.2\.0\) is required/);

    setParam(repo, 'version: 1.0.0\n    seed: 1729', 'version: 0.2.0\n    seed: 1729');
    dvcIn(repo, 'repro');
    git(repo, 'add', '-A');
    const right = commit(repo, 'dataset(representative): retire one example\n\nDataset-Change: retire\nRetired: 1');
    expect(right.stderr).not.toMatch(/refused/);
    expect(right.status).toBe(0);
    expect(evalset(['version', 'plan', '--dataset', NAME], { cwd: repo }).status).toBe(0);
  });

  it('refuses a staged manifest that dvc.lock does not record', () => {
    const path = join(repo, 'evalsets', NAME, 'manifest.jsonl');
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.split('\n').slice(1).join('\n'));
    git(repo, 'add', path);
    const r = commit(repo, 'hand-edited manifest');
    expect(r.status).not.toBe(0);
    writeFileSync(path, original);
    git(repo, 'add', path);
    expect(r.stderr).toContain(`out evalsets/${NAME}/manifest.jsonl: the staged file is not the one dvc.lock records`);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('writes a changelog between two tags listing exactly the planted changes and the structured commit', () => {
    const tagged = evalset(['tag', NAME], { cwd: repo });
    expect(tagged.stdout.trim()).toBe(`created eval-dataset/${NAME}/v0.2.0`);
    good = git(repo, 'rev-parse', 'HEAD');
    const old = new Map(
      (git(repo, 'show', `eval-dataset/${NAME}/v0.1.0:evalsets/${NAME}/manifest.jsonl`).split('\n') as string[]).map((l) => {
        const m = JSON.parse(l);
        return [m.id as string, m];
      }),
    );
    const now = manifestIds(repo);
    const added = [...now.keys()].filter((id) => !old.has(id));
    expect(added).toHaveLength(1);

    const r = evalset(['--json', 'changelog', `eval-dataset/${NAME}/v0.1.0`, `eval-dataset/${NAME}/v0.2.0`], { cwd: repo });
    expect(r.status).toBe(0);
    const changelog = JSON.parse(r.stdout);
    const ids = (kind: string) => changelog.diff.changes.filter((c: { kind: string }) => c.kind === kind).map((c: { id: string }) => c.id);
    expect(ids('removed')).toEqual([retired]);
    expect(ids('relabeled')).toEqual([relabeled]);
    expect(ids('added')).toEqual(added);
    expect(ids('changed')).toEqual([]);
    expect(changelog.commits).toHaveLength(1);
    expect(changelog.commits[0]).toMatchObject({
      dataset: NAME,
      summary: 'retire one example',
      trailers: { 'Dataset-Change': 'retire', Retired: '1' },
    });

    // The parameters that changed, and the relabeled example's old and new labels from both releases' data.parquet.
    expect(changelog.params).toEqual([{ key: 'version', from: '0.1.0', to: '0.2.0' }]);
    expect(changelog.labels.available).toBe(true);
    expect(changelog.labels.changes).toHaveLength(1);
    const [change] = changelog.labels.changes;
    expect(change).toMatchObject({ id: relabeled, stratum: manifestIds(repo).get(relabeled)!.stratum });
    // The pool's labels changed; the label the annotators agreed on travels with the row, unchanged.
    const split = (text: string) => {
      const { annotation, ...rest } = JSON.parse(text);
      return { annotation, rest };
    };
    expect(split(change.from).rest).toEqual(JSON.parse(relabeledFrom));
    expect(split(change.to).rest).toEqual({ quality: 'relabeled-in-test' });
    expect(split(change.to).annotation).toEqual(split(change.from).annotation);

    const markdown = evalset(['changelog', `eval-dataset/${NAME}/v0.1.0`, `eval-dataset/${NAME}/v0.2.0`], { cwd: repo }).stdout;
    expect(markdown).toContain(`# ${NAME}: 0.1.0 → 0.2.0`);
    expect(markdown).toContain(`- Relabeled (1): \`${relabeled}\``);
    expect(markdown).toContain(`- Removed (1): \`${retired}\``);
    expect(markdown).toContain('## Parameters\n\n- `version`: `"0.1.0"` → `"0.2.0"`\n');
    expect(markdown).toContain(`: \`${change.from}\` → \`${change.to}\``);
  });

  it('says in one line when the old labels are not in the DVC cache', () => {
    const md5 = lockedMd5(git(repo, 'show', `eval-dataset/${NAME}/v0.1.0:dvc.lock`), `sample@${NAME}`, 'outs', `evalsets/${NAME}/data.parquet`)!;
    const cached = join(repo, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2));
    renameSync(cached, `${cached}.aside`);
    try {
      const r = evalset(['changelog', `eval-dataset/${NAME}/v0.1.0`, `eval-dataset/${NAME}/v0.2.0`], { cwd: repo });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(
        `Old and new label values are not shown: the DVC cache does not hold data.parquet of eval-dataset/${NAME}/v0.1.0 (\`dvc pull\` at the tag brings it).`,
      );
    } finally {
      renameSync(`${cached}.aside`, cached);
    }
  });

  it('refuses to tag a dataset params.yaml does not name, listing the names (exit 2)', () => {
    const r = evalset(['tag', 'nope'], { cwd: repo });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('params.yaml: datasets: no dataset `nope` in params.yaml; it names `representative`, `stress`');
  });

  let remotePath = '';
  const bareRemote = () => remotePath;

  /** Commit a broken state past the hooks and tag it by hand, as someone bypassing `evalset tag` would. */
  function brokenTag(version: string, breakIt: () => void): string {
    breakIt();
    git(repo, 'add', '-A');
    expect(run(repo, 'git', ['commit', '-q', '--no-verify', '-m', `broken ${version}`]).status).toBe(0);
    const tag = `eval-dataset/${NAME}/v${version}`;
    git(repo, 'tag', '-a', tag, '-m', 'hand-made');
    git(repo, 'reset', '-q', '--hard', good);
    dvcIn(repo, 'checkout', '--quiet');
    return tag;
  }

  it('diagnoses configuration drift when the seed at the tag is not the one recorded', () => {
    // The commit declares the version it is tagged as, so only the reproduction can catch it.
    const tag = brokenTag('9.0.0', () => setParam(repo, 'version: 0.2.0\n    seed: 1729', 'version: 9.0.0\n    seed: 1730'));
    const r = evalset(['reproduce', tag], { cwd: repo });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('NOT reproduced — configuration drift');
    expect(r.stdout).toContain('seed: 1729 recorded, 1730 in params.yaml at the tag');
    expect(r.stdout).toMatch(/remediation: restore the recorded params/);
  });

  it('diagnoses data drift with a row diff naming the changed example and column', () => {
    const target = [...manifestIds(repo).keys()].sort()[11];
    const tag = brokenTag('9.1.0', () => {
      editPool(repo, (rec) => (rec.id === target ? { ...rec, prompt: `${rec.prompt} (edited)` } : rec));
      dvcIn(repo, 'add', 'datasets');
    });
    const r = evalset(['--json', 'reproduce', tag], { cwd: repo });
    expect(r.status).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.diagnosis).toBe('data-or-code');
    expect(result.rows.basis).toBe('parquet');
    expect(result.rows.changed).toEqual([{ id: target, columns: ['prompt'] }]);
    expect(result.rows.added).toEqual([]);
    expect(result.rows.removed).toEqual([]);
  });

  it('diagnoses a Parquet writer change: same content hash, other bytes', () => {
    const tag = brokenTag('9.2.0', () => {
      const file = join(repo, 'evalsets', NAME, 'data.parquet');
      const table = decodeParquet(readFileSync(file));
      const props = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.SNAPPY).build();
      const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
      writeFileSync(file, bytes);
      const metaPath = join(repo, 'evalsets', NAME, 'meta.json');
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      meta.files['data.parquet'].sha256 = sha256(bytes);
      writeFileSync(metaPath, JSON.stringify(meta, null, 2) + '\n');
      dvcIn(repo, 'commit', '--force', `sample@${NAME}`);
    });
    const r = evalset(['reproduce', tag], { cwd: repo });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('NOT reproduced — Parquet writer changed');
    expect(r.stdout).toContain('same content hash, different file hash');
    expect(r.stdout).toMatch(/parquet-wasm \S+ recorded, \S+ now/);
    expect(r.stdout).toMatch(/row diff \(by parquet\): 0 added, 0 removed, 0 changed/);
  });

  it('pushes a good release tag through pre-push (reproduce, dvc push) and blocks a broken one', () => {
    const remote = join(mkdtempSync(join(tmpdir(), 'evalset-remote-')), 'remote.git');
    remotePath = remote;
    expect(run(repo, 'git', ['init', '-q', '--bare', remote]).status).toBe(0);
    git(repo, 'remote', 'add', 'origin', remote);
    const ok = run(repo, 'git', ['push', '-q', 'origin', 'HEAD:refs/heads/main', `eval-dataset/${NAME}/v0.2.0`]);
    expect(ok.stderr).toContain(`eval-dataset/${NAME}/v0.2.0: reproduced`);
    expect(ok.status).toBe(0);
    // dvc push sent the data to the default remote: a status against it is clean.
    expect(run(repo, venvDvc, ['status', '--cloud', '-q']).status).toBe(0);

    const blocked = run(repo, 'git', ['push', '-q', 'origin', `eval-dataset/${NAME}/v9.0.0`]);
    expect(blocked.status).not.toBe(0);
    expect(blocked.stderr).toContain('evalset pre-push: push refused.');
    expect(blocked.stderr).toContain('configuration drift');
    expect(git(remote, 'tag', '-l')).not.toContain('v9.0.0');
  });

  it('decides what is a release by the REMOTE ref: a branch pushed as a release tag is reproduced and blocked', () => {
    git(repo, 'branch', 'sneaky', `eval-dataset/${NAME}/v9.0.0^{commit}`);
    const bypass = run(repo, 'git', ['push', '-q', 'origin', `sneaky:refs/tags/eval-dataset/${NAME}/v9.0.0`]);
    expect(bypass.stderr).toContain(`evalset pre-push: reproducing eval-dataset/${NAME}/v9.0.0`);
    expect(bypass.stderr).toContain('configuration drift');
    expect(bypass.status).not.toBe(0);
    expect(git(bareRemote(), 'tag', '-l')).not.toContain('v9.0.0');
  });

  it('refuses to publish a commit as a release whose version it does not declare', () => {
    const r = run(repo, 'git', ['push', '-q', 'origin', `HEAD:refs/tags/eval-dataset/${NAME}/v2.0.0`]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`declares ${NAME} 0.2.0 in params.yaml, not 2.0.0`);
    expect(git(bareRemote(), 'tag', '-l')).not.toContain('v2.0.0');
  });

  it('a failing `dvc remote list` refuses the push; deleting a remote tag needs no check', () => {
    const local = join(repo, '.dvc', 'config.local');
    writeFileSync(local, '[[[\n');
    try {
      const refused = run(repo, 'git', ['push', '-q', 'origin', 'HEAD:refs/heads/other']);
      expect(refused.stderr).toContain('`dvc remote list` failed: ERROR: configuration error');
      expect(refused.status).not.toBe(0);
      expect(git(bareRemote(), 'branch', '--list')).not.toContain('other');

      const deleted = run(repo, 'git', ['push', '-q', 'origin', `:refs/tags/eval-dataset/${NAME}/v0.2.0`]);
      expect(deleted.stderr).not.toContain('refused');
      expect(deleted.status).toBe(0);
      expect(git(bareRemote(), 'tag', '-l')).not.toContain(`eval-dataset/${NAME}/v0.2.0`);
    } finally {
      rmSync(local);
    }
  });
});
