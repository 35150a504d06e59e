import { describe, expect, it } from 'vitest';
import { Rng } from '../lib/demo/rng.ts';
import { categoryHistograms, fixedBinCounts, fixedBinHistograms, fixedBinLabels, OTHER, topEntityHistograms } from '../lib/refresh/histogram.ts';
import { multinomialSampler, noiseFloor } from '../lib/refresh/noiseFloor.ts';
import { DEFAULT_THRESHOLDS } from '../lib/refresh/settings.ts';
import { actionFor, staleness, strongestAction } from '../lib/refresh/staleness.ts';
import { jensenShannonDivergence, jensenShannonDivergenceOfCounts } from '../lib/stats/jensenShannonDivergence.ts';
import { checkStaleness, type StalenessSettings, type TrafficDayFeatures } from '../lib/refresh/check.ts';
import type { PromptFeatures } from '../lib/refresh/features.ts';
import { stalenessReport, stalenessResult, trendCsv } from '../lib/refresh/result.ts';
import { renderStaleness } from '../lib/card/sections/staleness.ts';

// Reference values below come from SciPy 1.17.1 with NumPy 2.4.6 unless said otherwise.
// scipy.spatial.distance.jensenshannon returns the Jensen–Shannon DISTANCE: the divergence is its square.

const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(1e-12);

/** The next double above a positive x. */
const nextUp = (x: number): number => {
  const bits = new BigInt64Array(Float64Array.of(x).buffer);
  bits[0] += 1n;
  return new Float64Array(bits.buffer)[0];
};

describe('Jensen–Shannon divergence of the staleness dimensions', () => {
  it("equals scipy's values to 1e-12 (issue 9)", () => {
    // scipy 1.17.1: jensenshannon([1, 0], [0.5, 0.5]) ** 2 → 0.21576155433883568 nats
    close(jensenShannonDivergence([1, 0], [0.5, 0.5]), 0.21576155433883568);
    // scipy 1.17.1: jensenshannon([.1, .4, .5], [.8, .15, .05]) ** 2 → 0.29126084062606394 nats
    close(jensenShannonDivergence([0.1, 0.4, 0.5], [0.8, 0.15, 0.05]), 0.29126084062606394);
  });
});

describe('fixed-bin histograms', () => {
  const edges = [0, 50, 100, 200, 400];

  it('count as numpy.histogram of the values clipped to the outer edges, keeping empty bins', () => {
    // numpy 2.4.6: np.histogram(np.clip([-5, 0, 49.9, 50, 99.999, 399, 400, 1000], 0, 400), bins=[0, 50, 100, 200, 400])[0] → [3, 2, 0, 3]
    expect(fixedBinCounts([-5, 0, 49.9, 50, 99.999, 399, 400, 1000], edges)).toEqual([3, 2, 0, 3]);
    // numpy 2.4.6: np.histogram([10, 20, 150, 199.5, 250], bins=[0, 50, 100, 200, 400])[0] → [2, 0, 2, 1]
    expect(fixedBinCounts([10, 20, 150, 199.5, 250], edges)).toEqual([2, 0, 2, 1]);
    expect(fixedBinCounts([], edges)).toEqual([0, 0, 0, 0]);
  });

  it('share the bins between the two sides, and the JSD is safe with an empty bin on either side', () => {
    const pair = fixedBinHistograms([-5, 0, 49.9, 50, 99.999, 399, 400, 1000], [10, 20, 150, 199.5, 250], edges);
    expect(pair).toEqual({ bins: ['< 50', '[50, 100)', '[100, 200)', '≥ 200'], reference: [3, 2, 0, 3], current: [2, 0, 2, 1] });
    // scipy 1.17.1: jensenshannon([3, 2, 0, 3], [2, 0, 2, 1]) ** 2 → 0.2390032757715892
    close(jensenShannonDivergence(pair.reference, pair.current), 0.2390032757715892);
  });

  it('label a single bin, and refuse edges that do not increase and values that are not finite', () => {
    expect(fixedBinLabels([0, 10])).toEqual(['all']);
    expect(fixedBinCounts([-1, 5, 11], [0, 10])).toEqual([3]);
    expect(() => fixedBinCounts([1], [0])).toThrow(/at least two/);
    expect(() => fixedBinCounts([1], [0, 10, 10])).toThrow(/increase strictly/);
    expect(() => fixedBinCounts([NaN], edges)).toThrow(/finite/);
  });
});

