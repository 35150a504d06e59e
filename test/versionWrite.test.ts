import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidInputError } from '../lib/errors.ts';
import { planRelease } from '../lib/versioning/plan.ts';
import { snapshotOf } from '../lib/versioning/snapshot.ts';
import { requiredVersionWrites, setDeclaredVersion } from '../lib/versioning/writeVersion.ts';
import { evalset, git, projectRoot, workspace, writeFile } from './helpers.ts';
import { datasetRow, releaseFiles } from './support/datasetRows.ts';

/** The InvalidInputError `body` throws, for its issues. */
function inputError(body: () => unknown): InvalidInputError {
  try {
    body();
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  throw new Error('no InvalidInputError was thrown');
}

/** `text` with the line holding `datasets.<dataset>.version: <from>` changed to `<to>`, found by plain text search. */
function withVersionLine(text: string, dataset: string, from: string, to: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line === `  ${dataset}:`);
  const at = lines.findIndex((line, i) => i > start && line === `    version: ${from}`);
  expect(at).toBeGreaterThan(start);
  lines[at] = `    version: ${to}`;
  return lines.join('\n');
}

/** The project's own params.yaml: its comments, flow collections and long lines are what must survive. */
const projectParams = readFileSync(join(projectRoot, 'params.yaml'), 'utf8');
const projectDatasets = Object.entries((parse(projectParams) as { datasets: Record<string, { version: string }> }).datasets);

