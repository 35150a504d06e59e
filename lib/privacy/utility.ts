/**
 * Utility validation of a synthetic dataset against the real one it was synthesised from: does the
 * noisy copy still look like, and rank like, the original? Four dimensions, each with a threshold:
 *
 * - numeric marginals: the first Wasserstein distance per numeric feature (lib/stats/wassersteinDistance.ts),
 *   reported beside the real sample standard deviation so a reader can judge its size; gated only for
 *   the features given a maximum in `maxWasserstein`, in that feature's own units;
 * - categorical marginals: the Jensen–Shannon divergence in nats per categorical feature
 *   (lib/stats/jensenShannonDivergence.ts), at most `maxJsd`;
 * - correlation structure: the Pearson correlation between the upper triangles of the real and the
 *   synthetic correlation matrices of the numeric features, at least `minCorrelationAgreement`;
 * - downstream ranking: Spearman's ρ between `scorer(real[i])` and `scorer(synthetic[i])`, at least
 *   `minSpearman`. Rows pair by position: synthesis keeps one synthetic row per real row.
 *
 * The report is a plain, deterministic value (same rows, same report); `assertUtility` turns a failed
 * report into a UtilityRejectedError whose message names what degraded most and what to change.
 */
import { sampleCorrelation, sampleStandardDeviation, mean } from 'simple-statistics';
import { countOf, EvalsetError, InvalidInputError, type Issue } from '../errors.ts';
import { jensenShannonDivergenceOfCounts } from '../stats/jensenShannonDivergence.ts';
import { spearmanCorrelation } from '../stats/spearmanCorrelation.ts';
import { wassersteinDistance } from '../stats/wassersteinDistance.ts';

export type Row = Record<string, unknown>;

export const DEFAULT_MIN_SPEARMAN = 0.85;
export const DEFAULT_MAX_JSD = 0.1;
export const DEFAULT_MIN_CORRELATION_AGREEMENT = 0.8;

export interface UtilityOptions {
  /** Features whose values are finite numbers in every row. */
  numeric: string[];
  /** Features whose values are categories: a string, number, boolean or null in every row (null is a category of its own). */
  categorical: string[];
  /** The downstream task's score for one row, e.g. a difficulty or quality score; must be a finite number. */
  scorer: (row: Row) => number;
  /** Least acceptable Spearman ρ between the paired real and synthetic scores. Default 0.85. */
  minSpearman?: number;
  /** Greatest acceptable Wasserstein distance per numeric feature, in its own units. Features left out are reported, not gated. */
  maxWasserstein?: Record<string, number>;
  /** Greatest acceptable Jensen–Shannon divergence (nats) per categorical feature. Default 0.1 (ln 2 ≈ 0.693 is disjoint). */
  maxJsd?: number;
  /** Least acceptable Pearson r between the real and synthetic pairwise correlations. Default 0.8. */
  minCorrelationAgreement?: number;
  /** Names the two row sets go by in input issues (`file`); an issue's `line` is the 1-based row position. */
  files?: { real: string; synthetic: string };
}

export interface NumericUtility {
  feature: string;
  wasserstein: number;
  /** The real values' sample standard deviation (n − 1), the yardstick for `wasserstein`. */
  scale: number;
  /** wasserstein / scale: the distance in real standard deviations; null when the real feature is constant (scale 0). */
  normalized: number | null;
}

export interface CategoricalUtility {
  feature: string;
  /** Jensen–Shannon divergence in nats over the union of the categories seen on either side. */
  jsd: number;
}

export interface CorrelationUtility {
  /**
   * Pearson r between the real and synthetic vectors of pairwise Pearson correlations (one entry per
   * pair of `features`). null when there are fewer than 3 pairs — Pearson over two points is ±1
   * whatever they are, over one undefined — or when either vector is constant; the check is then skipped.
   */
  pearson_of_upper_triangles: number | null;
  /** The numeric features that enter the matrices: those not constant in the real nor in the synthetic rows (a constant column has no correlation). */
  features: string[];
}

export interface DownstreamUtility {
  /** Spearman ρ between scorer(real[i]) and scorer(synthetic[i]); null when either side's scores are all equal (ρ undefined), which fails the check. */
  spearman: number | null;
  n: number;
}

