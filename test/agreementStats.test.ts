import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootstrapAlpha } from '../lib/annotation/bootstrapAlpha.ts';
import { quantileSortedType7 } from '../lib/stats/quantileSortedType7.ts';
import { cohenKappa, cohenKappaFromTable } from '../lib/annotation/cohenKappa.ts';
import { coincidences, differenceMatrix, krippendorffAlpha, perUnitDisagreement, type ReliabilityData } from '../lib/annotation/krippendorffAlpha.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { Rng } from '../lib/demo/rng.ts';

/** Reliability data from a coders × units matrix (null = missing), values the sorted distinct labels or the order given. */
function fromMatrix<T extends string | number>(coders: readonly (readonly (T | null)[])[], order?: readonly T[]): ReliabilityData {
  const present = coders.flat().filter((v): v is T => v !== null);
  const values = order ?? [...new Set(present)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map<string | number, number>(values.map((v, i) => [v, i]));
  const units = coders[0].map((_, u) => Int32Array.from(coders.flatMap((row) => (row[u] === null ? [] : [index.get(row[u] as T)!]))));
  return { values, units };
}

const close = (actual: number, expected: number, tolerance = 1e-9) => expect(Math.abs(actual - expected)).toBeLessThan(tolerance);

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section D: 4 observers × 12 units with missing values.
const _ = null;
const krippendorff2011 = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
];

// The 3 coders × 15 units example of Wikipedia's "Krippendorff's alpha" article, also the docstring example of the Python krippendorff package.
const wikipedia = [
  [_, _, _, _, _, 3, 4, 1, 2, 1, 1, 3, 3, _, 3],
  [1, _, 2, 1, 3, 3, 4, 3, _, _, _, _, _, _, _],
  [_, _, 2, 1, 3, 4, 4, _, 2, 1, 1, 3, 3, _, 4],
];

