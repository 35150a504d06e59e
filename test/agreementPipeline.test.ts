import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoAnnotations, DEMO_PLANTED_NO_AGREEMENT } from '../lib/demo/annotations.ts';
import { DEMO_SEED, demoPool } from '../lib/demo/generate.ts';
import { loadTokenCounter } from '../lib/sampling/classify.ts';
import { columnValues, readParquetFile, tableRows } from '../lib/io/parquet.ts';
import { diffSnapshots, classifyBump } from '../lib/versioning/plan.ts';
import { snapshotOf } from '../lib/versioning/snapshot.ts';
import { builtCopyOfRepository, evalset, run, venvDvc, writeFile } from './helpers.ts';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('agreement and coverage through the pipeline (real DVC, the demo inputs)', () => {
  let repo: string;
  const dir = (name: string) => join(repo, 'evalsets', name);
  const rows = (name: string) => tableRows(readParquetFile(join(dir(name), 'data.parquet')));
  // The demo annotates the pool its generator writes (demoPool), not the examples planted for the contamination screens.
  let demo: () => ReturnType<typeof demoAnnotations>;
  const repro = () => {
    const r = run(repo, venvDvc, ['repro']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  };

  beforeAll(async () => {
    repo = builtCopyOfRepository();
    const annotations = demoAnnotations(demoPool(await loadTokenCounter('cl100k_base')), DEMO_SEED);
    demo = () => annotations;
  });

  it('excludes every planted no-agreement example, and queues those the draw passed over with their whole history', () => {
    const planted = demo().noAgreement;
    expect(planted).toHaveLength(DEMO_PLANTED_NO_AGREEMENT);
    const excluded = new Set(columnValues(readParquetFile(join(repo, 'interim', 'exclusions', 'agreement.parquet')), 'id') as string[]);
    for (const id of planted) expect(excluded.has(id)).toBe(true);

    const all = demo().annotations;
    for (const name of ['representative', 'stress']) {
      const senior = jsonl(join(dir(name), 'adjudication-senior.jsonl'));
      const adjudication = jsonl(join(dir(name), 'adjudication.jsonl'));
      const quarantined = tableRows(readParquetFile(join(dir(name), 'quarantine.parquet'))).filter((r) => r.check === 'agreement');
      expect(new Set([...senior, ...adjudication].map((l) => l.example_id))).toEqual(new Set(quarantined.map((r) => r.id)));
      // Every planted example the draw reached is in the senior queue, never in the dataset.
      const reached = planted.filter((id) => quarantined.some((r) => r.id === id));
      expect(reached.length).toBeGreaterThan(0);
      for (const id of reached) expect(senior.map((l) => l.example_id)).toContain(id);
      const released = new Set(rows(name).map((r) => r.id));
      for (const line of [...senior, ...adjudication]) {
        expect(released.has(line.example_id)).toBe(false);
        const history = all
          .filter((a) => a.example_id === line.example_id)
          .map(({ annotator_id, label, annotated_at }) => ({ annotated_at, annotator_id, label }));
        expect(line.annotations).toEqual(history);
      }
      for (const line of senior) expect(line.reason).toMatch(/^no two of its \d annotators agree$/);
    }
  });

  it('reports alpha as DVC metrics, and the card names the weak rubric and the coverage gap with its remediation', () => {
    const metrics = JSON.parse(run(repo, venvDvc, ['metrics', 'show', '--json']).stdout);
    const values = JSON.stringify(metrics);
    expect(values).toMatch(/reports\/iaa-representative\.json/);
    const iaa = JSON.parse(readFileSync(join(repo, 'reports', 'iaa-representative.json'), 'utf8'));
    expect(iaa.level).toBe('ordinal');
    expect(iaa.ci[0]).toBeLessThan(iaa.alpha);
    expect(iaa.task_categories.reasoning.alpha).toBeLessThan(iaa.task_categories.extraction.alpha);
    const card = readFileSync(join(dir('representative'), 'README.md'), 'utf8');
    expect(card).toMatch(
      /Reasoning agreement 0\.\d\d \[0\.\d\d, 0\.\d\d\] vs 0\.\d\d elsewhere: the rubric for reasoning likely needs concrete anchor examples/,
    );
    expect(card).toContain(
      "Add 16 more examples for capability 'creative writing under hard formal constraints' to reach the minimum of 30; the pool holds no eligible candidate with it: new examples are needed.",
    );
    const stress = JSON.parse(readFileSync(join(repo, 'reports', 'coverage-stress.json'), 'utf8'));
    // code-generation's minimum of 20 is inherited by its language leaves.
    expect(stress.capabilities['code-generation.rust'].minimum).toBe(20);
    expect(
      stress.warnings.some((w: { remediation: string }) =>
        /^add \d+ more examples? for capability 'Rust functions' to reach the minimum of 20; the pool holds \d+ eligible candidates with it/.test(
          w.remediation,
        ),
      ),
    ).toBe(true);
  });

  it('refuses an unknown capability in the pool with exit 2 naming file, line and field; fails on a gap only when params say so', () => {
    const tree = join(repo, 'taxonomy', 'capabilities.json');
    const original = readFileSync(tree, 'utf8');
    const report = join(repo, 'reports', 'coverage-stress.json');
    const before = sha(report);
    try {
      writeFileSync(tree, original.replace(/\n\s*\{ "id": "sql"[^\n]*\n/, '\n'));
      const r = evalset(['coverage', '--dataset', 'stress'], { cwd: repo });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/datasets\/pool\/demo\.jsonl:\d+: capabilities\[0\]: unknown capability "code-generation\.sql"/);
      writeFileSync(tree, original);
      const params = join(repo, 'params.yaml');
      const text = readFileSync(params, 'utf8');
      writeFileSync(params, text.replace(/(stress:[\s\S]*?coverage:\n\s*fail_on_gap:) false/, '$1 true'));
      const gap = evalset(['coverage', '--dataset', 'stress'], { cwd: repo });
      writeFileSync(params, text);
      expect(gap.status).toBe(1);
      expect(gap.stderr).toMatch(/CoverageGapError: dataset stress: \d capabilities are below their minimum/);
      expect(gap.stderr).toContain('to reach the minimum of 20; the pool holds');
      expect(sha(report)).toBe(before); // nothing written by the failed run
    } finally {
      writeFileSync(tree, original);
    }
  });

  it('releases an adjudicated label on the next run: a label-only change (patch), and a queued example drawn again', () => {
    const name = 'representative';
    const snapshot = () =>
      snapshotOf(name, readFileSync(join(dir(name), 'meta.json'), 'utf8'), readFileSync(join(dir(name), 'manifest.jsonl')), 'working tree');
    const before = snapshot();
    const annotated = rows(name).find((r) => JSON.parse(r.labels as string).annotation?.source === 'annotators')!;
    const agreed = JSON.parse(annotated.labels as string).annotation.label as number;
    const adjudicated = agreed === 1 ? 2 : 1;
    const file = join(repo, 'datasets', 'annotations', 'adjudicated', 'round-1.jsonl');
    writeFile(
      file,
      JSON.stringify({ example_id: annotated.id, annotator_id: 'senior-1', label: adjudicated, annotated_at: '2026-11-01T09:00:00Z' }) + '\n',
    );
    repro();
    const after = snapshot();
    const bump = classifyBump(diffSnapshots(before, after));
    expect(bump.bump).toBe('patch');
    expect(bump.reasons.map((r) => r.reason)).toEqual(['only labels changed (1 example relabeled)']);
    const row = rows(name).find((r) => r.id === annotated.id)!;
    expect(JSON.parse(row.labels as string).annotation).toEqual({ label: adjudicated, source: 'adjudicated' });

    const queued = jsonl(join(dir(name), 'adjudication-senior.jsonl'))[0];
    writeFile(
      file,
      readFileSync(file, 'utf8') +
        JSON.stringify({ example_id: queued.example_id, annotator_id: 'senior-1', label: 4, annotated_at: '2026-11-02T09:00:00Z' }) +
        '\n',
    );
    repro();
    const drawn = rows(name).find((r) => r.id === queued.example_id);
    expect(drawn && JSON.parse(drawn.labels as string).annotation).toEqual({ label: 4, source: 'adjudicated' });
    expect(jsonl(join(dir(name), 'adjudication-senior.jsonl')).map((l) => l.example_id)).not.toContain(queued.example_id);
  });
});
