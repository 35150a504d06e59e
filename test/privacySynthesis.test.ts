import { beforeAll, describe, expect, it } from 'vitest';
import { errorFunction } from 'simple-statistics';
import { InvalidInputError, type Issue } from '../lib/errors.ts';
import { DEMO_PRIVATE_RECORDS, demoPrivateSource } from '../lib/demo/privateSource.ts';
import { fieldMechanisms, loadFieldSpec, parseFieldSpec, planFields, type FieldsSpec, type InternalFieldSpec } from '../lib/privacy/fields.ts';
import { gaussian, laplace, noiseRng, noiseScale, perturbValue } from '../lib/privacy/noise.ts';
import { placeholderFaker, placeholderFor } from '../lib/privacy/placeholders.ts';
import { synthesizeRecords, type SynthesisResult } from '../lib/privacy/synthesize.ts';
import {
  CL100K_ORDINARY_TOKENS,
  builtinTextSynthesizer,
  lengthBuckets,
  recordContribution,
  type RecordContribution,
} from '../lib/privacy/textSynthesizer.ts';

const FILE = 'datasets/private/fields.yaml';

/** The issues a parse reports (it must throw InvalidInputError). */
function issuesOf(text: string): Issue[] {
  try {
    parseFieldSpec(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).issues;
  }
  throw new Error('expected the fields.yaml to be rejected');
}

describe('fields.yaml', () => {
  it('a numeric internal field without bounds is an input error naming file, line and field', () => {
    const text = [
      'version: 1',
      'fields:',
      '  ticket_id: { sensitivity: public }',
      '  customer_age: { sensitivity: internal, type: integer, mechanism: laplace, epsilon0: 1.0 }',
    ].join('\n');
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: FILE, line: 4, field: 'fields.customer_age.bounds' });
    expect(issues[0].message).toContain('a numeric field without bounds is an input error, not a guess');
  });

  it('an unknown sensitivity names file, line and field, and every problem is reported at once', () => {
    const text = [
      'version: 1',
      'fields:',
      '  category:',
      '    sensitivity: secret',
      '  opened_at:',
      '    sensitivity: internal',
      '    type: timestamp',
      '    bounds: ["2026-12-31T00:00:00Z", "2026-01-01T00:00:00Z"]',
      '    mechanism: gaussian',
      '  resolution_hours:',
      '    sensitivity: internal',
      '    type: number',
      '    bounds: [0, 240]',
      '  message:',
      '    sensitivity: confidential',
      '    condition_on: resolution_hours',
      '  api_key: { sensitivity: restricted, format: api-key, noise_multiplier: 2 }',
    ].join('\n');
    expect(issuesOf(text)).toEqual([
      { file: FILE, line: 4, field: 'fields.category.sensitivity', message: expect.stringContaining('unknown sensitivity "secret"') },
      { file: FILE, line: 8, field: 'fields.opened_at.bounds', message: expect.stringContaining('lo must be below hi') },
      { file: FILE, line: 5, field: 'fields.opened_at.noise_multiplier', message: expect.stringContaining('is missing') },
      { file: FILE, line: 10, field: 'fields.resolution_hours.mechanism', message: expect.stringContaining('is missing') },
      { file: FILE, line: 16, field: 'fields.message.condition_on', message: expect.stringContaining('not public') },
      { file: FILE, line: 17, field: 'fields.api_key.noise_multiplier', message: expect.stringContaining('is not a setting of a restricted field') },
    ]);
  });

  it('a missing file is an input error naming it', () => {
    expect(() => loadFieldSpec('/nonexistent/fields.yaml', FILE)).toThrow(InvalidInputError);
  });

  it("parses the demo's annotation: timestamp bounds as epoch seconds, mechanisms as written", () => {
    const spec = parseFieldSpec(demoPrivateSource().fieldsYaml, FILE);
    expect([...spec.fields.keys()]).toEqual([
      'ticket_id',
      'category',
      'customer_age',
      'resolution_hours',
      'opened_at',
      'message',
      'api_key',
      'email',
      'phone',
    ]);
    // Python 3.11: datetime(2026,1,1,tzinfo=timezone.utc).timestamp() = 1767225600.0, datetime(2026,12,31,23,59,59,...) = 1798761599.0
    expect((spec.fields.get('opened_at') as InternalFieldSpec).bounds).toEqual([1767225600, 1798761599]);
    expect(spec.fields.get('message')).toEqual({ sensitivity: 'confidential', condition_on: 'category' });
    expect(fieldMechanisms(spec)).toEqual([
      { field: 'customer_age', mechanism: 'laplace', epsilon0: 1 },
      { field: 'resolution_hours', mechanism: 'gaussian', noise_multiplier: 2 },
      { field: 'opened_at', mechanism: 'gaussian', noise_multiplier: 4 },
    ]);
  });

  it('plans an unannotated source field as a restricted placeholder with a warning naming it; an annotated field the source lacks is a warning', () => {
    const spec = parseFieldSpec(demoPrivateSource().fieldsYaml, FILE);
    const plan = planFields(spec, ['ticket_id', 'category', 'customer_age', 'message', 'api_key', 'email', 'phone', 'opened_at', 'internal_notes']);
    expect(plan.strategies.get('internal_notes')).toBe('placeholder');
    expect(plan.strategies.get('ticket_id')).toBe('pass-through');
    expect(plan.strategies.get('customer_age')).toBe('noise');
    expect(plan.strategies.get('message')).toBe('regenerate');
    expect(plan.strategies.get('api_key')).toBe('placeholder');
    expect(plan.warnings).toEqual([
      expect.stringMatching(/^field "internal_notes" is not annotated .*restricted/),
      expect.stringMatching(/^field "resolution_hours" is annotated .* missing from the source/),
    ]);
  });
});

