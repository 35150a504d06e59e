import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetParams, parseParams } from '../lib/config/params.ts';
import { parseTaxonomy } from '../lib/config/taxonomy.ts';
import { taxonomyContentHash } from '../lib/config/taxonomyVersion.ts';
import { validateConfig, validateProject } from '../lib/config/validate.ts';
import { InvalidInputError, StratumBelowMinimumError, VALIDATE_HINT, describeIssues, type Issue } from '../lib/errors.ts';
import { columnsToArrowTable, encodeParquet } from '../lib/io/parquet.ts';
import { PoolChangedError, readPoolOrThrow } from '../lib/sampling/pool.ts';
import { evalset, git, workspace, writeFile } from './helpers.ts';

const LEVELS = ['routine', 'moderate', 'adversarial'];
const CATEGORIES = ['summarization', 'extraction', 'reasoning', 'code-generation', 'creative-writing'];
// failure_rate decides first; these values fall in routine, moderate and adversarial.
const RATE: Record<string, number> = { routine: 0.1, moderate: 0.3, adversarial: 0.7 };

/** A pool with `perStratum(stratum)` records in each stratum, classified by failure_rate alone (no tokenizer needed). */
function stratifiedPool(dir: string, perStratum: (stratum: string) => number): void {
  const lines: string[] = [];
  for (const c of CATEGORIES)
    for (const l of LEVELS)
      for (let i = 0; i < perStratum(`${c}×${l}`); i++)
        lines.push(JSON.stringify({ id: `${c}-${l}-${i}`, prompt: `p ${c} ${l} ${i}`, task_category: c, signals: { failure_rate: RATE[l] } }));
  writeFile(join(dir, 'datasets', 'pool', 'pool.jsonl'), lines.join('\n') + '\n');
}

/** params.yaml with one dataset `d`; `extra` lines are appended to its entry (4-space indent). */
function writeParams(dir: string, size: number, extra: string[] = []): string {
  const text = [
    'datasets:',
    '  d:',
    '    version: 0.1.0',
    '    seed: 1',
    `    size: ${size}`,
    '    allocation:',
    '      mode: proportional',
    ...extra,
    '',
  ].join('\n');
  writeFile(join(dir, 'params.yaml'), text);
  return text;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const validateJson = (dir: string) => {
  const r = evalset(['--root', dir, '--json', 'validate']);
  return { status: r.status, report: JSON.parse(r.stdout) as { ok: boolean; issues: Issue[] }, stderr: r.stderr };
};
const at = (issues: readonly Issue[]) => issues.map((i) => `${i.file}:${i.line}: ${i.field}`);

describe('validate lists every problem', () => {
  it('reports all 1,205 problems across both files, not the first 1,000, and sums up what the terminal leaves out', () => {
    const dir = workspace();
    writeFile(join(dir, 'datasets', 'pool', 'a.jsonl'), Array.from({ length: 1200 }, (_, i) => `{"id": "a${i}", "prompt": "p"}`).join('\n') + '\n');
    writeFile(join(dir, 'datasets', 'pool', 'b.jsonl'), 'not json\n'.repeat(5));
    const { status, report } = validateJson(dir);
    expect(status).toBe(2);
    expect(report.issues).toHaveLength(1205);
    expect(report.issues.filter((i) => i.file === 'datasets/pool/b.jsonl')).toHaveLength(5);

    const human = evalset(['--root', dir, 'validate']);
    expect(human.status).toBe(2);
    expect(human.stdout).toMatch(/^1,205 problems in the inputs:/);
    expect(human.stdout).toContain('    datasets/pool/a.jsonl: 1,200 (task_category: 1,200)');
    expect(human.stdout).toContain('    datasets/pool/b.jsonl: 5 (whole line: 5)');
    expect(human.stdout).toContain('--json');
    expect(
      human.stdout
        .trimEnd()
        .split('\n')
        .filter((l) => /^ {2}datasets\/pool\/a\.jsonl:\d+:/.test(l)).length,
    ).toBeLessThan(1200);
  });

  it('describes issues the same way in validate and in InvalidInputError, with plurals that agree', () => {
    const one: Issue[] = [{ file: 'params.yaml', line: 3, field: 'datasets.d.size', message: 'is required' }];
    expect(describeIssues(one)).toBe('1 problem in the inputs:\n  params.yaml:3: datasets.d.size: is required');
    expect(new InvalidInputError(one).message).toBe(describeIssues(one));
    const many: Issue[] = Array.from({ length: 25 }, (_, i) => ({
      file: i < 20 ? 'a.jsonl' : 'b.jsonl',
      line: i + 1,
      field: i % 2 ? 'id' : 'prompt',
      message: 'x',
    }));
    const text = describeIssues(many, 3);
    expect(text.split('\n')[0]).toBe('25 problems in the inputs:');
    expect(text).toContain('… and 22 more (add `--json` to list every one); all 25 by file and field:');
    expect(text).toContain('    a.jsonl: 20 (id: 10, prompt: 10)');
    expect(text).toContain('    b.jsonl: 5 (prompt: 3, id: 2)');
    expect(InvalidInputError.describe(many, 3)).toBe(text);
  });

  it('points to `evalset validate` only for the inputs validate checks', () => {
    expect(new InvalidInputError([{ file: 'eval-dataset/x/v1.0.0', message: 'no such tag' }]).hint).not.toContain('validate');
    expect(new PoolChangedError('a.jsonl differs').hint).not.toContain('validate');
    const dir = workspace();
    writeFile(join(dir, 'datasets', 'pool', 'a.jsonl'), 'not json\n');
    try {
      readPoolOrThrow(join(dir, 'datasets', 'pool'), new Set(['summarization']), () => {}, dir);
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidInputError).hint).toBe(VALIDATE_HINT);
    }
    expect(new StratumBelowMinimumError('d', 'reasoning×adversarial', 1, 30).message).toBe(
      'dataset d: stratum reasoning×adversarial has 1 example, below its minimum of 30',
    );
  });
});