describe('setDeclaredVersion', () => {
  it("changes only the version line of the project's params.yaml, for each of its datasets", () => {
    expect(projectDatasets.length).toBeGreaterThan(0);
    for (const [name, { version }] of projectDatasets) {
      const after = setDeclaredVersion(projectParams, name, '9.8.7');
      expect(after).toBe(withVersionLine(projectParams, name, version, '9.8.7'));
      const changed = after.split('\n').filter((line, i) => line !== projectParams.split('\n')[i]);
      expect(changed).toEqual(['    version: 9.8.7']);
    }
  });

  it('keeps quoting, a trailing comment, flow style, odd spacing and CRLF line ends', () => {
    const text = [
      '# header: kept',
      'datasets:',
      '  a:',
      '    version: "0.1.0"   # bumped by the bot',
      '    seed: 1',
      "  b: {version: '1.2.3',   seed: 2}",
      '  c:',
      '    version:    0.1.0',
      'extra: [1,2]    # spacing kept',
      '',
    ].join('\n');
    const out = setDeclaredVersion(setDeclaredVersion(setDeclaredVersion(text, 'a', '0.2.0'), 'b', '2.0.0'), 'c', '0.1.1');
    expect(out).toBe(text.replace('"0.1.0"', '"0.2.0"').replace("'1.2.3'", "'2.0.0'").replace('version:    0.1.0', 'version:    0.1.1'));
    const crlf = text.replaceAll('\n', '\r\n');
    expect(setDeclaredVersion(crlf, 'a', '0.2.0')).toBe(crlf.replace('"0.1.0"', '"0.2.0"'));
  });

  it('refuses an unknown dataset, naming params.yaml, the line and the field', () => {
    const err = inputError(() => setDeclaredVersion(projectParams, 'nope', '1.0.0'));
    expect(err.issues).toEqual([
      {
        file: 'params.yaml',
        line: projectParams.split('\n').indexOf('datasets:') + 1,
        field: 'datasets.nope',
        message: `no dataset \`nope\` in params.yaml; it names ${projectDatasets.map(([n]) => `\`${n}\``).join(', ')}`,
      },
    ]);
  });

  it('refuses a dataset without a version, and a file that is not YAML', () => {
    expect(inputError(() => setDeclaredVersion('datasets:\n  a:\n    seed: 1\n', 'a', '1.0.0')).issues).toEqual([
      { file: 'params.yaml', line: 2, field: 'datasets.a.version', message: 'is required: add `version: <major>.<minor>.<patch>` to set it' },
    ]);
    const [issue] = inputError(() => setDeclaredVersion('datasets:\n  a: [\n', 'a', '1.0.0')).issues;
    expect(issue).toMatchObject({ file: 'params.yaml', line: expect.any(Number) });
  });

  it('refuses to write something that is not a semantic version', () => {
    expect(() => setDeclaredVersion(projectParams, projectDatasets[0][0], '1.0')).toThrow(RangeError);
  });
});

describe('requiredVersionWrites: which plans get a version written', () => {
  const rows = [datasetRow('1'), datasetRow('2'), datasetRow('3')];
  const snapshot = (rs = rows) => {
    const files = releaseFiles('d', '1.3.0', rs);
    return snapshotOf('d', files['evalsets/d/meta.json'], files['evalsets/d/manifest.jsonl'], '');
  };
  const previous = { tag: 'eval-dataset/d/v1.3.0', version: '1.3.0', snapshot: snapshot() };
  const added = snapshot([...rows, datasetRow('4')]);
  const writes = (declared: string, current = added, prev: typeof previous | null = previous) =>
    requiredVersionWrites([planRelease('d', prev, current, declared)]);

  it('an under-bump is raised to the required version', () => expect(writes('1.3.0')).toEqual([{ dataset: 'd', from: '1.3.0', to: '1.4.0' }]));
  it('an over-bump is set back to the required version (the rules accept that version only)', () =>
    expect(writes('2.0.0')).toEqual([{ dataset: 'd', from: '2.0.0', to: '1.4.0' }]));
  it('a bump with nothing changed goes back to the released version', () =>
    expect(writes('1.3.1', snapshot())).toEqual([{ dataset: 'd', from: '1.3.1', to: '1.3.0' }]));
  it('a version that is not semver is replaced', () => expect(writes('next')).toEqual([{ dataset: 'd', from: 'next', to: '1.4.0' }]));
  it('an accepted version is left alone', () => expect(writes('1.4.0')).toEqual([]));
  it('a first release has no required version: nothing is written, accepted or not', () => {
    expect(writes('0.1.0', added, null)).toEqual([]);
    expect(writes('0.0.9', added, null)).toEqual([]);
  });
});

describe('evalset version plan --write, in a git repository with a release tag', () => {
  let repo: string;
  const [[released, { version: releasedVersion }], ...others] = projectDatasets;
  const required = semver.inc(releasedVersion, 'minor')!;
  const paramsPath = () => join(repo, 'params.yaml');

  beforeAll(() => {
    // Every dataset of params.yaml gets files; only the first is released and then changed (a minor bump).
    repo = workspace('evalset-version-write-');
    const rows = [datasetRow('a'), datasetRow('b'), datasetRow('c', { stratum: 'code-generation×routine' })];
    for (const [name, { version }] of projectDatasets) {
      for (const [path, text] of Object.entries(releaseFiles(name, version, rows))) writeFile(join(repo, path), text);
    }
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '--no-verify', '-m', 'first release');
    git(repo, 'tag', '-a', `eval-dataset/${released}/v${releasedVersion}`, '-m', `${released} ${releasedVersion}`);
    for (const [path, text] of Object.entries(releaseFiles(released, releasedVersion, [...rows, datasetRow('d')]))) writeFile(join(repo, path), text);
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('refuses the unchanged version, writes the required one, and a second --write changes nothing', () => {
    const paramsBefore = readFileSync(paramsPath(), 'utf8');

    const refused = evalset(['version', 'plan'], { cwd: repo });
    expect(refused.stderr).toBe('');
    expect(refused.stdout).toContain(`1 example added: a minor bump (${required}) is required`);
    expect(refused.status).toBe(1);

    const wrote = evalset(['version', 'plan', '--write'], { cwd: repo });
    expect(wrote.stderr).toBe('');
    expect(wrote.stdout).toMatch(
      new RegExp(
        `^datasets\\.${released}\\.version: ${releasedVersion} → ${required}\nparams\\.yaml written: run \`dvc repro\` and stage the result\n\n`,
      ),
    );
    expect(
      wrote.stdout
        .trimEnd()
        .split('\n\n')
        .slice(1)
        .map((plan) => plan.split('\n').at(-1)),
    ).toEqual(projectDatasets.map(() => 'ok'));
    expect(wrote.status).toBe(0);
    const paramsAfter = readFileSync(paramsPath(), 'utf8');
    expect(paramsAfter).toBe(withVersionLine(paramsBefore, released, releasedVersion, required));
    expect(readdirSync(repo).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const mtime = statSync(paramsPath()).mtimeMs;
    const again = evalset(['version', 'plan', '--write', '--json'], { cwd: repo });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    const plans = JSON.parse(again.stdout) as { dataset: string; declaredVersion: string; required: string; ok: boolean; written: unknown }[];
    expect(plans.map((p) => [p.dataset, p.declaredVersion, p.required, p.ok, p.written])).toEqual([
      [released, required, 'minor', true, null],
      ...others.map(([name, { version }]) => [name, version, 'initial', true, null]),
    ]);
    expect(readFileSync(paramsPath(), 'utf8')).toBe(paramsAfter);
    expect(statSync(paramsPath()).mtimeMs).toBe(mtime);
  });
});
