import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../lib/io/hash.ts';
import { loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy } from '../lib/config/taxonomy.ts';
import { openMembership } from '../lib/contamination/membershipRun.ts';
import { membershipSettings } from '../lib/contamination/settings.ts';
import { demoContamination } from '../lib/demo/contamination.ts';
import { demoPool } from '../lib/demo/generate.ts';
import { columnValues, readParquetFile, tableRows } from '../lib/io/parquet.ts';
import { loadTokenCounter } from '../lib/sampling/classify.ts';
import { DATASET_COLUMNS, manifestLine, type DatasetRow } from '../lib/sampling/dataset.ts';
import { STAGES } from '../stages/index.ts';
import { builtCopyOfRepository, copyOfRepository, git, run, venvDvc, venvPython } from './helpers.ts';

const outputsOf = (dir: string) =>
  ['data.parquet', 'quarantine.parquet', 'manifest.jsonl', 'meta.json', 'README.md', 'quality/balance.json'].flatMap((f) =>
    ['representative', 'stress'].map((d) => sha256File(join(dir, 'evalsets', d, f))),
  );

describe('end to end with real DVC and git', () => {
  let repo: string;
  beforeAll(() => {
    repo = builtCopyOfRepository();
  });

  it('leaves DVC up to date and the committed outputs byte-identical (a fresh clone stays clean)', () => {
    expect(run(repo, venvDvc, ['status', '-q']).status).toBe(0);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it("identifies the sample stage's code by the git object ids an auditor can compare with, and vouches for every file it wrote", () => {
    const meta = JSON.parse(readFileSync(join(repo, 'evalsets', 'representative', 'meta.json'), 'utf8'));
    const sample = STAGES.find((s) => s.name === 'sample')!;
    expect(Object.keys(meta.code)).toEqual(sample.code);
    for (const path of sample.code) expect(meta.code[path]).toBe(git(repo, 'rev-parse', `HEAD:${path}`));
    for (const [file, recorded] of Object.entries(meta.files) as [string, { sha256: string }][]) {
      expect(recorded.sha256).toBe(sha256File(join(repo, 'evalsets', 'representative', file)));
    }
  });

  it('re-runs only the card when card code changes, never the sampling', () => {
    const path = join(repo, 'lib', 'card', 'render.ts');
    const original = readFileSync(path, 'utf8');
    try {
      writeFileSync(path, original + '\n// an edit\n');
      const r = run(repo, venvDvc, ['status', '--json']);
      expect(Object.keys(JSON.parse(r.stdout)).sort()).toEqual(['card@representative', 'card@stress']);
    } finally {
      writeFileSync(path, original);
    }
  });

  it('keeps every excluded candidate the draw passed over in quarantine.parquet, readable by pyarrow', () => {
    const dir = join(repo, 'evalsets', 'representative');
    const eligibility = JSON.parse(readFileSync(join(dir, 'quality', 'eligibility.json'), 'utf8'));
    const script = `
import json, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(json.dumps({"columns": t.column_names, "rows": [[r["id"], r["check"], r["reason"]] for r in t.to_pylist()]}))`;
    const r = spawnSync(venvPython, ['-c', script, join(dir, 'quarantine.parquet')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.columns).toEqual([...Object.keys(DATASET_COLUMNS), 'check', 'score', 'reason']);
    expect(out.rows).toEqual(eligibility.details.quarantined.map((q: { id: string; check: string; reason: string }) => [q.id, q.check, q.reason]));
    const drawn = new Set(tableRows(readParquetFile(join(dir, 'data.parquet'))).map((row) => row.id));
    expect(out.rows.filter(([id]: [string]) => drawn.has(id))).toEqual([]);
  });

  it('writes Parquet rows that equal the manifest', () => {
    for (const name of ['representative', 'stress']) {
      const rows = tableRows(readParquetFile(join(repo, 'evalsets', name, 'data.parquet'))) as unknown as DatasetRow[];
      const manifest = readFileSync(join(repo, 'evalsets', name, 'manifest.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows.map(manifestLine)).toEqual(manifest);
    }
  });

  it('opens data.parquet in pyarrow, pandas and DuckDB with the documented types', () => {
    const file = join(repo, 'evalsets', 'stress', 'data.parquet');
    const script = `
import json, sys
import pyarrow.parquet as pq, pandas as pd, duckdb
path = sys.argv[1]
schema = pq.read_schema(path)
df = pd.read_parquet(path)
con = duckdb.connect()
duck = con.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
print(json.dumps({
  "arrow": {f.name: str(f.type) for f in schema},
  "pandas_rows": len(df),
  "pandas_first_caps": list(df["capabilities"].iloc[0]),
  "pandas_labels": json.loads(df["labels"].iloc[0]),
  "duckdb": {row[0]: row[1] for row in duck},
  "duckdb_rows": con.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0],
}))`;
    const r = spawnSync(venvPython, ['-c', script, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    const rows = tableRows(readParquetFile(file));
    expect(out.arrow).toEqual({
      id: 'string',
      prompt: 'string',
      reference: 'string',
      task_category: 'string',
      difficulty: 'string',
      stratum: 'string',
      capabilities: 'list<element: string not null>',
      labels: 'string',
      source: 'string',
    });
    expect(out.duckdb).toMatchObject({ id: 'VARCHAR', capabilities: 'VARCHAR[]', labels: 'VARCHAR' });
    expect(out.pandas_rows).toBe(rows.length);
    expect(out.duckdb_rows).toBe(rows.length);
    expect(out.pandas_first_caps).toEqual(rows[0].capabilities);
    expect(out.pandas_labels).toEqual(JSON.parse(rows[0].labels as string));
  });

  it('renders a card with Hugging Face front matter and the evaluation fields', async () => {
    const { parse } = await import('yaml');
    const card = readFileSync(join(repo, 'evalsets', 'representative', 'README.md'), 'utf8');
    const front = parse(card.split('---\n')[1]);
    expect(front).toMatchObject({ pretty_name: expect.any(String), license: 'cc-by-4.0', size_categories: ['1K<n<10K'] });
    expect(front.configs[0].data_files[0]).toEqual({ split: 'test', path: 'data.parquet' });
    expect(front.dataset_info.splits[0].num_examples).toBe(1200);
    expect(front.dataset_info.features.find((f: { name: string }) => f.name === 'capabilities')).toEqual({
      name: 'capabilities',
      sequence: 'string',
    });
    for (const needle of [
      'Target model family',
      'Evaluation harness version',
      'Expected baseline score range',
      '**Seed:** 1729',
      'pool-limited',
      '## Balance',
      '## Eligibility screens',
      '## Contamination\n\n16 pool examples overlap the reference corpus',
      '## Provenance',
    ]) {
      expect(card).toContain(needle);
    }
  });

  it('re-runs only the stages whose declared params changed (and the config gate, which reads the whole file)', () => {
    const path = join(repo, 'params.yaml');
    const original = readFileSync(path, 'utf8');
    const changed = (edit: string) => {
      writeFileSync(path, edit);
      const r = run(repo, venvDvc, ['status', '--json']);
      expect(r.status).toBe(0);
      return Object.keys(JSON.parse(r.stdout)).sort();
    };
    try {
      expect(changed(original.replace('seed: 4242', 'seed: 4243'))).toEqual([
        'agreement-report@stress',
        'config',
        'recurate@stress',
        'sample@stress',
      ]);
      expect(
        changed(
          original.replace(
            'harness_version: lm-evaluation-harness 0.4.9\n      baseline_range: [0.25',
            'harness_version: lm-evaluation-harness 0.5.0\n      baseline_range: [0.25',
          ),
        ),
      ).toEqual(['card@stress', 'config']);
    } finally {
      writeFileSync(path, original);
    }
    expect(run(repo, venvDvc, ['status', '-q']).status).toBe(0);
  });

  it('stays byte-identical under a forced rebuild after a change that re-ran only the cards', () => {
    const path = join(repo, 'params.yaml');
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('harness_version: lm-evaluation-harness 0.4.9', 'harness_version: lm-evaluation-harness 0.5.1'),
    );
    const repro = run(repo, venvDvc, ['repro']);
    expect(repro.stdout).toContain("Running stage 'card@representative'");
    expect(repro.stdout).not.toContain("Running stage 'sample@");
    git(repo, 'commit', '-q', '--no-verify', '-am', 'new harness version');
    expect(run(repo, venvDvc, ['repro', '--force']).status).toBe(0);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('fails `dvc repro` on bad input and leaves the previous outputs byte-identical', () => {
    const before = outputsOf(repo);
    appendFileSync(join(repo, 'datasets', 'pool', 'demo.jsonl'), '{"id": "broken", "prompt": 42}\n');
    const r = run(repo, venvDvc, ['repro']);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/datasets\/pool\/demo\.jsonl:3199: prompt: must be string/);
    expect(outputsOf(repo)).toEqual(before);
  });

  describe('contamination in the built demo (its planted ground truth)', () => {
    const truthOf = async () => demoContamination(demoPool(await loadTokenCounter('cl100k_base'))).truth;
    const json = (...path: string[]) => JSON.parse(readFileSync(join(repo, ...path), 'utf8'));

    it('the n-gram screen excludes exactly the verbatim plants; near-copies are grouped with their originals', async () => {
      const truth = await truthOf();
      expect(json('reports', 'ngram.json').flagged.map((f: { id: string }) => f.id)).toEqual([...truth.verbatim].sort());
      const groups: { kept: string; members: { id: string }[] }[] = json('reports', 'duplicates.json').near.groups;
      for (const { original, copy } of truth.nearCopies) {
        const group = groups.find((g) => g.members.some((m) => m.id === copy));
        expect(group, copy).toBeDefined();
        expect([group!.kept, ...group!.members.map((m) => m.id)]).toContain(original);
      }
    });

    it('membership inference flags every paraphrased plant it is asked about and no clean example', async () => {
      const truth = await truthOf();
      const paths = projectPaths(repo);
      const pool = new Map(
        readFileSync(join(repo, 'datasets', 'pool', 'demo.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .map((e) => [e.id, e]),
      );
      const assignments = readParquetFile(paths.assignments, { columns: ['id', 'stratum'] });
      const strataColumn = columnValues(assignments, 'stratum') as string[];
      const strata = new Map((columnValues(assignments, 'id') as string[]).map((id, i) => [id, strataColumn[i]]));
      const taxonomy = loadTaxonomy(paths.taxonomy);
      const settings = membershipSettings(loadParams(paths.params).contamination);
      const run = await openMembership(paths, 'e2e-check', settings, taxonomy, (id) => pool.get(id).prompt);
      const planted = new Set([...truth.verbatim, ...truth.paraphrased, ...truth.nearCopies.map((c) => c.copy)]);
      const clean = [...pool.keys()].filter((id) => !planted.has(id)).filter((_, i) => i % 8 === 0); // 400 of them
      const flagged = new Set<string>();
      for (const id of [...truth.paraphrased, ...clean]) for (const x of await run.screen!.screen(strata.get(id)!, [id])) flagged.add(x.id);
      const summary = await run.finish();
      rmSync(paths.dataset('e2e-check').membershipCache);
      const screenable = truth.paraphrased.filter((id) => !summary.strata_without_calibration!.includes(strata.get(id)!));
      expect(screenable.length).toBeGreaterThanOrEqual(6);
      for (const id of screenable) expect(flagged, id).toContain(id);
      expect(clean.filter((id) => flagged.has(id))).toEqual([]);
      // The pipeline's own draws flagged planted text only.
      for (const dataset of ['representative', 'stress']) {
        for (const f of json('evalsets', dataset, 'quality', 'contamination.json').details.membership.flagged) expect(planted).toContain(f.id);
      }
    });

    it('quarantines what the draw would have taken, and the floors still hold', () => {
      for (const dataset of ['representative', 'stress']) {
        const meta = json('evalsets', dataset, 'meta.json');
        for (const s of meta.strata) if (!s.pool_limited) expect(s.realised, `${dataset} ${s.stratum}`).toBeGreaterThanOrEqual(s.floor);
        const quarantine = tableRows(readParquetFile(join(repo, 'evalsets', dataset, 'quarantine.parquet'))) as { check: string }[];
        const contamination = json('evalsets', dataset, 'quality', 'contamination.json').details.quarantined;
        for (const check of ['ngram', 'membership', 'near-duplicates']) {
          expect(quarantine.filter((q) => q.check === check).length).toBe(contamination[check]);
          expect(contamination[check], `${dataset} ${check}`).toBeGreaterThan(0);
        }
        const card = readFileSync(join(repo, 'evalsets', dataset, 'README.md'), 'utf8');
        expect(card).toContain('## Contamination');
        expect(card).toMatch(/\*\*Membership inference\.\*\* Model `evalset-demo-4gram`/);
        expect(card).toContain('⚠ Not enough calibration examples, so not screened: `creative-writing×adversarial`');
      }
    });
  });
});

describe('the pre-commit hook, installed by husky in a real repository', () => {
  it('blocks a commit whose staged params are invalid, naming line and field, and a valid one that was not run', () => {
    const repo = copyOfRepository();
    const install = run(repo, process.execPath, [
      '--input-type=module',
      '-e',
      "const { default: husky } = await import('husky'); process.stdout.write(husky());",
    ]);
    expect(install.status).toBe(0);
    expect(git(repo, 'config', 'core.hooksPath')).toBe('.husky/_');

    const params = readFileSync(join(repo, 'params.yaml'), 'utf8');
    const broken = params.replace('seed: 4242', 'seed: -1');
    const brokenLine = broken.split('\n').findIndex((l) => l.includes('seed: -1')) + 1;
    writeFileSync(join(repo, 'params.yaml'), broken);
    git(repo, 'add', 'params.yaml');
    const refused = run(repo, 'git', ['commit', '-m', 'break the seed']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`params.yaml:${brokenLine}: datasets.stress.seed: must be >= 0`);

    // Valid, but dvc.lock still records the old seed: the commit would describe outputs it does not hold.
    writeFileSync(join(repo, 'params.yaml'), params.replace('seed: 4242', 'seed: 4243'));
    git(repo, 'add', 'params.yaml');
    const stale = run(repo, 'git', ['commit', '-m', 'new seed']);
    expect(stale.status).not.toBe(0);
    expect(stale.stderr).toMatch(
      /stage sample@stress is stale in the staged dvc\.lock:\n\s+param datasets\.stress\.seed: dvc\.lock has 4242, the staged params\.yaml has 4243/,
    );
    expect(stale.stderr).toMatch(/run `dvc repro`/);
  });
});
