import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeAgreement, lowAgreementFindings } from '../lib/annotation/analysis.ts';
import { groupByExample, readAnnotationFiles, type Annotation, type Label } from '../lib/annotation/annotations.ts';
import { readAnnotationsCsv } from '../lib/annotation/csv.ts';
import { exampleAgreement, routeExample } from '../lib/annotation/exampleAgreement.ts';
import { labelScale } from '../lib/annotation/reliabilityData.ts';
import { screenAnnotations } from '../lib/annotation/screen.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { evalset, workspace, writeFile } from './helpers.ts';

let line = 0;
const note = (example_id: string, annotator_id: string, label: Label, annotated_at: string | null = null): Annotation => ({
  example_id,
  annotator_id,
  label,
  annotated_at,
  file: 'a.jsonl',
  line: ++line,
});
const unitOf = (labels: Label[]) => ({ example_id: 'x', labels: new Map(labels.map((l, i) => [`a${i}`, l])) });
const route = (labels: Label[], min = 0.5) => routeExample(exampleAgreement(unitOf(labels)), min);

/**
 * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the reliability data of section
 * C (4 observers × 12 units, missing values as null). Alpha values from the `krippendorff` Python
 * package 0.9.0, which the statistics tests (test/agreementStats.test.ts) hold the formulas to.
 */
const K2011: (number | null)[][] = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
  [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
];
const K2011_ALPHA = { nominal: 0.743421052631579, ordinal: 0.8153875037548814, interval: 0.8491071428571428 };
const k2011Csv = () =>
  'item,coder,rating\n' +
  K2011.flatMap((row, coder) => row.map((v, unit) => (v === null ? null : `u${String(unit + 1).padStart(2, '0')},${'ABCD'[coder]},${v}`)))
    .filter(Boolean)
    .join('\n') +
  '\n';

describe('per-example agreement and routing', () => {
  it('sends an example on which no two annotators agree to the senior queue', () => {
    expect(route([1, 2, 3])).toEqual({ queue: 'senior', reason: 'no two of its 3 annotators agree' });
  });
  it('sends agreement below the threshold, or a tie for the most common label, to adjudication', () => {
    expect(route([1, 1, 2, 2, 3])).toEqual({ queue: 'adjudication', reason: 'agreement 0.40 < 0.50: 2 of 5 annotators gave the most common label' });
    expect(route(['a', 'a', 'b', 'b']).queue).toBe('adjudication');
    expect(route(['a', 'a', 'b', 'b']).reason).toMatch(/no single most common label/);
  });
  it('releases a majority, and never screens a single annotation', () => {
    expect(route([4, 4, 5]).queue).toBeNull();
    expect(route([4, 4, 5], 0.7).queue).toBe('adjudication');
    expect(route([4])).toEqual({ queue: null, reason: 'one annotator: nothing to agree on' });
  });
  it('counts agreeing pairs and the share of the most common label', () => {
    expect(exampleAgreement(unitOf([1, 1, 1, 2]))).toMatchObject({ annotators: 4, agreement: 0.75, mode: 1, agreeing_pairs: 3 });
    expect(exampleAgreement(unitOf([true, false]))).toMatchObject({ agreement: 0.5, mode: null, agreeing_pairs: 0 });
  });
});

