import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoPool } from '../lib/demo/generate.ts';
import { sha256File } from '../lib/io/hash.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { readParquetFile, tableRows } from '../lib/io/parquet.ts';
import { loadTokenCounter, type TokenCounter } from '../lib/sampling/classify.ts';
import type { PoolExample } from '../lib/sampling/pool.ts';
import { runClassify } from '../stages/classify.ts';
import { runSample } from '../stages/sample.ts';
import { evalset, workspace, writeFile, writePool } from './helpers.ts';
import { Rng } from '../lib/demo/rng.ts';

let countTokens: TokenCounter;
let pool: PoolExample[];
beforeAll(async () => {
  countTokens = await loadTokenCounter('cl100k_base');
  pool = demoPool(countTokens);
});

function shuffled<T>(items: readonly T[], seed: number): T[] {
  return new Rng(seed).sample(items, items.length);
}

describe('determinism', () => {
  it('gives the same data.parquet bytes whatever the line order, file split, time zone and locale', () => {
    const a = workspace();
    writePool(a, pool);
    const b = workspace();
    const mixed = shuffled(pool, 7);
    writePool(b, mixed.slice(0, 1000), 'part-b.jsonl');
    writePool(b, mixed.slice(1000), 'part-a.jsonl');

    for (const [dir, env] of [
      [a, { TZ: 'UTC', LANG: 'C', LC_ALL: 'C' }],
      [b, { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' }],
    ] as const) {
      expect(evalset(['--root', dir, 'classify'], { env }).status).toBe(0);
      const r = evalset(['--root', dir, 'sample', '--dataset', 'representative'], { env });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    const out = (dir: string, f: string) => join(dir, 'evalsets', 'representative', f);
    expect(sha256File(out(b, 'data.parquet'))).toBe(sha256File(out(a, 'data.parquet')));
    expect(readFileSync(out(b, 'manifest.jsonl'), 'utf8')).toBe(readFileSync(out(a, 'manifest.jsonl'), 'utf8'));
    expect(readFileSync(out(b, 'meta.json'), 'utf8')).toBe(readFileSync(out(a, 'meta.json'), 'utf8'));
  });
});

describe('stability', () => {
  it('keeps at least 90% of the sample when the pool grows by 10%', async () => {
    const dir = workspace();
    writePool(dir, pool);
    await runClassify(dir);
    const before = (await runSample(dir, 'representative')).size.realised;
    const first = new Set(tableRows(readParquetFile(join(dir, 'evalsets', 'representative', 'data.parquet'))).map((r) => r.id));
    expect(first.size).toBe(before);

    const extra = shuffled(demoPool(countTokens, 99), 3)
      .slice(0, Math.round(pool.length * 0.1))
      .map((e) => ({ ...e, id: `new-${e.id}` }));
    writePool(dir, extra, 'zz-new.jsonl');
    await runClassify(dir);
    await runSample(dir, 'representative');
    const second = tableRows(readParquetFile(join(dir, 'evalsets', 'representative', 'data.parquet'))).map((r) => r.id);
    const kept = second.filter((id) => first.has(id as string)).length / first.size;
    expect(kept).toBeGreaterThanOrEqual(0.9);
  });
});

describe('outputs', () => {
  it('writes a manifest that matches the Parquet rows, sorted by id', async () => {
    const dir = workspace();
    writePool(dir, pool);
    await runClassify(dir);
    const meta = await runSample(dir, 'stress');
    const rows = tableRows(readParquetFile(join(dir, 'evalsets', 'stress', 'data.parquet')));
    const manifest = readFileSync(join(dir, 'evalsets', 'stress', 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(manifest.map((m) => m.id)).toEqual(rows.map((r) => r.id));
    expect(manifest.map((m) => m.stratum)).toEqual(rows.map((r) => r.stratum));
    expect([...manifest.map((m) => m.id)].sort()).toEqual(manifest.map((m) => m.id));
    expect(meta.files['data.parquet'].rows).toBe(rows.length);
    expect(meta.pool_limited).toEqual(['creative-writing×adversarial']);
    expect(meta.warnings[0]).toMatch(/pool-limited/);
    // The counts in meta.json are the counts in the file.
    for (const s of meta.strata) expect(rows.filter((r) => r.stratum === s.stratum)).toHaveLength(s.realised);
  });

  it('uses SOURCE_DATE_EPOCH for the timestamp when set, else the newest created_at', async () => {
    const dir = workspace();
    writePool(dir, pool);
    expect(evalset(['--root', dir, 'classify']).status).toBe(0);
    const newest = pool
      .map((e) => e.created_at!)
      .sort()
      .at(-1)!;
    const plain = JSON.parse(evalset(['--root', dir, '--json', 'sample', '-d', 'stress'], { env: { SOURCE_DATE_EPOCH: '' } }).stdout);
    expect(plain.timestamp).toBe(new Date(newest).toISOString());
    const pinned = JSON.parse(evalset(['--root', dir, '--json', 'sample', '-d', 'stress'], { env: { SOURCE_DATE_EPOCH: '1700000000' } }).stdout);
    expect(pinned.timestamp).toBe('2023-11-14T22:13:20.000Z');
    expect(pinned.timestamp_source).toBe('SOURCE_DATE_EPOCH');
  });

  it('refuses to classify a changed taxonomy when the previous assignments are missing, instead of recording no moves', async () => {
    const dir = workspace();
    writePool(dir, pool.slice(0, 100));
    const md5 = createHash('md5')
      .update(readFileSync(join(dir, 'taxonomy', 'strata.json')))
      .digest('hex');
    const lock = (hash: string) =>
      `schema: '2.0'\nstages:\n  classify:\n    deps:\n    - path: taxonomy/strata.json\n      hash: md5\n      md5: ${hash}\n`;
    writeFile(join(dir, 'dvc.lock'), lock('0'.repeat(32)));
    const r = evalset(['--root', dir, 'classify']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/MissingPreviousAssignmentsError: .*interim\/strata\.parquet from that run is missing/);
    expect(r.stderr).toContain('dvc pull interim/strata.parquet');
    writeFile(join(dir, 'dvc.lock'), lock(md5));
    expect(evalset(['--root', dir, 'classify']).status).toBe(0);
  });

  it('records a move in the reclassification registry when a new taxonomy version changes a stratum', async () => {
    const dir = workspace();
    writePool(dir, pool);
    await runClassify(dir);
    expect(readFileSync(join(dir, 'taxonomy', 'registry.jsonl'), 'utf8')).toBe('');
    const assignmentsPath = join(dir, 'interim', 'strata.parquet');
    const oldAssignments = readFileSync(assignmentsPath);
    const taxonomyPath = join(dir, 'taxonomy', 'strata.json');
    const taxonomy = JSON.parse(readFileSync(taxonomyPath, 'utf8'));
    taxonomy.version = '1.1.0';
    taxonomy.difficulty.signals.failure_rate.thresholds = [0.2, 0.6];
    writeFile(taxonomyPath, JSON.stringify(taxonomy));
    const summary = await runClassify(dir);
    const moved = pool.filter((e) => e.signals.failure_rate !== undefined && e.signals.failure_rate >= 0.5 && e.signals.failure_rate < 0.6);
    expect(summary.reclassified).toBe(moved.length);
    const lines = readFileSync(join(dir, 'taxonomy', 'registry.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(moved.map((e) => e.id).sort());
    expect(lines[0]).toMatchObject({ taxonomy_version: '1.1.0', previous_taxonomy_version: '1.0.0' });
    expect(lines[0].old).toMatch(/×adversarial$/);
    expect(lines[0].new).toMatch(/×moderate$/);
    // Append-only: running again with nothing new adds nothing.
    await runClassify(dir);
    expect(
      readFileSync(join(dir, 'taxonomy', 'registry.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(lines.length);
    // A run killed after the registry was written but before the table: the moves are not recorded twice.
    writeFile(assignmentsPath, oldAssignments);
    expect((await runClassify(dir)).reclassified).toBe(0);
    expect(
      readFileSync(join(dir, 'taxonomy', 'registry.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(lines.length);
  });
});

describe('demo inputs', () => {
  it("never write into a pool that holds the user's files", () => {
    const dir = workspace();
    writePool(dir, pool.slice(0, 5), 'mine.jsonl');
    const r = evalset(['--root', dir, 'demo']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('left the pool as it is');
    expect(existsSync(join(dir, 'datasets', 'pool', 'demo.jsonl'))).toBe(false);
  });

  it('write the same bytes on every run', () => {
    const [a, b] = [workspace(), workspace()];
    for (const dir of [a, b]) expect(evalset(['--root', dir, 'demo'], { env: { TZ: dir === a ? 'UTC' : 'Asia/Kolkata' } }).status).toBe(0);
    expect(sha256File(join(a, 'datasets', 'pool', 'demo.jsonl'))).toBe(sha256File(join(b, 'datasets', 'pool', 'demo.jsonl')));
  });
});

describe('bad input', () => {
  const good = () => {
    const dir = workspace();
    writePool(dir, pool.slice(0, 600));
    writeFile(join(dir, 'params.yaml'), readFileSync(join(dir, 'params.yaml'), 'utf8').replace('size: 1200', 'size: 300'));
    expect(evalset(['--root', dir, 'classify']).status).toBe(0);
    expect(evalset(['--root', dir, 'sample', '-d', 'representative']).status).toBe(0);
    return dir;
  };
  const outputs = (dir: string) =>
    [
      'interim/strata.parquet',
      'evalsets/representative/data.parquet',
      'evalsets/representative/manifest.jsonl',
      'evalsets/representative/meta.json',
    ].map((f) => (existsSync(join(dir, f)) ? sha256File(join(dir, f)) : 'absent'));
  const line = (e: object) => JSON.stringify(e) + '\n';
  const base = { id: 'bad-1', prompt: 'Summarize the text.', task_category: 'summarization' };

  const cases: [string, string, RegExp][] = [
    ['malformed JSON', '{"id": "bad-1", "prompt": \n', /datasets\/pool\/zz\.jsonl:1: malformed JSON/],
    ['a missing field', line({ id: 'bad-1', task_category: 'summarization' }), /zz\.jsonl:1: prompt: is required/],
    ['a mistyped field', line({ ...base, signals: { failure_rate: 'high' } }), /zz\.jsonl:1: signals\.failure_rate: must be number/],
    ['an out-of-range signal', line({ ...base, signals: { failure_rate: 1.5 } }), /zz\.jsonl:1: signals\.failure_rate: must be <= 1/],
    ['an unknown category', line({ ...base, task_category: 'poetry' }), /zz\.jsonl:1: task_category: unknown category "poetry"/],
    [
      'a duplicate id',
      line({ ...base, id: 'code-0001' }),
      new RegExp(`zz\\.jsonl:1: id: duplicate id "code-0001" \\(first at datasets/pool/pool\\.jsonl:\\d+\\)`),
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`rejects ${what} with exit 2, file:line:field, and leaves every output as it was`, () => {
      const dir = good();
      const before = outputs(dir);
      writeFile(join(dir, 'datasets', 'pool', 'zz.jsonl'), text);
      for (const command of [['classify'], ['validate']]) {
        const r = evalset(['--root', dir, ...command]);
        expect(r.status).toBe(2);
        expect(r.stdout + r.stderr).toMatch(message);
      }
      // sample reads back only the records it draws, so it refuses a pool that changed since classify.
      const r = evalset(['--root', dir, 'sample', '-d', 'representative']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/datasets\/pool: changed since classify ran .*run `evalset classify`/);
      expect(outputs(dir)).toEqual(before);
    });
  }

  it('refuses to sample from a pool edited in place since classify ran', () => {
    const dir = good();
    const before = outputs(dir);
    const path = join(dir, 'datasets', 'pool', 'pool.jsonl');
    writeFile(path, readFileSync(path, 'utf8').replace('"quality":"gold"', '"quality":"gild"'));
    const r = evalset(['--root', dir, 'sample', '-d', 'representative']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('datasets/pool: changed since classify ran (datasets/pool/pool.jsonl differs)');
    expect(outputs(dir)).toEqual(before);
  });

  it('refuses to sample with a taxonomy edited since classify ran', () => {
    const dir = good();
    const before = outputs(dir);
    const path = join(dir, 'taxonomy', 'strata.json');
    const taxonomy = JSON.parse(readFileSync(path, 'utf8'));
    taxonomy.difficulty.signals.failure_rate.thresholds = [0.25, 0.5];
    writeFile(path, JSON.stringify(taxonomy, null, 2));
    const r = evalset(['--root', dir, 'sample', '-d', 'representative']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('taxonomy/strata.json: changed since classify ran');
    expect(outputs(dir)).toEqual(before);
  });

  it('reads a pool file that starts with a UTF-8 byte-order mark, and samples from it', () => {
    const dir = workspace();
    writeFile(join(dir, 'datasets', 'pool', 'bom.jsonl'), '\ufeff' + toJsonl(pool));
    expect(evalset(['--root', dir, 'validate']).status).toBe(0);
    expect(evalset(['--root', dir, 'classify']).status).toBe(0);
    expect(evalset(['--root', dir, 'sample', '-d', 'stress']).status).toBe(0);
  });

  it('names a created_at that passes the date-time format but no date parser reads', () => {
    const dir = workspace();
    writeFile(join(dir, 'datasets', 'pool', 'p.jsonl'), line({ ...base, created_at: '2026-03-14T09:12:00+05' }));
    const r = evalset(['--root', dir, 'validate']);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('datasets/pool/p.jsonl:1: created_at: "2026-03-14T09:12:00+05" is not a date-time');
  });

  it('rejects an empty pool', () => {
    const dir = workspace();
    writeFile(join(dir, 'datasets', 'pool', 'empty.jsonl'), '\n');
    const r = evalset(['--root', dir, 'classify']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/datasets\/pool: holds no records: the pool is empty/);
  });

  it('rejects an invalid params file naming the line and field', () => {
    const dir = good();
    const before = outputs(dir);
    writeFile(join(dir, 'params.yaml'), readFileSync(join(dir, 'params.yaml'), 'utf8').replace('seed: 1729', 'seed: many'));
    const r = evalset(['--root', dir, 'sample', '-d', 'representative']);
    expect(r.status).toBe(2);
    const expectedLine =
      readFileSync(join(dir, 'params.yaml'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('seed: many')) + 1;
    expect(r.stderr).toContain(`params.yaml:${expectedLine}: datasets.representative.seed: must be integer`);
    expect(outputs(dir)).toEqual(before);
  });

  it('rejects an invalid taxonomy naming the field', () => {
    const dir = good();
    const before = outputs(dir);
    const path = join(dir, 'taxonomy', 'strata.json');
    writeFile(path, readFileSync(path, 'utf8').replace('"default": "moderate"', '"default": "hard"'));
    const r = evalset(['--root', dir, 'validate']);
    expect(r.status).toBe(2);
    const line =
      readFileSync(path, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('"default": "hard"')) + 1;
    expect(r.stdout).toContain(`taxonomy/strata.json:${line}: difficulty.default: "hard" is not one of the levels routine, moderate, adversarial`);
    expect(evalset(['--root', dir, 'classify']).status).toBe(2);
    expect(outputs(dir)).toEqual(before);
  });

  it('lists every problem, not only the first', () => {
    const dir = workspace();
    writePool(dir, pool.slice(0, 50));
    writeFile(join(dir, 'datasets', 'pool', 'zz.jsonl'), line({ ...base, task_category: 'poetry' }) + 'not json\n' + line({ id: 'q' }));
    const r = evalset(['--root', dir, '--json', 'validate']);
    expect(r.status).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.issues.map((i: { line: number; field?: string }) => `${i.line}:${i.field ?? ''}`)).toEqual([
      '1:task_category',
      '2:',
      '3:prompt',
      '3:task_category',
    ]);
  });

  it('refuses a pool smaller than the floors at the params.yaml line that set them, with every deficient stratum', () => {
    const dir = workspace();
    const thin = pool.filter((_, i) => i % 20 === 0);
    writePool(dir, thin);
    expect(evalset(['--root', dir, 'classify']).status).toBe(0);
    const r = evalset(['--root', dir, 'sample', '-d', 'representative']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /params\.yaml:\d+: datasets\.representative\.floor: the pool holds \d+ examples in the strata this dataset draws from, but their floors add up to \d+ \(short: [^)]*code-generation×adversarial \d+ of 30/,
    );
    expect(r.stderr).toMatch(/hint: Add candidates to the deficient strata/);
  });

  it('toJsonl is canonical whatever the key order', () => {
    expect(toJsonl([{ b: 1, a: { d: 2, c: 3 } }])).toBe('{"a":{"c":3,"d":2},"b":1}\n');
  });
});

describe('taxonomy edits', () => {
  it('refuses to classify with thresholds changed under the same version, naming the version to set; records the moves once it is set', async () => {
    const dir = workspace();
    writePool(dir, pool.slice(0, 400));
    await runClassify(dir);
    const path = join(dir, 'taxonomy', 'strata.json');
    const taxonomy = JSON.parse(readFileSync(path, 'utf8'));
    taxonomy.difficulty.signals.failure_rate.thresholds = [0.1, 0.3];
    writeFile(path, JSON.stringify(taxonomy, null, 2));
    const refused = evalset(['--root', dir, 'classify']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/taxonomy\/strata\.json.*version.*set "version" to 1\.1\.0/);
    expect(existsSync(join(dir, 'taxonomy', 'registry.jsonl')) ? readFileSync(join(dir, 'taxonomy', 'registry.jsonl'), 'utf8') : '').toBe('');

    taxonomy.version = '1.1.0';
    writeFile(path, JSON.stringify(taxonomy, null, 2));
    const summary = await runClassify(dir);
    expect(summary.reclassified).toBeGreaterThan(0);
    const moves = readFileSync(join(dir, 'taxonomy', 'registry.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(moves).toHaveLength(summary.reclassified);
    expect(JSON.parse(moves[0])).toMatchObject({ taxonomy_version: '1.1.0', previous_taxonomy_version: '1.0.0' });
  });

  it('refuses a renamed category under the same version, naming a new major version', async () => {
    const dir = workspace();
    writePool(dir, pool.slice(0, 50));
    await runClassify(dir);
    const path = join(dir, 'taxonomy', 'strata.json');
    writeFile(path, readFileSync(path, 'utf8').replace('"id": "routine"', '"id": "easy"').replace('"default": "routine"', '"default": "easy"'));
    const refused = evalset(['--root', dir, 'classify']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/set "version" to (1\.1\.0 \(or the next major|2\.0\.0)/);
  });
});

describe('interrupted classify runs', () => {
  it('refuses to sample from an assignment table its voucher does not vouch for', async () => {
    const dir = workspace();
    writePool(dir, pool.slice(0, 300));
    await runClassify(dir);
    const table = join(dir, 'interim', 'strata.parquet');
    const before = readFileSync(table);
    writePool(dir, pool.slice(0, 301));
    await runClassify(dir);
    // A kill between the table's rename and the voucher's: the old voucher beside the new table.
    const voucher = readFileSync(join(dir, 'interim', 'pool.json'));
    writeFile(table, before);
    writeFile(join(dir, 'interim', 'pool.json'), voucher);
    await expect(runSample(dir, 'stress')).rejects.toThrow(/strata\.parquet: is not the table interim\/pool\.json vouches for/);
  });
});