describe('krippendorffAlpha', () => {
  // Reference values: krippendorff.alpha(reliability_data, level_of_measurement=…) from the Python package krippendorff 0.9.0 (NumPy 2.4.6).
  it('matches the Python krippendorff package on the Krippendorff (2011) reliability data, at all four levels', () => {
    const data = fromMatrix(krippendorff2011);
    close(krippendorffAlpha(data, 'nominal').alpha, 0.743421052631579);
    close(krippendorffAlpha(data, 'ordinal').alpha, 0.8153875037548814);
    close(krippendorffAlpha(data, 'interval').alpha, 0.8491071428571428);
    close(krippendorffAlpha(data, 'ratio').alpha, 0.7974027747116121);
    // Krippendorff (2011) counts 40 pairable values in 11 pairable units (unit 12 has a single value).
    const result = krippendorffAlpha(data, 'nominal');
    expect(result.pairable).toBe(40);
    expect(result.units).toBe(11);
  });

  it('matches the published Wikipedia example: nominal 0.691358, interval 0.810845 (to 1e-6, as published)', () => {
    const data = fromMatrix(wikipedia);
    close(krippendorffAlpha(data, 'nominal').alpha, 0.691358, 1e-6);
    close(krippendorffAlpha(data, 'interval').alpha, 0.810845, 1e-6);
    // Full precision from the Python package krippendorff 0.9.0 on the same data.
    close(krippendorffAlpha(data, 'nominal').alpha, 0.691358024691358);
    close(krippendorffAlpha(data, 'ordinal').alpha, 0.8067214199413153);
    close(krippendorffAlpha(data, 'interval').alpha, 0.8108448928121059);
    close(krippendorffAlpha(data, 'ratio').alpha, 0.8089436707842471);
  });

  it('takes the ordinal order from the caller for string labels (the Python package docstring example, ordinal 0.815)', () => {
    const names = ['very low', 'low', 'mid', 'high', 'very high'];
    const data = fromMatrix(
      krippendorff2011.map((row) => row.map((v) => (v === null ? null : names[v - 1]))),
      names,
    );
    close(krippendorffAlpha(data, 'ordinal').alpha, 0.8153875037548814);
    close(krippendorffAlpha(data, 'nominal').alpha, 0.743421052631579);
    expect(() => krippendorffAlpha(data, 'interval')).toThrow(InvalidInputError);
    expect(() => differenceMatrix('ratio', names, new Float64Array(5))).toThrow(/ratio alpha needs numeric labels/);
  });

  it('returns NaN when every pairable value is the same (D_e = 0), as krippendorff.alpha([[1,1,1],[1,1,nan]], value_domain=[1,2]) does', () => {
    const result = krippendorffAlpha({ values: [1, 2], units: [[0, 0], [0, 0], [0]] }, 'nominal');
    expect(result.alpha).toBeNaN();
    expect(result.expected).toBe(0);
  });

  it('refuses labels that are not indexes into the values', () => {
    expect(() => coincidences({ values: ['a', 'b'], units: [[0, 2]] })).toThrow(/not an index/);
    expect(() => coincidences({ values: ['a', 'b'], units: [[0, 0.5]] })).toThrow(/not an index/);
  });

  it('counts coincidences from value counts exactly as the naive sum over ordered pairs does', () => {
    // Krippendorff (2011), section B: o_ck = Σ_u Σ_{i≠j} [v_ui = c][v_uj = k] / (m_u − 1).
    const unitsOf = (V: number) => fc.array(fc.array(fc.integer({ min: 0, max: V - 1 }), { maxLength: 40 }), { maxLength: 30 });
    const reliabilityData = fc.integer({ min: 1, max: 6 }).chain((V) => unitsOf(V).map((units) => ({ V, units })));
    fc.assert(
      fc.property(reliabilityData, ({ V, units }) => {
        const naive = new Float64Array(V * V);
        for (const labels of units) {
          for (let i = 0; i < labels.length; i++)
            for (let j = 0; j < labels.length; j++) if (i !== j) naive[labels[i] * V + labels[j]] += 1 / (labels.length - 1);
        }
        const table = coincidences({ values: Array.from({ length: V }, (_, i) => i), units });
        for (let i = 0; i < V * V; i++) expect(Math.abs(table.o[i] - naive[i])).toBeLessThan(1e-9);
        expect(table.n).toBe(units.filter((labels) => labels.length >= 2).reduce((sum, labels) => sum + labels.length, 0));
        expect(table.pairableUnits).toBe(units.filter((labels) => labels.length >= 2).length);
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });
});

describe('cohenKappa', () => {
  // scikit-learn 1.9.1, sklearn/metrics/tests/test_classification.py::test_cohen_kappa; full-precision values from cohen_kappa_score.
  it('matches scikit-learn on the Artstein & Poesio (2008) binary table [[20, 20], [10, 50]]: 8/23', () => {
    const y1 = [...Array(40).fill(0), ...Array(60).fill(1)];
    const y2 = [...Array(20).fill(0), ...Array(20).fill(1), ...Array(10).fill(0), ...Array(50).fill(1)];
    close(cohenKappa(y1, y2), 8 / 23);
    close(cohenKappa(y2, y1), 8 / 23);
    // Spurious labels outside `labels` are ignored.
    close(cohenKappa([...y1, 2, 2, 2, 2], [...y2, 2, 2, 2, 2], { labels: [0, 1] }), 8 / 23);
    close(cohenKappa(y1, y1), 1);
  });

  it('matches scikit-learn on the Artstein & Poesio (2008) multiclass example: 0.8013245033112583', () => {
    const y1 = [...Array(46).fill(0), ...Array(44).fill(1), ...Array(10).fill(2)];
    const y2 = [...Array(52).fill(0), ...Array(32).fill(1), ...Array(16).fill(2)];
    close(cohenKappa(y1, y2), 0.8013245033112583);
  });

  it('matches scikit-learn on its weighting example: none, linear, quadratic', () => {
    const y1 = [...Array(46).fill(0), ...Array(44).fill(1), ...Array(10).fill(2)];
    const y2 = [...Array(50).fill(0), ...Array(40).fill(1), ...Array(10).fill(2)];
    close(cohenKappa(y1, y2), 0.9315068493150684);
    close(cohenKappa(y1, y2, { weights: 'linear' }), 0.9411764705882353);
    close(cohenKappa(y1, y2, { weights: 'quadratic' }), 0.9541284403669725);
    // cohen_kappa_score(y1, y2, weights='linear', labels=[2, 0, 1]): weights follow the order given.
    close(cohenKappa(y1, y2, { weights: 'linear', labels: [2, 0, 1] }), 0.9401197604790419);
  });

  it('matches the scikit-learn docstring example on string labels (0.6875), sorting them as NumPy does', () => {
    const y1 = ['negative', 'positive', 'negative', 'neutral', 'positive'];
    const y2 = ['negative', 'positive', 'negative', 'neutral', 'negative'];
    close(cohenKappa(y1, y2), 0.6875);
    // cohen_kappa_score(y1, y2, weights='linear') = 0.5833333333333333 (labels in sorted order negative, neutral, positive).
    close(cohenKappa(y1, y2, { weights: 'linear' }), 0.5833333333333333);
  });

  it('is NaN when undefined, as scikit-learn returns by default (replace_undefined_by=np.nan)', () => {
    expect(cohenKappa([3, 3, 3], [3, 3, 3])).toBeNaN();
    expect(() => cohenKappa([1, 'a'], [1, 1])).toThrow(/mix/);
  });

  it('matches statsmodels.stats.inter_rater.cohens_kappa on [[0, 4, 1], [0, 8, 0], [0, 1, 5]]', () => {
    // statsmodels 0.15.0: cohens_kappa(table).kappa; with weights=np.arange(3) and wt='linear' / 'quadratic'.
    const table = [
      [0, 4, 1],
      [0, 8, 0],
      [0, 1, 5],
    ];
    close(cohenKappaFromTable(table), 0.48416289592760187);
    close(cohenKappaFromTable(table, 'linear'), 0.4701195219123506);
    close(cohenKappaFromTable(table, 'quadratic'), 0.4501607717041801);
  });
});

describe('bootstrapAlpha', () => {
  it('takes type-7 quantiles as numpy.quantile does', () => {
    // numpy 2.4.6: np.quantile([0.1, 0.5, 0.2, 0.9, 0.3], [0.025, 0.975]) = [0.11, 0.86].
    const sorted = Float64Array.from([0.1, 0.2, 0.3, 0.5, 0.9]);
    close(quantileSortedType7(sorted, 0.025), 0.11);
    close(quantileSortedType7(sorted, 0.975), 0.86);
  });

  it("splits Σ o δ² into the units' terms without loss, so a replicate of every unit once gives the full-sample alpha", () => {
    const data = fromMatrix(krippendorff2011);
    for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
      const table = coincidences(data);
      const delta2 = differenceMatrix(level, data.values, table.n_c);
      const perUnit = perUnitDisagreement(data, delta2);
      let whole = 0;
      for (let i = 0; i < delta2.length; i++) whole += table.o[i] * delta2[i];
      close(
        perUnit.disagreement.reduce((a, b) => a + b, 0),
        whole,
      );
      expect(perUnit.units).toBe(11);
      expect(perUnit.count.reduce((a, b) => a + b, 0)).toBe(table.n);
    }
  });

  it('gives the same interval for the same seed, and another for another seed', () => {
    const data = fromMatrix(krippendorff2011);
    const first = bootstrapAlpha(data, 'interval', { samples: 1000, seed: 7 });
    const again = bootstrapAlpha(data, 'interval', { samples: 1000, seed: 7 });
    const other = bootstrapAlpha(data, 'interval', { samples: 1000, seed: 8 });
    expect(again).toEqual(first);
    expect(Object.is(again.ci[0], first.ci[0]) && Object.is(again.ci[1], first.ci[1])).toBe(true);
    expect(other.ci).not.toEqual(first.ci);
    close(first.alpha, 0.8491071428571428);
    expect(first.ci[0]).toBeLessThanOrEqual(first.ci[1]);
    expect(first.samples + first.skipped).toBe(1000);
  });

  it('skips and counts the replicates in which every value drawn is the same', () => {
    // Units {a,a}, {a,a}, {b,b}: a replicate that draws only a-units or only the b-unit has D_e = 0.
    const result = bootstrapAlpha(
      {
        values: ['a', 'b'],
        units: [
          [0, 0],
          [0, 0],
          [1, 1],
        ],
      },
      'nominal',
      { samples: 2000, seed: 1 },
    );
    expect(result.alpha).toBe(1);
    expect(result.skipped).toBeGreaterThan(0);
    expect(result.samples + result.skipped).toBe(2000);
    expect(result.ci).toEqual([1, 1]);
  });

  it('covers the population alpha at close to the nominal 95%', () => {
    // Generating process: 4 nominal values; each unit has a uniform true value, and each of 3 annotators
    // copies it with probability 0.7, else draws a value uniformly. Then P(agree) = 0.775² + 3·0.075² = 0.6175
    // and chance agreement 1/4, so the population alpha is 1 − (1 − 0.6175)/(3/4) = 0.49.
    const simulate = (rng: Rng, units: number): ReliabilityData => ({
      values: [0, 1, 2, 3],
      units: Array.from({ length: units }, () => {
        const truth = rng.int(0, 3);
        return Int32Array.from({ length: 3 }, () => (rng.int(0, 9) < 7 ? truth : rng.int(0, 3)));
      }),
    });
    const population = krippendorffAlpha(simulate(new Rng(2007), 200_000), 'nominal').alpha;
    expect(Math.abs(population - 0.49)).toBeLessThan(0.01);

    const datasets = 200;
    const rng = new Rng(77);
    let covered = 0;
    for (let d = 0; d < datasets; d++) {
      const { ci } = bootstrapAlpha(simulate(rng, 100), 'nominal', { samples: 400, seed: 1000 + d });
      if (ci[0] <= population && population <= ci[1]) covered++;
    }
    const coverage = covered / datasets;
    expect(coverage).toBeGreaterThanOrEqual(0.88);
    expect(coverage).toBeLessThanOrEqual(0.99);
  });
});