describe('category histograms', () => {
  it('count over the sorted union of the categories, with known categories as empty bins', () => {
    const pair = categoryHistograms(['math', 'code', 'code'], ['code', 'chat'], ['translation']);
    expect(pair).toEqual({ bins: ['chat', 'code', 'math', 'translation'], reference: [0, 2, 1, 0], current: [1, 1, 0, 0] });
    // scipy 1.17.1: jensenshannon([0, 2, 1, 0], [1, 1, 0, 0]) ** 2 → 0.2947841194846702
    close(jensenShannonDivergence(pair.reference, pair.current), 0.2947841194846702);
    // The same value as the counts-by-category form.
    const tally = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    expect(jensenShannonDivergence(pair.reference, pair.current)).toBe(
      jensenShannonDivergenceOfCounts(tally(['math', 'code', 'code']), tally(['code', 'chat'])),
    );
  });
});

describe('top-K entity histograms', () => {
  // Reference mentions: Paris 2, Google 1, Berlin 1 (4). Current: OpenAI 3, Paris 1, Berlin 1 (5).
  // Combined shares: Paris 2/4 + 1/5 = 0.7, OpenAI 0 + 3/5 = 0.6, Berlin 1/4 + 1/5 = 0.45, Google 1/4 = 0.25.
  const reference = [['Paris', 'Google'], ['Paris'], ['Berlin']];
  const current = [['OpenAI', 'Paris'], ['OpenAI'], ['OpenAI', 'Berlin'], []];

  it('keep the K entities of largest combined share, a new entity among them, and pool the rest as "other"', () => {
    const two = topEntityHistograms(reference, current, 2);
    expect(two).toEqual({ bins: ['Paris', 'OpenAI', OTHER], reference: [2, 0, 2], current: [1, 3, 1] });
    // scipy 1.17.1: jensenshannon([2, 0, 2], [1, 3, 1]) ** 2 → 0.27435846855026524
    close(jensenShannonDivergence(two.reference, two.current), 0.27435846855026524);
    const three = topEntityHistograms(reference, current, 3);
    expect(three).toEqual({ bins: ['Paris', 'OpenAI', 'Berlin', OTHER], reference: [2, 0, 1, 1], current: [1, 3, 1, 0] });
    // scipy 1.17.1: jensenshannon([2, 0, 1, 1], [1, 3, 1, 0]) ** 2 → 0.3291864698207076
    close(jensenShannonDivergence(three.reference, three.current), 0.3291864698207076);
  });

  it('break ties in code unit order, pool a mention spelt "other", and keep every mention', () => {
    const pair = topEntityHistograms([['b', 'a', 'other']], [['a', 'b', 'c']], 1);
    expect(pair).toEqual({ bins: ['a', OTHER], reference: [1, 2], current: [1, 2] });
    expect(topEntityHistograms([['x']], [['y']], 0)).toEqual({ bins: [OTHER], reference: [1], current: [1] });
    expect(() => topEntityHistograms([], [], -1)).toThrow(/k must be/);
  });
});

describe('actions', () => {
  const { monitor, recurate } = DEFAULT_THRESHOLDS;

  it('default to monitor above 0.05 nats and re-curate above 0.1 nats, each boundary itself not crossed', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({ monitor: 0.05, recurate: 0.1 });
    expect(actionFor(0, 0)).toBe('none');
    expect(actionFor(monitor, 0)).toBe('none');
    expect(actionFor(nextUp(monitor), 0)).toBe('monitor');
    expect(actionFor(recurate, 0)).toBe('monitor');
    expect(actionFor(nextUp(recurate), 0)).toBe('re-curate');
  });

  it('alert only when the divergence also exceeds the noise floor', () => {
    expect(actionFor(0.3, 0.3)).toBe('none');
    expect(actionFor(0.3, nextUp(0.3))).toBe('none');
    expect(actionFor(nextUp(0.3), 0.3)).toBe('re-curate');
    expect(actionFor(0.07, 0.08)).toBe('none');
    expect(actionFor(0.07, 0.06)).toBe('monitor');
  });

  it('take configurable thresholds, refuse inconsistent ones, and rank re-curate > monitor > none overall', () => {
    expect(actionFor(0.2, 0, { monitor: 0.1, recurate: 0.2 })).toBe('monitor');
    expect(actionFor(0.21, 0, { monitor: 0.1, recurate: 0.2 })).toBe('re-curate');
    expect(() => actionFor(0.2, 0, { monitor: 0.2, recurate: 0.1 })).toThrow(/monitor ≤ recurate/);
    expect(() => actionFor(NaN, 0)).toThrow(/≥ 0/);
    expect(strongestAction([])).toBe('none');
    expect(strongestAction(['none', 'monitor', 'none'])).toBe('monitor');
    expect(strongestAction(['monitor', 're-curate', 'none'])).toBe('re-curate');
  });
});