describe('annotations as read', () => {
  it("keeps an annotator's latest label and the whole history", () => {
    const units = groupByExample([note('e1', 'ann', 2, '2026-01-02T00:00:00Z'), note('e1', 'ann', 3, '2026-01-09T00:00:00Z'), note('e1', 'bo', 3)]);
    const unit = units.get('e1')!;
    expect([...unit.labels]).toEqual([
      ['ann', 3],
      ['bo', 3],
    ]);
    expect(unit.history.map((a) => [a.annotator_id, a.label])).toEqual([
      ['ann', 2],
      ['ann', 3],
      ['bo', 3],
    ]); // by annotator, then time
  });
  it('orders revisions by instant, not by text: 09:00+01:00 is before 08:30Z', () => {
    const units = groupByExample([note('e1', 'ann', 5, '2026-01-02T08:30:00Z'), note('e1', 'ann', 1, '2026-01-02T09:00:00+01:00')]);
    expect(units.get('e1')!.labels.get('ann')).toBe(5);
  });
  it('refuses two different labels from one annotator that cannot be ordered, naming both lines', () => {
    try {
      groupByExample([note('e1', 'ann', 2), note('e1', 'ann', 3)]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).issues[0]).toMatchObject({ file: 'a.jsonl', field: 'label' });
      expect((err as InvalidInputError).message).toMatch(/labelled "e1" 2 at a\.jsonl:\d+ and 3 here, both without annotated_at/);
    }
  });
  it('names file, line and field of a malformed annotation', () => {
    const dir = workspace();
    const path = join(dir, 'datasets', 'annotations', 'a.jsonl');
    writeFile(
      path,
      '{"example_id":"e1","annotator_id":"a","label":1}\n{"example_id":"e1","label":2}\n{"example_id":"e2","annotator_id":"a","label":{"x":1}}\n',
    );
    try {
      readAnnotationFiles([path], dir);
      expect.unreachable();
    } catch (err) {
      const issues = (err as InvalidInputError).issues;
      expect(issues.map((i) => [i.file, i.line, i.field])).toEqual([
        ['datasets/annotations/a.jsonl', 2, 'annotator_id'],
        ['datasets/annotations/a.jsonl', 3, 'label'],
      ]);
    }
  });
  it('reads a CSV through named columns, numbers as numbers, a blank label as missing', () => {
    const dir = workspace();
    const path = join(dir, 'r.csv');
    writeFile(path, 'worker,item,answer\nw1,i1,3\nw2,i1,\nw2,i2,"yes, mostly"\n');
    const read = readAnnotationsCsv(path, 'r.csv', ['item', 'worker', 'answer']);
    expect(read.map((a) => [a.example_id, a.annotator_id, a.label, a.line])).toEqual([
      ['i1', 'w1', 3, 2],
      ['i2', 'w2', 'yes, mostly', 4],
    ]);
    expect(() => readAnnotationsCsv(path, 'r.csv', ['item', 'rater', 'answer'])).toThrow(/has no column "rater"/);
  });
});

describe('the screen', () => {
  const units = groupByExample([
    ...['a', 'b', 'c'].map((who, i) => note('split', who, i + 1)),
    ...['a', 'b', 'c', 'd', 'e'].map((who, i) => note('weak', who, [1, 1, 2, 2, 3][i])),
    ...['a', 'b', 'c'].map((who) => note('clear', who, 'yes')),
  ]);
  const pool = new Set(['split', 'weak', 'clear', 'other']);

  it('excludes routed examples and releases the agreed label of the others', () => {
    const screen = screenAnnotations(units, [], 0.5, pool);
    expect(screen.exclusions.map((e) => [e.id, e.reason])).toEqual([
      ['split', 'senior queue: no two of its 3 annotators agree'],
      ['weak', 'adjudication queue: agreement 0.40 < 0.50: 2 of 5 annotators gave the most common label'],
    ]);
    expect(screen.examples.find((e) => e.example_id === 'clear')).toMatchObject({ label: '"yes"', label_source: 'annotators', queue: null });
  });
  it('releases an adjudicated example with the adjudicated label, whatever its annotators said', () => {
    const screen = screenAnnotations(units, [note('split', 'senior-1', 2, '2026-02-01T00:00:00Z'), note('other', 'senior-1', 5)], 0.5, pool);
    expect(screen.exclusions.map((e) => e.id)).toEqual(['weak']);
    expect(screen.examples.find((e) => e.example_id === 'split')).toMatchObject({ label: '2', label_source: 'adjudicated', queue: null });
    expect(screen.examples.find((e) => e.example_id === 'other')).toMatchObject({ label: '5', label_source: 'adjudicated' });
  });
  it('leaves out, and lists, annotations of examples the pool does not hold (retired, or a typo)', () => {
    const screen = screenAnnotations(
      groupByExample([note('typo', 'a', 1), note('typo', 'b', 2), note('clear', 'a', 1)]),
      [note('gone', 's', 1)],
      0.5,
      pool,
    );
    expect(screen.orphans).toEqual(['gone', 'typo']);
    expect(screen.examples.map((e) => e.example_id)).toEqual(['clear']);
    expect(screen.exclusions).toEqual([]);
  });
});

