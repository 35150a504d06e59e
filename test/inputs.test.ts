import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParams } from '../lib/config/params.ts';
import { parseTaxonomy } from '../lib/config/taxonomy.ts';
import { InvalidInputError, type Issue } from '../lib/errors.ts';
import { readJsonl } from '../lib/io/jsonl.ts';
import { projectRoot, workspace, writeFile } from './helpers.ts';

/** The CLI with a time limit: a pool file that is a FIFO must not hang it. */
function evalsetWithin(seconds: number, args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'evalset.js'), ...args], { encoding: 'utf8', timeout: seconds * 1000 });
}

const poolDir = (dir: string) => join(dir, 'datasets', 'pool');
const good = (id: string) => JSON.stringify({ id, prompt: 'Summarize this.', task_category: 'summarization', signals: { failure_rate: 0.1 } });
const issuesOf = (dir: string): Issue[] => {
  const r = evalsetWithin(60, ['--root', dir, '--json', 'validate']);
  expect(r.status).toBe(2);
  return JSON.parse(r.stdout).issues;
};
const thrownIssues = (parse: () => unknown): Issue[] => {
  try {
    parse();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.issues;
    throw err;
  }
  throw new Error('expected an InvalidInputError');
};

describe('pool files that cannot be read', () => {
  it('names a dangling symlink, a FIFO and a directory called *.jsonl, without hanging or a stack trace', () => {
    const dir = workspace();
    writeFile(join(poolDir(dir), 'a-good.jsonl'), good('a') + '\n');
    symlinkSync(join(dir, 'nowhere.jsonl'), join(poolDir(dir), 'b-link.jsonl'));
    expect(spawnSync('mkfifo', [join(poolDir(dir), 'c-fifo.jsonl')]).status).toBe(0);
    mkdirSync(join(poolDir(dir), 'd-dir.jsonl'));

    expect(issuesOf(dir)).toEqual([
      { file: 'datasets/pool/b-link.jsonl', message: 'is a symbolic link to a file that does not exist' },
      { file: 'datasets/pool/c-fifo.jsonl', message: 'is a named pipe (FIFO), not a regular file' },
      { file: 'datasets/pool/d-dir.jsonl', message: 'is a directory, not a file' },
    ]);
    const classify = evalsetWithin(60, ['--root', dir, 'classify']);
    expect(classify.status).toBe(2);
    expect(classify.stderr).toContain('datasets/pool/d-dir.jsonl: is a directory, not a file');
    expect(classify.stderr).not.toContain('unexpected error');
  });

  it.skipIf(process.getuid?.() === 0)('names a file without read permission', () => {
    const dir = workspace();
    writeFile(join(poolDir(dir), 'a.jsonl'), good('a') + '\n');
    chmodSync(join(poolDir(dir), 'a.jsonl'), 0o000);
    expect(issuesOf(dir)).toEqual([{ file: 'datasets/pool/a.jsonl', message: 'cannot be read (permission denied)' }]);
  });

  it('yields one issue for a directory from readJsonl instead of throwing', () => {
    const dir = workspace();
    mkdirSync(join(dir, 'x.jsonl'));
    expect([...readJsonl(join(dir, 'x.jsonl'), 'x.jsonl')].map((e) => e.issue)).toEqual([{ file: 'x.jsonl', message: 'is a directory, not a file' }]);
  });
});

describe('strings in pool records', () => {
  it('refuses a whitespace-only id', () => {
    const dir = workspace();
    writeFile(join(poolDir(dir), 'a.jsonl'), good('a') + '\n' + good(' \t ') + '\n');
    expect(issuesOf(dir)).toEqual([{ file: 'datasets/pool/a.jsonl', line: 2, field: 'id', message: 'must not be empty or only whitespace' }]);
  });

  it('refuses a lone surrogate in any string or key, and accepts a surrogate pair', () => {
    const dir = workspace();
    const lines = [
      '{"id": "ok", "prompt": "smile \\ud83d\\ude00", "task_category": "summarization"}',
      '{"id": "p", "prompt": "broken \\ud800 text", "task_category": "summarization"}',
      '{"id": "l", "prompt": "x", "task_category": "summarization", "labels": {"notes": ["fine", "\\udfff"]}}',
      '{"id": "k", "prompt": "x", "task_category": "summarization", "labels": {"\\uDBFF": 1}}',
    ];
    writeFile(join(poolDir(dir), 'a.jsonl'), lines.join('\n') + '\n');
    expect(issuesOf(dir).map((i) => `${i.line}: ${i.field}`)).toEqual(['2: prompt', '3: labels.notes.1', '4: labels.\ufffd']);
  });

  it('refuses a line that is not UTF-8 instead of reading it as U+FFFD', () => {
    const dir = workspace();
    const bad = Buffer.concat([
      Buffer.from('{"id": "b", "prompt": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('", "task_category": "summarization"}\n'),
    ]);
    const fine = Buffer.from(good('real \ufffd kept') + '\n');
    writeFile(join(poolDir(dir), 'a.jsonl'), Buffer.concat([fine, bad]));
    expect(issuesOf(dir)).toEqual([{ file: 'datasets/pool/a.jsonl', line: 2, message: 'is not valid UTF-8 (re-save the file as UTF-8)' }]);
  });
});

describe('strings in params and taxonomy', () => {
  it('refuses a lone surrogate in params.yaml, naming its line', () => {
    const text = readFileSync(join(projectRoot, 'params.yaml'), 'utf8').replace(
      'pretty_name: evalset demo — stress',
      'pretty_name: "stress \\ud800"',
    );
    const line = text.split('\n').findIndex((l) => l.includes('\\ud800')) + 1;
    expect(thrownIssues(() => parseParams(text, 'params.yaml'))).toEqual([
      expect.objectContaining({ file: 'params.yaml', line, field: 'datasets.stress.card.pretty_name' }),
    ]);
  });

  it('refuses a lone surrogate in the taxonomy, naming its line', () => {
    const text = readFileSync(join(projectRoot, 'taxonomy', 'strata.json'), 'utf8').replace(
      '"Condense a given text, keeping its key facts."',
      '"Condense \\ud800"',
    );
    const line = text.split('\n').findIndex((l) => l.includes('\\ud800')) + 1;
    expect(thrownIssues(() => parseTaxonomy(text, 'taxonomy/strata.json'))).toEqual([
      expect.objectContaining({ file: 'taxonomy/strata.json', line, field: 'categories.0.description' }),
    ]);
  });
});