describe('validate refuses whatever sample would refuse', () => {
  it('refuses a floor larger than the size without reading the pool, naming the line', () => {
    const dir = workspace();
    const text = writeParams(dir, 20, ['    floor: 25', '    floors:', '      reasoning×adversarial: 40']);
    const issues = validateConfig(dir);
    expect(at(issues)).toEqual([
      `params.yaml:${lineOf(text, 'floor: 25')}: datasets.d.floor`,
      `params.yaml:${lineOf(text, 'reasoning×adversarial')}: datasets.d.floors.reasoning×adversarial`,
    ]);
    expect(issues[0].message).toContain("25 is larger than the dataset's size, 20");
  });

  it('refuses a size below the default floor when no floor is set', () => {
    const dir = workspace();
    const text = writeParams(dir, 10);
    expect(at(validateConfig(dir))).toEqual([`params.yaml:${lineOf(text, 'size: 10')}: datasets.d.size`]);
  });

  it('counts the pool as sample sees it, after the duplicates screen', async () => {
    const dir = workspace();
    stratifiedPool(dir, () => 12);
    // Twelve more records in one stratum, each the same prompt as one already there: still 12 eligible.
    const twins = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        id: `twin-${i}`,
        prompt: `P  reasoning adversarial ${i}`,
        task_category: 'reasoning',
        signals: { failure_rate: RATE.adversarial },
      }),
    );
    writeFile(join(dir, 'datasets', 'pool', 'twins.jsonl'), twins.join('\n') + '\n');
    const text = writeParams(dir, 300, ['    floor: 10', '    floors:', '      reasoning×adversarial: 20', '    allow_pool_limited: false']);
    const { issues } = await validateProject(dir);
    expect(at(issues)).toEqual([`params.yaml:${lineOf(text, 'reasoning×adversarial: 20')}: datasets.d.floors.reasoning×adversarial`]);
    expect(issues[0].message).toContain('has 12 candidates in the pool, below its floor of 20');
  });

  it('refuses a pool smaller than the floors (PoolTooSmallError), at the floor line', async () => {
    const dir = workspace();
    stratifiedPool(dir, () => 4);
    const text = writeParams(dir, 50, ['    floor: 10']);
    expect(validateConfig(dir)).toEqual([]);
    const { issues } = await validateProject(dir);
    expect(at(issues)).toEqual([`params.yaml:${lineOf(text, 'floor: 10')}: datasets.d.floor`]);
    expect(issues[0].message).toContain('the pool holds 60 examples in the strata this dataset draws from, but their floors add up to 150');
  });

  it('refuses every stratum below its minimum when pool-limited strata are not allowed, each at the key that set its floor', async () => {
    const dir = workspace();
    stratifiedPool(dir, (s) => (s === 'reasoning×adversarial' ? 2 : s === 'extraction×routine' ? 3 : 20));
    const text = writeParams(dir, 200, ['    floor: 10', '    floors:', '      extraction×routine: 12', '    allow_pool_limited: false']);
    const { issues } = await validateProject(dir);
    expect(at(issues).sort()).toEqual(
      [
        `params.yaml:${lineOf(text, 'floor: 10')}: datasets.d.floor`,
        `params.yaml:${lineOf(text, 'extraction×routine: 12')}: datasets.d.floors.extraction×routine`,
      ].sort(),
    );
    expect(issues.find((i) => i.field === 'datasets.d.floor')!.message).toContain(
      'stratum reasoning×adversarial has 2 candidates in the pool, below its floor of 10',
    );
  });

  it('refuses a size below the floors of the strata that have candidates (BudgetBelowFloorsError), at the size line', async () => {
    const dir = workspace();
    stratifiedPool(dir, () => 20);
    const text = writeParams(dir, 100, ['    floor: 10']);
    const r = validateJson(dir);
    expect(r.status).toBe(2);
    expect(at(r.report.issues)).toEqual([`params.yaml:${lineOf(text, 'size: 100')}: datasets.d.size`]);
    expect(r.report.issues[0].message).toContain('add up to 150');
  });

  it('passes a dataset the pool can fill', async () => {
    const dir = workspace();
    stratifiedPool(dir, () => 20);
    writeParams(dir, 100, ['    floor: 5']);
    const r = evalset(['--root', dir, 'validate']);
    expect(r.stdout).toContain('ok: params, taxonomy and 300 pool records are valid');
    expect(r.status).toBe(0);
  });

  it('names the line of a share or floor key that is not in the taxonomy', () => {
    const dir = workspace();
    const text = writeParams(dir, 100, ['    floors:', '      poetry×routine: 3']).replace(
      'mode: proportional',
      'mode: explicit\n      shares:\n        poetry: 1\n        reasoning: 1',
    );
    writeFile(join(dir, 'params.yaml'), text);
    expect(at(validateConfig(dir))).toEqual([
      `params.yaml:${lineOf(text, 'poetry: 1')}: datasets.d.allocation.shares.poetry`,
      `params.yaml:${lineOf(text, 'poetry×routine')}: datasets.d.floors.poetry×routine`,
    ]);
  });
});