describe('noise floor', () => {
  // Prompt lengths in ten 40-character bins from 0 to 400.
  const edges = [0, 40, 80, 120, 160, 200, 240, 280, 320, 360, 400];
  const lengths = (rng: Rng, n: number, from: number, to: number) => Array.from({ length: n }, () => rng.int(from, to));

  it('matches the χ² limit of the G test at large equal sizes: 4n·JSD → χ²(K − 1) (Wilks 1938)', () => {
    // 2,000 per side over 10 equal bins. scipy 1.17.1: chi2.ppf(0.95, 9) / (4 * 2000) → 0.002114872200577556
    const counts = new Array(10).fill(200);
    const floor = noiseFloor(counts, counts, { seed: 1 });
    expect(floor / 0.002114872200577556).toBeGreaterThan(0.9);
    expect(floor / 0.002114872200577556).toBeLessThan(1.1);
  });

  it('keeps two small samples of one distribution from alerting, although their JSD exceeds 0.1', () => {
    const rng = new Rng(2);
    const histogram = fixedBinHistograms(lengths(rng, 30, 0, 399), lengths(rng, 30, 0, 399), edges);
    const jsd = jensenShannonDivergence(histogram.reference, histogram.current);
    expect(jsd).toBeGreaterThan(0.1);
    // A fixed threshold alone would re-curate.
    expect(actionFor(jsd, 0)).toBe('re-curate');
    const result = staleness([{ name: 'prompt_length', histogram }], { seed: 7 });
    expect(result.dimensions[0].jsd).toBe(jsd);
    expect(result.dimensions[0].noise_floor).toBeGreaterThan(jsd);
    expect(result).toMatchObject({ dimensions: [{ name: 'prompt_length', action: 'none', n_reference: 30, n_current: 30 }], action: 'none' });
  });

  it('lets a real shift alert at 2,000 vs 2,000: prompts 100 characters longer', () => {
    const rng = new Rng(2);
    const histogram = fixedBinHistograms(lengths(rng, 2000, 0, 399), lengths(rng, 2000, 100, 499), edges);
    const same = categoryHistograms(
      ['a', 'b', 'b', 'c'].flatMap((x) => new Array(500).fill(x)),
      ['a', 'b', 'b', 'c'].flatMap((x) => new Array(500).fill(x)),
    );
    const result = staleness(
      [
        { name: 'prompt_length', histogram },
        { name: 'task_category', histogram: same },
      ],
      { seed: 7 },
    );
    const [length, category] = result.dimensions;
    expect(length.jsd).toBeGreaterThan(0.1);
    expect(length.noise_floor).toBeLessThan(0.01);
    expect(length.action).toBe('re-curate');
    expect(category).toMatchObject({ name: 'task_category', jsd: 0, action: 'none' });
    expect(category.noise_floor).toBeGreaterThan(0);
    expect(result.action).toBe('re-curate');
  });

  it('is the same for a seed, bit for bit, and moves with the seed', () => {
    const a = [3, 7, 0, 5, 9];
    const b = [6, 2, 4, 4, 1];
    expect(noiseFloor(a, b, { seed: 42 })).toBe(noiseFloor(a, b, { seed: 42 }));
    expect(noiseFloor(a, b, { seed: 42 })).not.toBe(noiseFloor(a, b, { seed: 43 }));
    const dims = [{ name: 'x', histogram: { bins: ['1', '2', '3', '4', '5'], reference: a, current: b } }];
    expect(staleness(dims, { seed: 42 })).toEqual(staleness(dims, { seed: 42 }));
  });

  it('is 0 when the pooled traffic has one bin only, rises with the quantile, and refuses empty or fractional sides', () => {
    expect(noiseFloor([5, 0], [8, 0], { seed: 1 })).toBe(0);
    const a = [3, 7, 0, 5, 9];
    const b = [6, 2, 4, 4, 1];
    expect(noiseFloor(a, b, { seed: 1, quantile: 0.99 })).toBeGreaterThan(noiseFloor(a, b, { seed: 1, quantile: 0.5 }));
    expect(() => noiseFloor([0, 0], [1, 1], { seed: 1 })).toThrow(/reference histogram is empty/);
    expect(() => noiseFloor([1.5, 0], [1, 1], { seed: 1 })).toThrow(/whole number/);
    expect(() => noiseFloor([1, 0], [1, 1], { seed: 1, quantile: 1 })).toThrow(/quantile/);
    expect(() => staleness([{ name: 'x', histogram: { bins: ['a'], reference: [1, 1], current: [1, 1] } }], { seed: 1 })).toThrow(/1 bins/);
  });

  it('draws multinomial counts whose bins have the Bin(n, pₖ) mean n·pₖ and variance n·pₖ(1 − pₖ), within 5 standard errors', () => {
    // A multinomial count's marginal is binomial (Johnson, Kotz & Balakrishnan, "Discrete Multivariate
    // Distributions", 1997, ch. 35): E xₖ = n·pₖ, Var xₖ = n·pₖqₖ, fourth central moment μ₄ = n·pₖqₖ(1 + 3pₖqₖ(n − 2)).
    // Over R draws the mean's standard error is √(n·pₖqₖ / R), the sample variance's √((μ₄ − (n·pₖqₖ)²) / R).
    const R = 20_000;
    const cases = [
      // The pooled counts of a typical comparison, drawn at the reference's size: binomials of mean ≥ 10 (BTRD).
      { weights: [340, 280, 230, 290, 250], n: 1200 },
      // A bin of 99.9 % beside rare ones, and an empty bin: binomials of mean < 10 (Bernoulli trials), p > ½ flipped.
      { weights: [0, 9990, 7, 3], n: 1000 },
    ];
    for (const { weights, n } of cases) {
      const draw = multinomialSampler(weights, 11);
      const draws = Array.from({ length: R }, () => draw(n));
      for (const counts of draws) expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
      const total = weights.reduce((a, b) => a + b, 0);
      weights.forEach((w, k) => {
        const xs = draws.map((counts) => counts[k]);
        if (w === 0) return expect(xs.every((x) => x === 0)).toBe(true);
        const p = w / total;
        const variance = n * p * (1 - p);
        const mu4 = variance * (1 + 3 * p * (1 - p) * (n - 2));
        const mean = xs.reduce((a, b) => a + b, 0) / R;
        const sampleVariance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (R - 1);
        expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt(variance / R));
        expect(Math.abs(sampleVariance - variance)).toBeLessThan(5 * Math.sqrt((mu4 - variance ** 2) / R));
      });
    }
    expect(multinomialSampler([3, 1], 1)(0)).toEqual([0, 0]);
    expect(() => multinomialSampler([0, 0], 1)).toThrow(/all 0/);
    expect(() => multinomialSampler([3, 1], 1)(2.5)).toThrow(/whole number/);
  });

  it('draws by binomials, not one observation at a time: a million per side, still on the χ² limit', () => {
    // A draw per observation would need 2·10⁹ draws here (about 110 s); K binomials per sample take milliseconds.
    // scipy 1.17.1: chi2.ppf(0.95, 9) / (4 * 1_000_000) → 4.229744401155112e-06
    const counts = new Array(10).fill(100_000);
    const floor = noiseFloor(counts, counts, { seed: 1 });
    expect(floor / 4.229744401155112e-6).toBeGreaterThan(0.9);
    expect(floor / 4.229744401155112e-6).toBeLessThan(1.1);
  });

  it('gives every safe integer seed its own stream, 0, negatives and seeds past 2³² included', () => {
    const seeds = [0, 1, -1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    const firstDraws = seeds.map((seed) => multinomialSampler([1, 1, 1, 1, 1], seed)(1_000_000).join());
    expect(new Set(firstDraws).size).toBe(seeds.length);
    expect(() => multinomialSampler([1, 1], 0.5)).toThrow(/seed must be an integer/);
  });
});

