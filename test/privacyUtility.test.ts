import { describe, expect, it } from 'vitest';
import { EvalsetError, InvalidInputError } from '../lib/errors.ts';
import { assertUtility, utilityReport, UtilityRejectedError, type Row, type UtilityOptions } from '../lib/privacy/utility.ts';
import { jensenShannonDivergence, jensenShannonDivergenceOfCounts } from '../lib/stats/jensenShannonDivergence.ts';
import { spearmanCorrelation } from '../lib/stats/spearmanCorrelation.ts';
import { wassersteinDistance } from '../lib/stats/wassersteinDistance.ts';

// Reference values below come from SciPy 1.17.1 with NumPy 2.4.6 unless said otherwise.

describe('wassersteinDistance', () => {
  it('matches the scipy.stats.wasserstein_distance documentation examples', () => {
    // scipy docs: wasserstein_distance([0, 1, 3], [5, 6, 8]) → 5.0
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBeCloseTo(5.0, 12);
    // scipy docs: wasserstein_distance([0, 1], [0, 1], [3, 1], [2, 2]) → 0.25
    expect(wassersteinDistance([0, 1], [0, 1], [3, 1], [2, 2])).toBeCloseTo(0.25, 12);
    // scipy docs: wasserstein_distance([3.4, 3.9, 7.5, 7.8], [4.5, 1.4], [1.4, 0.9, 3.1, 7.2], [3.2, 3.5]) → 4.0781331438047861
    expect(Math.abs(wassersteinDistance([3.4, 3.9, 7.5, 7.8], [4.5, 1.4], [1.4, 0.9, 3.1, 7.2], [3.2, 3.5]) - 4.078133143804786)).toBeLessThan(1e-12);
  });

  it('matches scipy on samples of different sizes, with ties and negative values', () => {
    // scipy 1.17.1: wasserstein_distance([1, 2, 3, 4, 5], [2, 2, 8]) → 1.6666666666666665
    expect(Math.abs(wassersteinDistance([1, 2, 3, 4, 5], [2, 2, 8]) - 1.6666666666666665)).toBeLessThan(1e-12);
    // scipy 1.17.1: wasserstein_distance([-1.5, 0.25, 0.25, 4], [0, 0, 0.5]) → 1.375
    expect(Math.abs(wassersteinDistance([-1.5, 0.25, 0.25, 4], [0, 0, 0.5]) - 1.375)).toBeLessThan(1e-12);
  });

  it('is 0 for identical samples, whatever their order, and a pure shift by c is c', () => {
    expect(wassersteinDistance([3, 1, 2], [1, 2, 3])).toBe(0);
    expect(wassersteinDistance([1, 5, 9], [1 + 2.5, 5 + 2.5, 9 + 2.5])).toBeCloseTo(2.5, 12);
  });

  it('refuses empty samples, mismatched or negative weights, and weights that sum to 0', () => {
    expect(() => wassersteinDistance([], [1])).toThrow(/empty/);
    expect(() => wassersteinDistance([1, 2], [1], [1])).toThrow(/2 values but 1 weights/);
    expect(() => wassersteinDistance([1, 2], [1], [1, -1])).toThrow(/≥ 0/);
    expect(() => wassersteinDistance([1, 2], [1], [0, 0])).toThrow(/positive sum/);
    expect(() => wassersteinDistance([1, NaN], [1])).toThrow(/finite/);
  });
});

