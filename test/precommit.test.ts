/**
 * The pre-commit hook through real husky in a temporary repository, with a real `dvc repro`: a small
 * pipeline whose code directory has non-ASCII names and .dvcignore'd files, whose data comes through
 * datasets.dvc, and whose outputs (manifest, meta.json) are committed, so every way a commit can go
 * stale is made for real and must be refused.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { dvcCachePath, dvcDirMd5, dvcFileMd5, dvcTreeJson } from '../lib/io/dvcHash.ts';
import { git, projectRoot, run, venvDvc, venvPython, writeFile } from './helpers.ts';

const BUILD = `import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
const name = process.argv[2];
const p = parse(readFileSync('params.yaml', 'utf8')).datasets[name];
const ids = readdirSync('datasets/pool').sort()
  .flatMap((f) => readFileSync('datasets/pool/' + f, 'utf8').split('\\n').filter(Boolean).map((l) => JSON.parse(l).id))
  .sort().slice(0, p.size);
const manifest = ids.map((id) => JSON.stringify({ content_hash: 'c' + id, id, label_hash: 'l' + id, stratum: 'reasoning×routine' })).join('\\n') + '\\n';
mkdirSync('evalsets/' + name, { recursive: true });
writeFileSync('evalsets/' + name + '/manifest.jsonl', manifest);
const meta = { dataset: name, version: p.version, taxonomy_version: '1.0.0', strata: [{ stratum: 'reasoning×routine' }],
  columns: JSON.parse(readFileSync('tool/columns.json', 'utf8')), manifest_sha256: createHash('sha256').update(manifest).digest('hex') };
writeFileSync('evalsets/' + name + '/meta.json', JSON.stringify(meta, null, 2) + '\\n');
`;

const DVC_YAML = `stages:
  build:
    foreach: [x]
    do:
      cmd: node tool/build.mjs \${item}
      deps: [tool, datasets/pool]
      params: ['datasets.\${item}.version', 'datasets.\${item}.size']
      outs:
        - evalsets/\${item}/manifest.jsonl: {cache: false}
        - evalsets/\${item}/meta.json: {cache: false}
  report:
    cmd: mkdir -p reports && cp evalsets/x/meta.json reports/x.txt
    deps: [evalsets/x/meta.json]
    outs:
      - reports/x.txt: {cache: false}
`;

const params = (version: string, size: number) =>
  `datasets:\n  x:\n    version: ${version}\n    seed: 1\n    size: ${size}\n    floor: 1\n    allocation:\n      mode: proportional\n`;
const pool = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `ex-${i}`, prompt: `p${i}` })).join('\n') + '\n';

const commit = (repo: string, message = 'change') => run(repo, 'git', ['commit', '-q', '-m', message]);
const dvcIn = (repo: string, ...args: string[]) => {
  const r = run(repo, venvDvc, args);
  expect(r.stderr + r.stdout).toBe('');
  expect(r.status).toBe(0);
};

/** A repository with the project's hook installed by husky, and the small pipeline built and committed. */
function pipelineRepository(): string {
  const repo = mkdtempSync(join(tmpdir(), 'evalset-precommit-'));
  git(repo, 'init', '-q', '-b', 'main');
  symlinkSync(join(projectRoot, 'node_modules'), join(repo, 'node_modules'));
  for (const path of ['hooks', 'lib', 'taxonomy', '.husky/pre-commit', 'package.json']) {
    cpSync(join(projectRoot, path), join(repo, path), { recursive: true });
  }
  writeFile(join(repo, '.gitignore'), '/node_modules\n');
  writeFile(join(repo, 'tool', 'build.mjs'), BUILD);
  writeFile(join(repo, 'tool', 'columns.json'), '{"id": "string", "prompt": "string"}\n');
  // Names that test DVC's directory hash: non-ASCII (escaped by json.dumps), outside the BMP
  // (a surrogate pair), and a "-" that sorts before "/" in relpath order.
  writeFile(join(repo, 'tool', '日本', 'ü.txt'), 'é\n');
  writeFile(join(repo, 'tool', '😀.txt'), 'smile\n');
  writeFile(join(repo, 'tool', '～.txt'), 'wave\n');
  writeFile(join(repo, 'tool', 'a-b.txt'), 'dash\n');
  writeFile(join(repo, 'tool', 'a', 'b.txt'), 'slash\n');
  writeFile(join(repo, 'tool', 'debug.log'), 'DVC ignores me\n');
  writeFile(join(repo, '.dvcignore'), '*.log\n');
  writeFile(join(repo, 'params.yaml'), params('0.1.0', 3));
  writeFile(join(repo, 'dvc.yaml'), DVC_YAML);
  writeFile(join(repo, 'datasets', 'pool', 'pool.jsonl'), pool(5));
  writeFile(join(repo, 'datasets', 'notes.txt'), 'not a dependency\n');
  dvcIn(repo, 'init', '-q');
  dvcIn(repo, 'add', '-q', 'datasets');
  dvcIn(repo, 'repro', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '--no-verify', '-m', 'pipeline');
  expect(run(repo, process.execPath, ['--input-type=module', '-e', "const { default: husky } = await import('husky'); husky();"]).status).toBe(0);
  return repo;
}