describe('checkStaleness over daily traffic, and its report', () => {
  const settings: StalenessSettings = {
    seed: 11,
    window_days: 3,
    trend_days: 5,
    length_bins: [0, 50, 100, 400],
    top_entities: 3,
    thresholds: { monitor: 0.05, recurate: 0.1 },
    noise_floor: { replicates: 300, quantile: 0.95 },
  };
  /** n prompts drawn from category shares (a, b) and lengths drawn from a length range. */
  const prompts = (r: Rng, n: number, codeShare: number, maxTokens: number): PromptFeatures[] =>
    Array.from({ length: n }, () => ({
      category: r.float(0, 1) < codeShare ? 'code' : 'chat',
      tokens: r.int(10, maxTokens),
      entities: [r.pick(['acme', 'globex', 'initech'])],
    }));
  const r = new Rng(5);
  const reference = prompts(r, 400, 0.3, 90);
  const day = (date: string, codeShare: number, maxTokens: number): TrafficDayFeatures => ({ date, prompts: prompts(r, 150, codeShare, maxTokens) });
  const days = [
    day('2026-03-01', 0.3, 90),
    day('2026-03-02', 0.3, 90),
    day('2026-03-03', 0.3, 90),
    day('2026-03-04', 0.95, 300),
    day('2026-03-05', 0.95, 300),
    day('2026-03-06', 0.95, 300),
  ];

  it('pools the last window_days for the verdict, compares each of the last trend_days on its own, and finds the first day that called for re-curation', () => {
    const check = checkStaleness(reference, [...days].reverse(), settings);
    expect(check.window).toEqual({ from: '2026-03-04', to: '2026-03-06', days: 3, prompts: 450 });
    expect(check.trend.map((t) => t.date)).toEqual(['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06']);
    expect(check.trend.slice(0, 2).every((t) => t.action === 'none')).toBe(true);
    expect(check.first_recurate).toBe('2026-03-04');
    expect(check.action).toBe('re-curate');
    const category = check.dimensions.find((d) => d.name === 'task_category')!;
    expect(category.action).toBe('re-curate');
    expect(category.shifts[0].bin).toMatch(/^(chat|code)$/);
    // The entity mix did not move: sampling noise alone, below its floor.
    expect(check.dimensions.find((d) => d.name === 'entities')!.action).toBe('none');
  });

  it('renders the card section with a sparkline per dimension, the same text as the Markdown report', () => {
    const check = checkStaleness(reference, days, settings);
    const result = stalenessResult('demo', {
      ...check,
      settings,
      traffic: { dir: 'datasets/traffic', partitions: 6, first: '2026-03-01', last: '2026-03-06', classified: 4 },
    });
    expect(result.status).toBe('warn');
    const section = renderStaleness(result);
    expect(section).toMatch(/^\*\*re-curate\*\* — Re-curation is due: task_category, prompt_length/);
    const row = section.split('\n').find((l) => l.startsWith('| task_category'))!;
    const spark = row.split('|')[5].trim();
    expect(spark).toHaveLength(5);
    expect(spark).toMatch(/^[▁▂▃▄▅▆▇█]{5}$/);
    expect(spark.at(0)! < spark.at(-1)!).toBe(true); // the block characters are in code-point order
    expect(section).toContain('The first day whose own traffic called for re-curation: **2026-03-04**');
    expect(stalenessReport(result)).toBe(`# Staleness of demo\n\n${section}\n`);
    const csv = trendCsv(result.details, 'task_category').trimEnd().split('\n');
    expect(csv[0]).toBe('date,prompts,noise_floor,recurate_threshold,jsd');
    expect(csv).toHaveLength(6);
    expect(csv[1].startsWith('2026-03-02,150,')).toBe(true);
  });
});
