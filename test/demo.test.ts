import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_DATASETS_MD5, InputsNotPulledError, trackedInputs } from '../lib/demo/trackedPool.ts';
import { writeDemo } from '../lib/demo/generate.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { evalset, git, read, run, venvDvc, workspace, writePool } from './helpers.ts';

/** A workspace that is a git repository with DVC initialised, as a clone of a project is. */
function dvcRepository(): string {
  const dir = workspace('evalset-demo-');
  git(dir, 'init', '-q', '-b', 'main');
  expect(run(dir, venvDvc, ['init', '-q']).status).toBe(0);
  return dir;
}

const datasetsDvc = (md5: string) => `outs:\n- md5: ${md5}\n  size: 10\n  nfiles: 1\n  hash: md5\n  path: datasets\n`;

describe('the demo and a tracked pool', () => {
  it('writes the demo pool whose `dvc add` md5 is DEMO_DATASETS_MD5 (the committed datasets.dvc), with real DVC', () => {
    const dir = dvcRepository();
    const demo = evalset(['--root', dir, 'demo']);
    expect(demo.stderr).toBe('');
    expect(demo.status).toBe(0);
    const add = run(dir, venvDvc, ['add', '-q', 'datasets']);
    expect(add.stderr).toBe('');
    expect(add.status).toBe(0);
    expect(read(join(dir, 'datasets.dvc'))).toContain(`md5: ${DEMO_DATASETS_MD5}\n`);
  }, 120_000);

  it('`evalset start` refuses, exit 2, naming `dvc pull`, when datasets.dvc tracks inputs that were not pulled; nothing is touched', () => {
    const dir = dvcRepository();
    writePool(
      dir,
      [
        {
          id: 'a-1',
          prompt: 'Summarise the memo.',
          reference: null,
          task_category: 'summarization',
          signals: {},
          capabilities: [],
          labels: {},
          source: 'mine',
        },
      ],
      'mine.jsonl',
    );
    expect(run(dir, venvDvc, ['add', '-q', 'datasets']).status).toBe(0);
    // A fresh clone: datasets.dvc is committed, datasets/ is not there until `dvc pull`.
    rmSync(join(dir, 'datasets'), { recursive: true });
    const pointer = read(join(dir, 'datasets.dvc'));
    expect(pointer).not.toContain(DEMO_DATASETS_MD5);

    const start = evalset(['--root', dir, 'start']);
    expect(start.status).toBe(2);
    expect(start.stderr).toMatch(/InputsNotPulledError/);
    expect(start.stderr).toContain('.venv/bin/dvc pull');
    expect(read(join(dir, 'datasets.dvc'))).toBe(pointer);
    expect(existsSync(join(dir, 'datasets'))).toBe(false);
    expect(existsSync(join(dir, 'dvc.lock'))).toBe(false);

    // `evalset demo` refuses the same way; --force is the explicit way to replace the inputs with the demo.
    expect(evalset(['--root', dir, 'demo']).status).toBe(2);
    expect(existsSync(join(dir, 'datasets'))).toBe(false);
    expect(evalset(['--root', dir, 'demo', '--force']).status).toBe(0);
    expect(existsSync(join(dir, 'datasets', 'pool', 'demo.jsonl'))).toBe(true);
  }, 120_000);

  it('tells untracked inputs, the demo and other data apart from datasets.dvc', () => {
    const dir = workspace('evalset-demo-');
    const datasets = join(dir, 'datasets');
    expect(trackedInputs(datasets)).toEqual({ kind: 'untracked' });
    writeFileSync(join(dir, 'datasets.dvc'), datasetsDvc(DEMO_DATASETS_MD5));
    expect(trackedInputs(datasets)).toEqual({ kind: 'demo' });
    writeFileSync(join(dir, 'datasets.dvc'), datasetsDvc('0123456789abcdef0123456789abcdef.dir'));
    expect(trackedInputs(datasets)).toEqual({ kind: 'other', md5: '0123456789abcdef0123456789abcdef.dir' });
    writeFileSync(join(dir, 'datasets.dvc'), 'outs: [\n');
    expect(() => trackedInputs(datasets)).toThrow(InvalidInputError);
    writeFileSync(join(dir, 'datasets.dvc'), 'outs:\n- path: elsewhere\n  md5: abc\n');
    expect(() => trackedInputs(datasets)).toThrow(/path: datasets/);
  });

  it('writes the demo into an empty pool when datasets.dvc tracks the demo itself (a fresh clone of this repository)', async () => {
    const dir = workspace('evalset-demo-');
    writeFileSync(join(dir, 'datasets.dvc'), datasetsDvc(DEMO_DATASETS_MD5));
    const result = await writeDemo(join(dir, 'datasets'), 'cl100k_base');
    expect(result.written).toEqual(
      [
        'pool/demo.jsonl',
        'annotations/demo.jsonl',
        'private/source.jsonl',
        'private/fields.yaml',
        'traffic',
        'reference-corpus/demo-crawl.jsonl',
        'calibration/demo.jsonl',
      ].map((p) => join(dir, 'datasets', p)),
    );
    writeFileSync(join(dir, 'datasets.dvc'), datasetsDvc('0123456789abcdef0123456789abcdef.dir'));
    rmSync(join(dir, 'datasets'), { recursive: true });
    await expect(writeDemo(join(dir, 'datasets'), 'cl100k_base')).rejects.toBeInstanceOf(InputsNotPulledError);
    expect(existsSync(join(dir, 'datasets'))).toBe(false);
  });
});