export interface UtilityReport {
  numeric: NumericUtility[];
  categorical: CategoricalUtility[];
  correlation: CorrelationUtility;
  downstream: DownstreamUtility;
  passed: boolean;
  /** One plain sentence per failed check, the worst first: downstream, correlation, then numeric and categorical features from most to least degraded. */
  failures: string[];
  /** What to change when a check fails; empty when every check passes. */
  suggestion: string;
}

/** Measures how well `synthetic` preserves `real`, and judges each dimension against its threshold. */
export function utilityReport(real: readonly Row[], synthetic: readonly Row[], options: UtilityOptions): UtilityReport {
  const minSpearman = options.minSpearman ?? DEFAULT_MIN_SPEARMAN;
  const maxJsd = options.maxJsd ?? DEFAULT_MAX_JSD;
  const minCorrelationAgreement = options.minCorrelationAgreement ?? DEFAULT_MIN_CORRELATION_AGREEMENT;
  const maxWasserstein = options.maxWasserstein ?? {};
  const columns = readColumns(real, synthetic, options);

  const numeric = options.numeric.map((feature): NumericUtility => {
    const { real: r, synthetic: s } = columns.numeric.get(feature)!;
    const wasserstein = wassersteinDistance(r, s);
    const scale = sampleStandardDeviation(r);
    return { feature, wasserstein, scale, normalized: scale > 0 ? wasserstein / scale : null };
  });
  const categorical = options.categorical.map((feature): CategoricalUtility => {
    const { real: r, synthetic: s } = columns.categorical.get(feature)!;
    return { feature, jsd: jensenShannonDivergenceOfCounts(countsOf(r), countsOf(s)) };
  });
  const structure = correlationStructure(options.numeric, columns.numeric);
  const spearman = spearmanCorrelation(columns.scores.real, columns.scores.synthetic);
  const downstream: DownstreamUtility = { spearman: Number.isNaN(spearman) ? null : spearman, n: real.length };

  const failures: string[] = [];
  if (downstream.spearman === null || downstream.spearman < minSpearman) {
    const what =
      downstream.spearman === null
        ? `is undefined because the scorer gives every ${allEqual(columns.scores.real) ? 'real' : 'synthetic'} row the same score`
        : `is ${fmt(downstream.spearman)}, below the minimum ${minSpearman}`;
    const weakest = leastPreservedRowByRow(options.numeric, columns.numeric);
    failures.push(
      `downstream: Spearman ρ between the scores of each real row and its synthetic row (n = ${downstream.n}) ${what}` +
        (weakest ? `; row by row, the numeric feature least preserved is ${weakest}` : '') +
        '.',
    );
  }
  const agreement = structure.report.pearson_of_upper_triangles;
  if (agreement !== null && agreement < minCorrelationAgreement) {
    const worst = structure.pairs.reduce((a, b) => (Math.abs(b.real - b.synthetic) > Math.abs(a.real - a.synthetic) ? b : a));
    failures.push(
      `correlation structure: Pearson r between the real and synthetic pairwise correlations is ${fmt(agreement)}, below the minimum ${minCorrelationAgreement}; ` +
        `the pair that changed most is (${worst.a}, ${worst.b}): r = ${fmt(worst.real)} in the real rows, ${fmt(worst.synthetic)} in the synthetic.`,
    );
  }
  const numericFailures = numeric
    .filter((n) => maxWasserstein[n.feature] !== undefined && n.wasserstein > maxWasserstein[n.feature])
    .sort((a, b) => severity(b) - severity(a) || compare(a.feature, b.feature));
  for (const n of numericFailures) {
    const { real: r, synthetic: s } = columns.numeric.get(n.feature)!;
    const size = n.normalized === null ? 'the real values are all equal' : `${fmt(n.normalized)} real standard deviations`;
    failures.push(
      `numeric feature ${n.feature}: Wasserstein distance ${fmt(n.wasserstein)} exceeds the maximum ${maxWasserstein[n.feature]} ` +
        `(${size}; mean ${fmt(mean(r))} real, ${fmt(mean(s))} synthetic).`,
    );
  }
  const categoricalFailures = categorical.filter((c) => c.jsd > maxJsd).sort((a, b) => b.jsd - a.jsd || compare(a.feature, b.feature));
  for (const c of categoricalFailures) {
    const { real: r, synthetic: s } = columns.categorical.get(c.feature)!;
    const moved = mostMovedCategory(r, s);
    failures.push(
      `categorical feature ${c.feature}: Jensen–Shannon divergence ${fmt(c.jsd)} nats exceeds the maximum ${maxJsd}; ` +
        `category ${moved.category} moved most (${percent(moved.real)} of real rows, ${percent(moved.synthetic)} of synthetic).`,
    );
  }

  return {
    numeric,
    categorical,
    correlation: structure.report,
    downstream,
    passed: failures.length === 0,
    failures,
    suggestion: suggestionFor(failures.length > 0, numericFailures.length + categoricalFailures.length > 0),
  };
}