describe('the agreement analysis', () => {
  const k2011Units = () => {
    const dir = workspace();
    writeFile(join(dir, 'k.csv'), k2011Csv());
    return [...groupByExample(readAnnotationsCsv(join(dir, 'k.csv'), 'k.csv', ['item', 'coder', 'rating'])).values()];
  };
  const options = { minPairItems: 5, bootstrap: { samples: 500, confidence: 0.95 }, seed: 7 };

  it('matches Krippendorff (2011) at every level, with an interval around it, from annotation records', () => {
    for (const level of ['nominal', 'ordinal', 'interval'] as const) {
      const report = analyzeAgreement(k2011Units(), { ...options, type: level });
      expect(Math.abs(report.overall.alpha! - K2011_ALPHA[level])).toBeLessThan(1e-9);
      expect(report.overall.units).toBe(11); // the unit with a single value contributes nothing
      expect(report.overall.ci![0]).toBeLessThan(report.overall.alpha!);
      expect(report.overall.ci![1]).toBeGreaterThan(report.overall.alpha!);
    }
  });
  it('gives the same interval for the same seed, and kappa only to pairs with enough shared items', () => {
    const a = analyzeAgreement(k2011Units(), { ...options, type: 'nominal' });
    const b = analyzeAgreement(k2011Units(), { ...options, type: 'nominal' });
    expect(a.overall.ci).toEqual(b.overall.ci);
    expect(a.pairs.map((p) => `${p.a}${p.b}:${p.n}`)).toEqual(['AB:9', 'AC:8', 'AD:9', 'BC:9', 'BD:10', 'CD:10']);
    const strict = analyzeAgreement(k2011Units(), { ...options, type: 'nominal', minPairItems: 10 });
    expect(strict.pairs.map((p) => p.kappa === null)).toEqual([true, true, true, true, false, false]);
  });
  it('needs the order of ordinal words, and numbers for interval data', () => {
    expect(() => labelScale(['good', 'poor'], 'ordinal')).toThrow(/need their order: list them in `values`/);
    expect(labelScale(['good', 'poor'], 'ordinal', ['poor', 'fair', 'good'])).toEqual(['poor', 'fair', 'good']);
    expect(() => labelScale(['good', 'poor'], 'ordinal', ['poor'])).toThrow(/does not list the label "good"/);
    expect(() => labelScale(['a', 1], 'interval')).toThrow(/interval labels must be numbers; found "a"/);
  });
  it('names a group whose interval lies below the rest in a plain sentence', () => {
    expect(
      lowAgreementFindings([
        { group: 'reasoning', alpha: 0.41, ci: [0.33, 0.49], units: 40, rest_alpha: 0.78, excludes_overall: 'below' },
        { group: 'extraction', alpha: 0.7, ci: [0.55, 0.85], units: 40, rest_alpha: 0.78, excludes_overall: null },
      ]),
    ).toEqual(['reasoning agreement 0.41 [0.33, 0.49] vs 0.78 elsewhere: the rubric for reasoning likely needs concrete anchor examples']);
  });
});

describe('evalset iaa', () => {
  it('prints alpha, the pairwise kappas and the routing as JSON for any CSV', () => {
    const dir = workspace();
    writeFile(join(dir, 'k.csv'), k2011Csv());
    const r = evalset(['iaa', '--annotations', 'k.csv', '--columns', 'item,coder,rating', '--level', 'interval', '--json', '--min-pair-items', '5'], {
      cwd: dir,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['level', 'alpha', 'ci', 'units', 'annotators', 'pairs', 'routing']));
    expect(out.level).toBe('interval');
    expect(Math.abs(out.alpha - K2011_ALPHA.interval)).toBeLessThan(1e-9);
    expect(out.units).toBe(11);
    expect(out.annotators).toBe(4);
    expect(out.pairs[0]).toEqual({ a: 'A', b: 'B', n: 9, kappa: expect.any(Number) });
    // Unit 6 reads 1, 2, 3, 4: no two observers agree. Unit 12 has one value: not routed.
    expect(out.routing.senior.map((r: { example_id: string }) => r.example_id)).toEqual(['u06']);
    expect(out.routing.adjudication).toEqual([]);
  });
  it('exits 2 naming the file when a CSV lacks a named column, or --columns is missing', () => {
    const dir = workspace();
    writeFile(join(dir, 'k.csv'), k2011Csv());
    const r = evalset(['iaa', '--annotations', 'k.csv', '--columns', 'item,rater,rating'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/k\.csv:1: has no column "rater"/);
    expect(evalset(['iaa', '--annotations', 'k.csv'], { cwd: dir }).status).toBe(2);
  });
});