describe('dataset names', () => {
  it.each(['x; touch PWNED', '$(touch PWNED)', 'Stress', '-rf'])('refuses %j with its line and field, and runs nothing', (name) => {
    const dir = workspace();
    const text = writeParams(dir, 100, ['    floor: 5']).replace('  d:', `  ${JSON.stringify(name)}:`);
    writeFile(join(dir, 'params.yaml'), text);
    const issues = validateConfig(dir);
    expect(at(issues)).toEqual([`params.yaml:2: datasets.${name}`]);
    expect(issues[0].message).toContain('is not an allowed dataset name');
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it.each(['__proto__', 'constructor', 'toString'])('says there is no dataset %j instead of a stack trace', (name) => {
    const dir = workspace();
    const r = evalset(['--root', dir, 'sample', '--dataset', name]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`no dataset \`${name}\` in params.yaml; datasets: representative, stress`);
    expect(r.stderr).not.toContain('    at ');
    const params = parseParams(readFileSync(join(dir, 'params.yaml'), 'utf8'), 'params.yaml');
    expect(() => datasetParams(params, name)).toThrow(InvalidInputError);
  });

  it('refuses a misspelt key and an empty datasets map, with lines', () => {
    const dir = workspace();
    const text = writeParams(dir, 100).replace('size: 100', 'sizee: 100');
    writeFile(join(dir, 'params.yaml'), text);
    expect(at(validateConfig(dir))).toEqual(['params.yaml:2: datasets.d.size', `params.yaml:${lineOf(text, 'sizee')}: datasets.d.sizee`]);
    for (const empty of ['datasets:\n', 'datasets: {}\n']) {
      writeFile(join(dir, 'params.yaml'), empty);
      const issues = validateConfig(dir);
      expect(at(issues)).toEqual(['params.yaml:1: datasets']);
      expect(issues[0].message).toContain('at least one dataset');
    }
  });
});

describe('taxonomy edits under the same version', () => {
  const taxonomyPath = (dir: string) => join(dir, 'taxonomy', 'strata.json');
  const edit = (dir: string, change: (t: Record<string, any>) => void) => {
    const t = JSON.parse(readFileSync(taxonomyPath(dir), 'utf8'));
    change(t);
    writeFileSync(taxonomyPath(dir), JSON.stringify(t, null, 2) + '\n');
  };
  const committedWorkspace = () => {
    const dir = workspace();
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '--no-verify', '-m', 'taxonomy');
    return dir;
  };

  it('refuses changed thresholds against the taxonomy committed at HEAD and asks for the next minor', () => {
    const dir = committedWorkspace();
    expect(validateConfig(dir)).toEqual([]);
    edit(dir, (t) => (t.difficulty.signals.prompt_tokens.thresholds = [300, 800]));
    const r = evalset(['--root', dir, 'validate']);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(
      'taxonomy/strata.json:2: version: the taxonomy changed since version 1.0.0 was used, but its version did not: set "version" to 1.1.0',
    );
    edit(dir, (t) => (t.version = '1.1.0'));
    expect(validateConfig(dir)).toEqual([]);
  });

  it('asks for a new major when a category is renamed', () => {
    const dir = committedWorkspace();
    edit(dir, (t) => (t.categories[0].id = 'summary'));
    const [issue] = validateConfig(dir);
    expect(issue).toMatchObject({ file: 'taxonomy/strata.json', line: 2, field: 'version' });
    expect(issue.message).toContain('set "version" to 2.0.0');
  });

  it('compares with the stamp of the previous assignment table when there is one, even outside git', () => {
    const dir = workspace();
    const before = parseTaxonomy(readFileSync(taxonomyPath(dir), 'utf8'), 't');
    const table = (columns: Record<string, string[]>) =>
      encodeParquet(columnsToArrowTable(Object.fromEntries(Object.keys(columns).map((c) => [c, 'string' as const])), columns));
    writeFile(
      join(dir, 'interim', 'strata.parquet'),
      table({ id: ['a'], taxonomy_version: ['1.0.0'], taxonomy_content_hash: [taxonomyContentHash(before)] }),
    );
    expect(validateConfig(dir)).toEqual([]);
    edit(dir, (t) => (t.categories[1].thresholds = { prompt_tokens: [300, 900] }));
    expect(validateConfig(dir).map((i) => i.field)).toEqual(['version']);
    // A table from before the content hash was recorded, and no git: nothing to compare with.
    writeFile(join(dir, 'interim', 'strata.parquet'), table({ id: ['a'], taxonomy_version: ['1.0.0'] }));
    expect(validateConfig(dir)).toEqual([]);
  });
});