describe('jensenShannonDivergence', () => {
  it('matches scipy.spatial.distance.jensenshannon squared (scipy returns the distance, the square root)', () => {
    // scipy 1.17.1: jensenshannon([1, 0], [0.5, 0.5]) ** 2 → 0.21576155433883568 nats
    expect(Math.abs(jensenShannonDivergence([1, 0], [0.5, 0.5]) - 0.21576155433883568)).toBeLessThan(1e-12);
    // scipy 1.17.1: jensenshannon([.1, .4, .5], [.8, .15, .05]) ** 2 → 0.29126084062606394 nats
    expect(Math.abs(jensenShannonDivergence([0.1, 0.4, 0.5], [0.8, 0.15, 0.05]) - 0.29126084062606394)).toBeLessThan(1e-12);
  });

  it('normalises raw masses and is safe with zero mass on either side', () => {
    // scipy 1.17.1: jensenshannon([2, 0, 3], [0, 1, 1]) ** 2 → 0.31419209939778303
    expect(Math.abs(jensenShannonDivergence([2, 0, 3], [0, 1, 1]) - 0.31419209939778303)).toBeLessThan(1e-12);
    // Disjoint supports reach the upper bound ln 2.
    expect(jensenShannonDivergence([1, 0, 0], [0, 1, 0])).toBeCloseTo(Math.LN2, 15);
    expect(jensenShannonDivergence([0.2, 0.8], [2, 8])).toBe(0);
  });

  it('over counts per category, takes the union of the categories', () => {
    // {x: 3, y: 1} vs {y: 2, z: 2} over x, y, z; scipy 1.17.1: jensenshannon([3, 1, 0], [0, 2, 2]) ** 2 → 0.45445436744939044
    const a = new Map([
      ['x', 3],
      ['y', 1],
    ]);
    const b = new Map([
      ['y', 2],
      ['z', 2],
    ]);
    expect(Math.abs(jensenShannonDivergenceOfCounts(a, b) - 0.45445436744939044)).toBeLessThan(1e-12);
    expect(jensenShannonDivergenceOfCounts(a, b)).toBe(jensenShannonDivergenceOfCounts(b, a));
  });

  it('refuses negative masses, empty distributions and different lengths', () => {
    expect(() => jensenShannonDivergence([1, -1], [1, 1])).toThrow(/negative/);
    expect(() => jensenShannonDivergence([0, 0], [1, 1])).toThrow(/no mass/);
    expect(() => jensenShannonDivergence([1], [1, 1])).toThrow(/length/);
  });
});