describe('noise', () => {
  /** The Kolmogorov–Smirnov statistic of a sample against a CDF. */
  function ksStatistic(sample: number[], cdf: (x: number) => number): number {
    const sorted = [...sample].sort((a, b) => a - b);
    const n = sorted.length;
    return Math.max(...sorted.map((x, i) => Math.max((i + 1) / n - cdf(x), cdf(x) - i / n)));
  }
  const N = 20_000;
  // The 1% critical value of the KS statistic for large n, D·√n: scipy 1.17.1, scipy.stats.kstwobign.isf(0.01) = 1.6276236115189504.
  const KS_CRITICAL_1PCT = 1.6276236115189504 / Math.sqrt(N);

  it('gaussian() draws N(0, 1): the KS statistic against Φ is below the 1% critical value', () => {
    const rng = noiseRng(11);
    const sample = Array.from({ length: N }, () => gaussian(rng));
    expect(ksStatistic(sample, (x) => (1 + errorFunction(x / Math.SQRT2)) / 2)).toBeLessThan(KS_CRITICAL_1PCT);
  });

  it('laplace() draws Lap(0, 1): the KS statistic against its CDF is below the 1% critical value', () => {
    const rng = noiseRng(12);
    const sample = Array.from({ length: N }, () => laplace(rng));
    // The standard Laplace CDF: ½e^x for x < 0, 1 − ½e^−x otherwise.
    expect(ksStatistic(sample, (x) => (x < 0 ? Math.exp(x) / 2 : 1 - Math.exp(-x) / 2))).toBeLessThan(KS_CRITICAL_1PCT);
  });

  it('scales the noise by the bounds width: Gaussian σ = z·Δ, Laplace b = Δ/ε0', () => {
    const spec = parseFieldSpec(demoPrivateSource().fieldsYaml, FILE);
    expect(noiseScale(spec.fields.get('resolution_hours') as InternalFieldSpec)).toBe(2 * 240);
    expect(noiseScale(spec.fields.get('customer_age') as InternalFieldSpec)).toBe(72 / 1);
  });

  it('keeps null as null and post-processes into the bounds (integers whole, timestamps ISO 8601 with Z)', () => {
    const spec = parseFieldSpec(demoPrivateSource().fieldsYaml, FILE);
    const age = spec.fields.get('customer_age') as InternalFieldSpec;
    const opened = spec.fields.get('opened_at') as InternalFieldSpec;
    const rng = noiseRng(3);
    expect(perturbValue(null, age, rng)).toBeNull();
    for (let i = 0; i < 200; i++) {
      const value = perturbValue(150, age, rng) as number;
      expect(Number.isInteger(value) && value >= 18 && value <= 90).toBe(true);
      const stamp = perturbValue('2026-06-01T12:00:00Z', opened, rng) as string;
      expect(stamp).toMatch(/^2026-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
    expect(() => perturbValue('forty', age, rng)).toThrow(TypeError);
  });
});

describe('placeholders', () => {
  it('draw each format from the seeded Faker alone, the same for the same seed', () => {
    const shapes: [Parameters<typeof placeholderFor>[0], RegExp][] = [
      ['email', /^[^@\s]+@example\.(com|net|org)$/],
      ['phone', /^\+1-[2-9]\d{2}-555-01\d{2}$/],
      ['api-key', /^sk-[A-Za-z0-9]{40}$/],
      ['ip', /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/],
      ['uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
      ['url', /^https:\/\/[a-z0-9-]+\.example\.com\/[a-z-]+$/],
      ['unknown', /^redacted-[0-9a-f]{12}$/],
    ];
    for (const [format, shape] of shapes) {
      const a = placeholderFor(format, placeholderFaker(5));
      expect(a).toMatch(shape);
      expect(placeholderFor(format, placeholderFaker(5))).toBe(a);
    }
    expect(placeholderFor('password', placeholderFaker(5))).toHaveLength(20);
    expect(placeholderFor('name', placeholderFaker(5))).toMatch(/\S+ \S+/);
  });
});

describe('the built-in DP text generator', () => {
  it('reports the Gaussian release its doc states, with the noise multiplier passed through, and returns a non-empty text per input', async () => {
    const { records } = demoPrivateSource();
    const texts = records.map((r) => r.message as string);
    const conditions = records.map((r) => r.category as string);
    const result = await builtinTextSynthesizer.synthesize(texts, conditions, { field: 'message', seed: 9, noise_multiplier: 1.3 });
    expect(builtinTextSynthesizer.name).toBe('builtin');
    expect(result.mechanisms).toEqual([{ field: 'message', mechanism: 'gaussian', noise_multiplier: 1.3 }]);
    expect(result.texts).toHaveLength(texts.length);
    for (const text of result.texts) expect(typeof text === 'string' && text.length > 0).toBe(true);
  });

  it("the histogram domain is cl100k_base's ordinary tokens, and text that looks like a special token is encoded as ordinary text", async () => {
    const encoding = await import('gpt-tokenizer/encoding/cl100k_base');
    expect(() => encoding.decode([CL100K_ORDINARY_TOKENS - 1])).not.toThrow();
    expect(() => encoding.decode([CL100K_ORDINARY_TOKENS])).toThrow();
    const result = await builtinTextSynthesizer.synthesize(['a <|endoftext|> b'], [null], { field: 'f', seed: 1, noise_multiplier: 1 });
    expect(result.texts[0].length).toBeGreaterThan(0);
  });

  it('clips each record to ‖v‖₂ ≤ C, so replacing one record moves the histograms by at most √2·C', async () => {
    const encoding = await import('gpt-tokenizer/encoding/cl100k_base');
    const texts = demoPrivateSource().records.map((r) => r.message as string);
    const clip = 0.7;
    const vectors = texts.map((t) => recordContribution(encoding.encode(t), 256, clip));
    const entries = (v: RecordContribution): Map<string, number> =>
      new Map([...[...v.tokenCounts].map(([id, n]): [string, number] => [`t${id}`, v.scale * n]), [`len${v.lengthBucket}`, v.scale]]);
    const norm = (m: Map<string, number>): number => Math.sqrt([...m.values()].reduce((s, x) => s + x * x, 0));
    for (const v of vectors) expect(norm(entries(v))).toBeLessThanOrEqual(clip + 1e-12);
    for (let i = 0; i + 1 < vectors.length; i += 2) {
      const a = entries(vectors[i]);
      const b = entries(vectors[i + 1]);
      const difference = new Map(a);
      for (const [k, x] of b) difference.set(k, (difference.get(k) ?? 0) - x);
      expect(norm(difference)).toBeLessThanOrEqual(Math.SQRT2 * clip + 1e-12);
    }
    expect(lengthBuckets(256)).toEqual([
      [1, 1],
      [2, 3],
      [4, 7],
      [8, 15],
      [16, 31],
      [32, 63],
      [64, 127],
      [128, 255],
      [256, 256],
    ]);
  });

  it('refuses a noise multiplier that is not positive', async () => {
    await expect(builtinTextSynthesizer.synthesize(['x'], [null], { field: 'f', seed: 1, noise_multiplier: 0 })).rejects.toThrow(RangeError);
  });
});

describe('synthesizeRecords on the demo source', () => {
  const demo = demoPrivateSource();
  let spec: FieldsSpec;
  let first: SynthesisResult;
  const run = (seed: number, records = demo.records): Promise<SynthesisResult> =>
    synthesizeRecords(records, spec, { seed, text: builtinTextSynthesizer, textOptions: { noise_multiplier: 1 } });

  beforeAll(async () => {
    spec = parseFieldSpec(demo.fieldsYaml, FILE);
    first = await run(1);
  });

  it('leaks no canary from a restricted or confidential field anywhere in the output', () => {
    expect(demo.records).toHaveLength(DEMO_PRIVATE_RECORDS);
    const source = JSON.stringify(demo.records);
    expect(demo.canaries.length).toBeGreaterThan(2 * DEMO_PRIVATE_RECORDS);
    for (const canary of demo.canaries) expect(source).toContain(canary); // the check below is not vacuous
    expect(demo.records.some((r) => (r.message as string).includes('sk-live-'))).toBe(true);
    expect(demo.records.some((r) => (r.message as string).includes('@example.com'))).toBe(true);
    const output = JSON.stringify({
      records: first.records,
      mechanisms: first.mechanisms,
      warnings: first.warnings,
      strategies: [...first.strategies],
    });
    const leaked = demo.canaries.filter((canary) => output.includes(canary));
    expect(leaked).toEqual([]);
  });

  it('keeps every record, its keys in order, and the public fields identical', () => {
    expect(first.records).toHaveLength(demo.records.length);
    first.records.forEach((record, i) => {
      expect(Object.keys(record)).toEqual(Object.keys(demo.records[i]));
      expect(record.ticket_id).toBe(demo.records[i].ticket_id);
      expect(record.category).toBe(demo.records[i].category);
    });
  });

  it('keeps internal values within bounds, nulls as nulls, and not all equal to the source', () => {
    const pick = (name: string) => first.records.map((r) => r[name]);
    const sourceOf = (name: string) => demo.records.map((r) => r[name]);
    const ages = pick('customer_age') as number[];
    expect(ages.every((a) => Number.isInteger(a) && a >= 18 && a <= 90)).toBe(true);
    const hours = pick('resolution_hours');
    hours.forEach((h, i) => {
      if (sourceOf('resolution_hours')[i] === null) expect(h).toBeNull();
      else expect(typeof h === 'number' && h >= 0 && h <= 240).toBe(true);
    });
    const opened = pick('opened_at') as string[];
    for (const stamp of opened) {
      expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(stamp >= '2026-01-01T00:00:00Z' && stamp <= '2026-12-31T23:59:59Z').toBe(true);
    }
    for (const name of ['customer_age', 'resolution_hours', 'opened_at']) {
      const changed = pick(name).filter((v, i) => v !== sourceOf(name)[i]).length;
      expect(changed).toBeGreaterThan(demo.records.length / 2);
    }
  });

  it('replaces restricted and unannotated fields by placeholders of their format, nulls kept', () => {
    first.records.forEach((record, i) => {
      expect(record.api_key).toMatch(/^sk-[A-Za-z0-9]{40}$/);
      expect(record.email).toMatch(/@example\.(com|net|org)$/);
      if (demo.records[i].phone === null) expect(record.phone).toBeNull();
      else expect(record.phone).toMatch(/^\+1-\d{3}-555-01\d{2}$/);
      if (demo.records[i].internal_notes === null) expect(record.internal_notes).toBeNull();
      else expect(record.internal_notes).toMatch(/^redacted-[0-9a-f]{12}$/);
      expect(typeof record.message === 'string' && (record.message as string).length > 0).toBe(true);
    });
    expect(first.warnings).toEqual([expect.stringContaining('"internal_notes" is not annotated')]);
    expect(first.mechanisms).toEqual([...fieldMechanisms(spec), { field: 'message', mechanism: 'gaussian', noise_multiplier: 1 }]);
  });

  it('draws placeholders from nothing in the source: other secrets give the same placeholders', async () => {
    const altered = demo.records.map((r, i) => ({
      ...r,
      api_key: `sk-live-${'x'.repeat(i % 50)}`,
      email: `someone.else.${i}@example.org`,
      phone: r.phone === null ? null : '+44 7700 900000',
      internal_notes: r.internal_notes === null ? null : 'a much shorter note',
    }));
    const other = await run(1, altered);
    for (const name of ['api_key', 'email', 'phone', 'internal_notes'])
      expect(other.records.map((r) => r[name])).toEqual(first.records.map((r) => r[name]));
  });

  it('gives the same bytes for the same seed and different bytes for another', async () => {
    expect(JSON.stringify((await run(1)).records)).toBe(JSON.stringify(first.records));
    const second = await run(2);
    for (const name of ['customer_age', 'message', 'api_key'])
      expect(second.records.map((r) => r[name])).not.toEqual(first.records.map((r) => r[name]));
  });

  it('reports source values noise cannot be added to as issues with record line and field', async () => {
    const bad = [{ ...demo.records[0] }, { ...demo.records[1], customer_age: 'forty' }];
    await expect(
      synthesizeRecords(bad, spec, { seed: 1, text: builtinTextSynthesizer, textOptions: { noise_multiplier: 1 }, source: 'tickets.jsonl' }),
    ).rejects.toMatchObject({
      issues: [{ file: 'tickets.jsonl', line: 2, field: 'customer_age', message: expect.stringContaining('finite number') }],
    });
  });
});