/** The synthetic set failed utility validation: the message lists every failure and what to change. */
export class UtilityRejectedError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint: string;
  constructor(readonly report: UtilityReport) {
    super(
      `the synthetic set fails ${countOf(report.failures.length, 'utility check')}:\n` +
        report.failures.map((f) => `  ${f}`).join('\n') +
        `\nSuggestion: ${report.suggestion}`,
    );
    this.hint = report.suggestion;
  }
}

/** Throws UtilityRejectedError unless every check in the report passed. */
export function assertUtility(report: UtilityReport): void {
  if (!report.passed) throw new UtilityRejectedError(report);
}

function suggestionFor(failed: boolean, marginalsFailed: boolean): string {
  if (!failed) return '';
  return (
    'Raise ε (less noise per record) or the synthetic size, then re-run; ' +
    (marginalsFailed
      ? 'if ε cannot rise, drop or coarsen the features named above, or loosen their thresholds only if the downstream use tolerates it.'
      : 'if ε cannot rise, lower the number of noisy releases (compositions) so each one gets more of the budget.')
  );
}

interface Columns {
  numeric: Map<string, { real: number[]; synthetic: number[] }>;
  /** Category keys: JSON text of the value, so "1" and 1 and null stay distinct categories. */
  categorical: Map<string, { real: string[]; synthetic: string[] }>;
  scores: { real: number[]; synthetic: number[] };
}

/** Every value the report needs, checked: all problems are collected and thrown together as one InvalidInputError. */
function readColumns(real: readonly Row[], synthetic: readonly Row[], options: UtilityOptions): Columns {
  const files = options.files ?? { real: 'real', synthetic: 'synthetic' };
  const issues: Issue[] = [];
  const optionsIssue = (field: string, message: string) => issues.push({ file: 'options', field, message });
  const seen = new Set<string>();
  for (const [kind, features] of [
    ['numeric', options.numeric],
    ['categorical', options.categorical],
  ] as const) {
    for (const f of features) {
      if (seen.has(f)) optionsIssue(kind, `feature ${f} is listed more than once across numeric and categorical`);
      seen.add(f);
    }
  }
  for (const [f, max] of Object.entries(options.maxWasserstein ?? {})) {
    if (!options.numeric.includes(f)) optionsIssue(`maxWasserstein.${f}`, `${f} is not one of the numeric features`);
    if (!(max >= 0)) optionsIssue(`maxWasserstein.${f}`, 'must be a number ≥ 0');
  }
  if (real.length !== synthetic.length)
    issues.push({
      file: files.synthetic,
      message: `${synthetic.length} synthetic rows for ${real.length} real rows: synthesis keeps one synthetic row per real row, paired by position`,
    });
  if (real.length < 2)
    issues.push({ file: files.real, message: `${real.length} rows: utility validation needs at least 2 (a spread and a ranking)` });
  if (issues.length) throw new InvalidInputError(issues);

  const columns: Columns = { numeric: new Map(), categorical: new Map(), scores: { real: [], synthetic: [] } };
  for (const f of options.numeric) columns.numeric.set(f, { real: [], synthetic: [] });
  for (const f of options.categorical) columns.categorical.set(f, { real: [], synthetic: [] });
  for (const [side, rows] of [
    ['real', real],
    ['synthetic', synthetic],
  ] as const) {
    const file = files[side];
    rows.forEach((row, i) => {
      const line = i + 1;
      for (const f of options.numeric) {
        const value = row[f];
        if (typeof value === 'number' && Number.isFinite(value)) columns.numeric.get(f)![side].push(value);
        else issues.push({ file, line, field: f, message: `expected a finite number, got ${describe(value)}` });
      }
      for (const f of options.categorical) {
        const value = row[f];
        if (value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))
          columns.categorical.get(f)![side].push(JSON.stringify(value));
        else issues.push({ file, line, field: f, message: `expected a category (string, number, boolean or null), got ${describe(value)}` });
      }
      const score = options.scorer(row);
      if (typeof score === 'number' && Number.isFinite(score)) columns.scores[side].push(score);
      else issues.push({ file, line, field: 'score', message: `the scorer returned ${describe(score)}, not a finite number` });
    });
  }
  if (issues.length) throw new InvalidInputError(issues, { hint: 'Fix the listed rows or features (or the scorer) and re-run the utility check.' });
  return columns;
}