describe('spearmanCorrelation', () => {
  it('matches scipy.stats.spearmanr with ties (average ranks)', () => {
    // scipy 1.17.1: spearmanr([1, 2, 2, 3, 4, 4, 4, 5], [2, 1, 3, 3, 5, 4, 4, 6]).statistic → 0.9256265453136692
    expect(Math.abs(spearmanCorrelation([1, 2, 2, 3, 4, 4, 4, 5], [2, 1, 3, 3, 5, 4, 4, 6]) - 0.9256265453136692)).toBeLessThan(1e-12);
    // scipy 1.17.1: spearmanr([10, 20, 20, 30, 40], [5, 6, 7, 8, 7]).statistic → 0.7631578947368421
    expect(Math.abs(spearmanCorrelation([10, 20, 20, 30, 40], [5, 6, 7, 8, 7]) - 0.7631578947368421)).toBeLessThan(1e-12);
    // scipy 1.17.1: spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).statistic → 0.8207826816681233
    expect(Math.abs(spearmanCorrelation([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.8207826816681233)).toBeLessThan(1e-12);
  });

  it('matches scipy.stats.spearmanr without ties', () => {
    // scipy 1.17.1: spearmanr([3.1, 1.2, 5.5, 2.2, 4.8, 0.3], [2, 1, 4, 3, 6, 5]).statistic → 0.2571428571428572
    expect(Math.abs(spearmanCorrelation([3.1, 1.2, 5.5, 2.2, 4.8, 0.3], [2, 1, 4, 3, 6, 5]) - 0.2571428571428572)).toBeLessThan(1e-12);
  });

  it('is NaN for a constant sample, as scipy returns, and refuses unusable input', () => {
    expect(spearmanCorrelation([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => spearmanCorrelation([1, 2], [1])).toThrow(/length/);
    expect(() => spearmanCorrelation([1], [1])).toThrow(/two pairs/);
    expect(() => spearmanCorrelation([1, NaN], [1, 2])).toThrow(/finite/);
  });
});

// A deterministic table of 60 rows; the same formulas, in NumPy, give the reference values below.
const N = 60;
const LANGS = ['en', 'fr', 'de'];
function realRows(): Row[] {
  return Array.from({ length: N }, (_, i) => {
    const tokens = 100 + 3 * i + ((i * 7) % 11);
    const turns = 1 + (i % 5) + Math.floor(i / 10);
    return { id: `ex-${i}`, tokens, turns, latency_ms: 50 + ((i * 13) % 17) * 4 + i, score: tokens / 10 + turns, lang: LANGS[i % 3] };
  });
}
/** i ↦ 37·i mod 60, a permutation of the rows (37 and 60 are coprime). */
const permuted = (i: number) => (i * 37) % N;
/** The synthetic rows with `feature` taken from another real row: the marginal stays, the pairing breaks. */
function withPermuted(rows: Row[], feature: string): Row[] {
  return rows.map((row, i) => ({ ...row, [feature]: rows[permuted(i)][feature] }));
}
const OPTIONS: UtilityOptions = {
  numeric: ['tokens', 'turns', 'latency_ms', 'score'],
  categorical: ['lang'],
  scorer: (row) => row.score as number,
};

describe('utilityReport', () => {
  it('passes a synthetic set equal to the real one, with ρ = 1 and no distance', () => {
    const real = realRows();
    const report = utilityReport(real, structuredClone(real), OPTIONS);
    expect(report.passed).toBe(true);
    expect(report.failures).toEqual([]);
    expect(report.suggestion).toBe('');
    expect(report.downstream.n).toBe(N);
    expect(report.downstream.spearman).toBeCloseTo(1, 12);
    expect(report.correlation.features).toEqual(OPTIONS.numeric);
    expect(report.correlation.pearson_of_upper_triangles).toBeCloseTo(1, 12);
    expect(report.numeric.map((n) => n.wasserstein)).toEqual([0, 0, 0, 0]);
    expect(report.categorical).toEqual([{ feature: 'lang', jsd: 0 }]);
    // numpy 2.4.6: np.std(tokens, ddof=1) → 52.585520874568864
    expect(Math.abs(report.numeric[0].scale - 52.585520874568864)).toBeLessThan(1e-9);
    expect(() => assertUtility(report)).not.toThrow();
  });

  it('rejects shuffled scores, naming the downstream check and the score feature', () => {
    const real = realRows();
    const report = utilityReport(real, withPermuted(real, 'score'), OPTIONS);
    // scipy 1.17.1: spearmanr(score, score[(37 * i) % 60]).statistic → 0.0800777993887191
    expect(Math.abs(report.downstream.spearman! - 0.0800777993887191)).toBeLessThan(1e-12);
    // numpy 2.4.6: Pearson between the upper triangles of np.corrcoef of the real and of the synthetic columns → -0.22733163862760652
    expect(Math.abs(report.correlation.pearson_of_upper_triangles! - -0.22733163862760652)).toBeLessThan(1e-12);
    expect(report.passed).toBe(false);
    expect(report.failures[0]).toMatch(
      /^downstream: Spearman ρ .* is 0\.0801, below the minimum 0\.85; row by row, the numeric feature least preserved is score \(Spearman ρ = 0\.0801\)\.$/,
    );
    expect(report.failures[1]).toMatch(/^correlation structure: .* -0\.227, below the minimum 0\.8; the pair that changed most is \(.*score.*\)/);
    const error = rejection(report);
    expect(error.exitCode).toBe(1);
    expect(error).toBeInstanceOf(EvalsetError);
    expect(error.message).toMatch(/downstream/);
    expect(error.message).toMatch(/least preserved is score/);
    expect(error.message).toMatch(/Suggestion: Raise ε \(less noise per record\) or the synthetic size/);
    expect(error.hint).toBe(report.suggestion);
  });

  it('rejects a shifted numeric feature over its maximum, naming it, while the other checks pass', () => {
    const real = realRows();
    const synthetic = real.map((row) => ({ ...row, tokens: (row.tokens as number) + 40 }));
    const report = utilityReport(real, synthetic, { ...OPTIONS, maxWasserstein: { tokens: 5, turns: 0.5 } });
    // scipy 1.17.1: wasserstein_distance(tokens, tokens + 40) → 40.0; 40 / np.std(tokens, ddof=1) → 0.7606656610935005
    expect(report.numeric[0].wasserstein).toBeCloseTo(40, 9);
    expect(Math.abs(report.numeric[0].normalized! - 0.7606656610935005)).toBeLessThan(1e-9);
    // A shift keeps every rank and correlation.
    expect(report.downstream.spearman).toBeCloseTo(1, 12);
    expect(report.correlation.pearson_of_upper_triangles).toBeCloseTo(1, 12);
    expect(report.failures).toEqual([
      'numeric feature tokens: Wasserstein distance 40 exceeds the maximum 5 (0.761 real standard deviations; mean 194 real, 234 synthetic).',
    ]);
    expect(rejection(report).message).toMatch(/numeric feature tokens/);
  });

  it('rejects a changed correlation structure, naming the pair that changed most', () => {
    const real = realRows();
    const report = utilityReport(real, withPermuted(real, 'turns'), OPTIONS);
    // numpy 2.4.6: Pearson between the upper triangles, turns permuted → 0.38616615978254487
    expect(Math.abs(report.correlation.pearson_of_upper_triangles! - 0.38616615978254487)).toBeLessThan(1e-12);
    expect(report.numeric[1].wasserstein).toBe(0); // same marginal
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatch(/^correlation structure: .* 0\.386, below the minimum 0\.8; the pair that changed most is \(.*turns.*\)/);
    // Permuting latency_ms, loosely tied to the others, keeps agreement above 0.8; numpy 2.4.6 → 0.9433634966089895
    const mild = utilityReport(real, withPermuted(real, 'latency_ms'), OPTIONS);
    expect(Math.abs(mild.correlation.pearson_of_upper_triangles! - 0.9433634966089895)).toBeLessThan(1e-12);
    expect(mild.passed).toBe(true);
  });

  it('rejects a categorical feature over maxJsd, naming it and the category that moved most', () => {
    const real = realRows();
    const synthetic = real.map((row) => ({ ...row, lang: row.lang === 'fr' ? 'en' : row.lang }));
    const report = utilityReport(real, synthetic, OPTIONS);
    // de, en, fr = 20, 20, 20 real vs 20, 40, 0 synthetic; scipy 1.17.1: jensenshannon([20, 20, 20], [20, 40, 0]) ** 2 → 0.14384103622589048
    expect(Math.abs(report.categorical[0].jsd - 0.14384103622589048)).toBeLessThan(1e-12);
    expect(report.failures).toEqual([
      'categorical feature lang: Jensen–Shannon divergence 0.144 nats exceeds the maximum 0.1; category "en" moved most (33.3% of real rows, 66.7% of synthetic).',
    ]);
    expect(utilityReport(real, synthetic, { ...OPTIONS, maxJsd: 0.2 }).passed).toBe(true);
  });

  it('leaves the correlation check out with fewer than 3 pairs, and drops constant features from it', () => {
    const real = realRows().map((row) => ({ ...row, constant: 7 }));
    const two = utilityReport(real, structuredClone(real), { ...OPTIONS, numeric: ['tokens', 'turns', 'constant'] });
    expect(two.correlation).toEqual({ pearson_of_upper_triangles: null, features: ['tokens', 'turns'] });
    expect(two.numeric[2]).toEqual({ feature: 'constant', wasserstein: 0, scale: 0, normalized: null });
    expect(two.passed).toBe(true);
  });

  it('is deterministic: the same rows give the same report, byte for byte', () => {
    const real = realRows();
    const synthetic = withPermuted(real, 'score');
    expect(JSON.stringify(utilityReport(real, synthetic, OPTIONS))).toBe(JSON.stringify(utilityReport(real, synthetic, OPTIONS)));
  });

  it('reports bad input as InvalidInputError with file, line and field', () => {
    const real = realRows();
    expect(() => utilityReport(real, real.slice(1), OPTIONS)).toThrow(InvalidInputError);
    const synthetic = structuredClone(real);
    synthetic[4].tokens = 'many';
    delete synthetic[9].lang;
    const error = catchError(() => utilityReport(real, synthetic, { ...OPTIONS, files: { real: 'real.jsonl', synthetic: 'synthetic.jsonl' } }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues).toEqual([
      { file: 'synthetic.jsonl', line: 5, field: 'tokens', message: 'expected a finite number, got the string "many"' },
      {
        file: 'synthetic.jsonl',
        line: 10,
        field: 'lang',
        message: 'expected a category (string, number, boolean or null), got nothing (the field is missing)',
      },
    ]);
    expect(() => utilityReport(real, real, { ...OPTIONS, maxWasserstein: { lang: 1 } })).toThrow(/lang is not one of the numeric features/);
    expect(() => utilityReport(real, real, { ...OPTIONS, categorical: ['lang', 'tokens'] })).toThrow(/tokens is listed more than once/);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function rejection(report: ReturnType<typeof utilityReport>): UtilityRejectedError {
  const error = catchError(() => assertUtility(report));
  expect(error).toBeInstanceOf(UtilityRejectedError);
  return error as UtilityRejectedError;
}