const setParams = (repo: string, version: string, size: number) => writeFile(join(repo, 'params.yaml'), params(version, size));

describe('DVC 3 hashes computed without DVC', () => {
  it("writes a directory listing byte for byte as Python's json.dumps(sort_keys=True) does", () => {
    const names = ['日本/ü.txt', '😀.txt', '～.txt', 'a-b.txt', 'a/b.txt', 'tab\there', 'quote"back\\slash', 'del\u007f', 'nl\nx', '\u2028sep'];
    const entries = names.map((relpath, i) => ({ md5: dvcFileMd5(String(i)), relpath }));
    const script =
      'import json,sys,hashlib,operator\n' +
      'e=json.load(sys.stdin)\n' +
      's=json.dumps(sorted(e,key=operator.itemgetter("relpath")),sort_keys=True)\n' +
      'print(s);print(hashlib.md5(s.encode("utf-8")).hexdigest()+".dir")';
    const python = execFileSync(venvPython, ['-c', script], { input: JSON.stringify(entries), encoding: 'utf8' }).split('\n');
    expect(dvcTreeJson(entries)).toBe(python[0]);
    expect(dvcDirMd5(entries)).toBe(python[1]);
  });
});

describe('the pre-commit hook, through husky, on a real DVC pipeline', () => {
  let repo: string;
  let built: string;
  beforeAll(() => {
    repo = pipelineRepository();
    built = git(repo, 'rev-parse', 'HEAD');
  }, 120_000);
  // Each test starts from the built pipeline, whatever the one before committed.
  beforeEach(() => {
    git(repo, 'reset', '-q', '--hard', built);
  });
  const restoreData = () => {
    git(repo, 'reset', '-q', '--hard', built);
    dvcIn(repo, 'checkout', '-q', '--force');
  };

  it('accepts the commit a real `dvc repro` made: its hashes of the code (non-ASCII, .dvcignore), data and params agree with DVC', () => {
    setParams(repo, '0.2.0', 4);
    dvcIn(repo, 'repro', '-q');
    git(repo, 'add', '-A');
    const r = commit(repo, 'dataset x: one more example');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses a new version set after `dvc repro` without re-running it (defect 1a)', () => {
    setParams(repo, '0.2.0', 5);
    dvcIn(repo, 'repro', '-q');
    git(repo, 'add', '-A');
    setParams(repo, '0.3.0', 5);
    git(repo, 'add', 'params.yaml');
    const r = commit(repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stage build@x is stale');
    expect(r.stderr).toContain('param datasets.x.version: dvc.lock has "0.2.0", the staged params.yaml has "0.3.0"');
    expect(r.stderr).toContain('evalsets/x/meta.json: version: the staged meta.json records 0.2.0, but the staged params.yaml declares 0.3.0');
    expect(r.stderr).toContain('run `dvc repro`');
  });

  it('refuses a staged datasets.dvc that dvc.lock does not record (defect 1b)', () => {
    onTestFinished(restoreData);
    writeFile(join(repo, 'datasets', 'pool', 'pool.jsonl'), pool(6));
    dvcIn(repo, 'add', '-q', 'datasets');
    git(repo, 'add', 'datasets.dvc');
    const r = commit(repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stage build@x is stale[^]*dep datasets\/pool: datasets.dvc points at other data \(\w+\.dir\) than dvc.lock records/);
    // A change to data no stage reads is no difference.
    expect(r.stderr).not.toContain('notes.txt');
  });

  it('accepts a new datasets.dvc that changes only data no stage reads', () => {
    onTestFinished(restoreData);
    writeFile(join(repo, 'datasets', 'notes.txt'), 'still not a dependency\n');
    dvcIn(repo, 'add', '-q', 'datasets');
    git(repo, 'add', 'datasets.dvc');
    const r = commit(repo);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses, rather than guesses, when the directory object of datasets.dvc is not in the DVC cache', () => {
    const md5 = /md5: (\w+\.dir)/.exec(readFileSync(join(repo, 'datasets.dvc'), 'utf8'))![1];
    const cached = dvcCachePath(repo, md5);
    renameSync(cached, `${cached}.away`);
    try {
      setParams(repo, '0.1.0', 3); // unchanged, but staged: the checks run
      writeFile(join(repo, 'params.yaml'), `${params('0.1.0', 3)}# a comment\n`);
      git(repo, 'add', 'params.yaml');
      const r = commit(repo);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`datasets.dvc points at ${md5}, which is not in the DVC cache`);
      expect(r.stderr).toContain('run `dvc pull` (or `dvc add datasets`');
    } finally {
      renameSync(`${cached}.away`, cached);
    }
  });

  it('refuses stage code changed after `dvc repro` (a formatter, an edit), naming the stage, the dep and the file', () => {
    setParams(repo, '0.2.0', 4);
    dvcIn(repo, 'repro', '-q');
    writeFile(join(repo, 'tool', '日本', 'ü.txt'), 'é, edited after the run\n');
    git(repo, 'add', '-A');
    const r = commit(repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dep tool: the staged files differ from what dvc.lock records (staged changes: tool/日本/ü.txt)');
    // Only the build stage reads tool/: the report stage is not blamed.
    expect(r.stderr).not.toContain('stage report');
  });

  it('ignores what .dvcignore excludes, as DVC does', () => {
    writeFile(join(repo, 'tool', 'debug.log'), 'a new log line\n');
    writeFile(join(repo, 'params.yaml'), `${params('0.1.0', 3)}# staged so that the checks run\n`);
    git(repo, 'add', '-A');
    const r = commit(repo);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses a hand-edited output that dvc.lock does not record, in a stage it does not name by rule', () => {
    const meta = join(repo, 'reports', 'x.txt');
    writeFile(meta, readFileSync(meta, 'utf8') + ' ');
    writeFile(join(repo, 'params.yaml'), `${params('0.1.0', 3)}# staged so that the checks run\n`);
    git(repo, 'add', '-A');
    const r = commit(repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'stage report is stale in the staged dvc.lock:\n    out reports/x.txt: the staged file is not the one dvc.lock records',
    );
  });

  it('refuses a staged meta.json that does not hash the staged manifest', () => {
    const path = join(repo, 'evalsets', 'x', 'manifest.jsonl');
    writeFile(path, readFileSync(path, 'utf8').split('\n').slice(1).join('\n'));
    git(repo, 'add', '-A');
    const r = commit(repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('evalsets/x/meta.json: manifest_sha256: the staged meta.json does not hash the staged manifest');
    expect(r.stderr).toContain('out evalsets/x/manifest.jsonl: the staged file is not the one dvc.lock records');
  });

  it('refuses an empty dvc.lock (a killed `dvc repro`) with the way back (defect 4)', () => {
    writeFileSync(join(repo, 'dvc.lock'), '');
    git(repo, 'add', 'dvc.lock');
    const r = commit(repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the staged dvc.lock is empty');
    expect(r.stderr).toContain('`git checkout dvc.lock` (or `git restore --staged --worktree dvc.lock`), run `dvc repro`');
    writeFileSync(join(repo, 'dvc.lock'), 'stages: [unclosed\n');
    git(repo, 'add', 'dvc.lock');
    expect(commit(repo).stderr).toContain('the staged dvc.lock is not valid YAML');
  });

  it('refuses a taxonomy edited without a new version, naming the version to set (defect 3)', () => {
    const path = join(repo, 'taxonomy', 'strata.json');
    const taxonomy = JSON.parse(readFileSync(path, 'utf8'));
    taxonomy.categories[0].description = 'Condense a text.';
    writeFileSync(path, JSON.stringify(taxonomy, null, 2) + '\n');
    git(repo, 'add', path);
    const r = commit(repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /taxonomy\/strata.json:2: version: the taxonomy changed since version 1.0.0 was used, but its version did not: set "version" to 1.1.0/,
    );
    taxonomy.version = '1.1.0';
    writeFileSync(path, JSON.stringify(taxonomy, null, 2) + '\n');
    git(repo, 'add', path);
    expect(commit(repo).stderr).not.toContain('taxonomy changed');
  });

  it('runs the release plan when only meta.json and dvc.lock are staged: a removed column needs a major bump (defect 2)', () => {
    git(repo, 'tag', '-a', 'eval-dataset/x/v0.1.0', '-m', 'release');
    try {
      writeFile(join(repo, 'tool', 'columns.json'), '{"id": "string"}\n');
      dvcIn(repo, 'repro', '-q');
      git(repo, 'add', '-A');
      expect(git(repo, 'diff', '--cached', '--name-only')).not.toContain('manifest.jsonl');
      const r = commit(repo);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('x: version 0.1.0 → 0.1.0 declares no bump, but column `prompt` was removed: a major bump (1.0.0) is required');
    } finally {
      git(repo, 'tag', '-d', 'eval-dataset/x/v0.1.0');
    }
  });

  it('checks formatting without rewriting: a misformatted staged file is refused and left byte for byte (defect 5)', () => {
    const path = join(repo, 'lib', 'misformatted.ts');
    const text = 'export const  x = {a:1,\n b: "two"}\n';
    writeFile(path, text);
    git(repo, 'add', path);
    const staged = git(repo, 'rev-parse', ':lib/misformatted.ts');
    const r = commit(repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('these staged files are not formatted (prettier --check): lib/misformatted.ts');
    expect(r.stderr).toContain('Run `npx prettier --write lib/misformatted.ts`, then `dvc repro`');
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(git(repo, 'rev-parse', ':lib/misformatted.ts')).toBe(staged);
    unlinkSync(path);
    git(repo, 'rm', '-q', '--cached', 'lib/misformatted.ts');
  });

  it('reports a git failure as a refusal with git’s message, not a stack trace (defect 6)', () => {
    writeFile(join(repo, 'params.yaml'), `${params('0.1.0', 3)}# a blob that will go missing\n`);
    git(repo, 'add', 'params.yaml');
    const oid = git(repo, 'rev-parse', ':params.yaml');
    const object = join(repo, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
    expect(existsSync(object)).toBe(true);
    unlinkSync(object);
    const r = run(repo, process.execPath, ['--import', 'tsx', 'hooks/pre-commit.ts']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('evalset pre-commit: commit refused.');
    expect(r.stderr).toMatch(/failed: .*(fatal|error|missing|bad object)/i);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    git(repo, 'reset', '-q', 'params.yaml');
  });

  it('lets a commit that stages none of the watched paths through', () => {
    writeFile(join(repo, 'NOTES.md'), 'notes\n');
    git(repo, 'add', 'NOTES.md');
    const r = commit(repo, 'docs: notes');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