interface PairCorrelation {
  a: string;
  b: string;
  real: number;
  synthetic: number;
}

/** Pearson per pair of non-constant numeric features, on the real and on the synthetic rows, then Pearson between the two vectors. */
function correlationStructure(features: readonly string[], numeric: Columns['numeric']): { report: CorrelationUtility; pairs: PairCorrelation[] } {
  const usable = features.filter((f) => !allEqual(numeric.get(f)!.real) && !allEqual(numeric.get(f)!.synthetic));
  const pairs: PairCorrelation[] = [];
  for (let i = 0; i < usable.length; i++)
    for (let j = i + 1; j < usable.length; j++) {
      const a = numeric.get(usable[i])!;
      const b = numeric.get(usable[j])!;
      pairs.push({ a: usable[i], b: usable[j], real: sampleCorrelation(a.real, b.real), synthetic: sampleCorrelation(a.synthetic, b.synthetic) });
    }
  const realPairs = pairs.map((p) => p.real);
  const syntheticPairs = pairs.map((p) => p.synthetic);
  const comparable = pairs.length >= 3 && !allEqual(realPairs) && !allEqual(syntheticPairs);
  return { report: { pearson_of_upper_triangles: comparable ? sampleCorrelation(realPairs, syntheticPairs) : null, features: usable }, pairs };
}

/** The numeric feature whose values keep their order least from each real row to its synthetic row, as `name (Spearman ρ = x)`. */
function leastPreservedRowByRow(features: readonly string[], numeric: Columns['numeric']): string | null {
  let worst: { feature: string; rho: number } | null = null;
  for (const feature of features) {
    const { real, synthetic } = numeric.get(feature)!;
    const rho = spearmanCorrelation(real, synthetic);
    if (Number.isNaN(rho)) continue;
    if (worst === null || rho < worst.rho) worst = { feature, rho };
  }
  return worst && `${worst.feature} (Spearman ρ = ${fmt(worst.rho)})`;
}

function countsOf(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

/** The category whose share differs most between the two sides (ties: the first in sorted order). */
function mostMovedCategory(real: readonly string[], synthetic: readonly string[]): { category: string; real: number; synthetic: number } {
  const r = countsOf(real);
  const s = countsOf(synthetic);
  let best = { category: '', real: 0, synthetic: 0 };
  let bestGap = -1;
  for (const category of [...new Set([...r.keys(), ...s.keys()])].sort()) {
    const shareReal = (r.get(category) ?? 0) / real.length;
    const shareSynthetic = (s.get(category) ?? 0) / synthetic.length;
    if (Math.abs(shareReal - shareSynthetic) > bestGap) {
      bestGap = Math.abs(shareReal - shareSynthetic);
      best = { category, real: shareReal, synthetic: shareSynthetic };
    }
  }
  return best;
}

function severity(n: NumericUtility): number {
  return n.normalized ?? (n.wasserstein > 0 ? Infinity : 0);
}

function allEqual(xs: readonly number[]): boolean {
  return xs.every((x) => x === xs[0]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Three significant digits, without trailing zeros or exponent noise for ordinary sizes. */
function fmt(x: number): string {
  return String(Number(x.toPrecision(3)));
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return value === null ? 'null' : typeof value;
}
