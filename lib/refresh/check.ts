/**
 * The staleness check of one dataset against production traffic (issue 9): the dataset's examples (the
 * reference, as curated) against the traffic of the last `window_days` daily partitions (the current
 * side), per dimension, and the same comparison for each of the last `trend_days` days on its own (the
 * trend the sparkline and the DVC plot draw). Pure: the features of every prompt are computed before
 * (lib/refresh/features.ts), so this costs only the histograms and the noise floors' bootstraps.
 */
import { categoryHistograms, fixedBinHistograms, topEntityHistograms, type HistogramPair } from './histogram.ts';
import type { PromptFeatures } from './features.ts';
import { staleness, type DimensionStaleness, type StalenessAction, type StalenessDimension, type StalenessThresholds } from './staleness.ts';

export interface StalenessSettings {
  /** Seed of the noise floors' bootstrap. */
  seed: number;
  /** The current side: the traffic of the last this many daily partitions. */
  window_days: number;
  /** The trend: each of the last this many daily partitions, compared on its own. */
  trend_days: number;
  /** Prompt-length bin edges in tokens, shared by both sides. */
  length_bins: number[];
  /** Entities with a bin of their own; the rest are pooled as "other". */
  top_entities: number;
  thresholds: StalenessThresholds;
  noise_floor: { replicates: number; quantile: number };
}

/** One day of traffic, its prompts' features. */
export interface TrafficDayFeatures {
  date: string;
  prompts: PromptFeatures[];
}

/** A bin's share on each side, for the report's "what moved" lines. */
export interface BinShift {
  bin: string;
  reference: number;
  current: number;
}

export interface WindowDimension extends DimensionStaleness {
  /** The bins whose share moved most, largest |current − reference| first (at most five). */
  shifts: BinShift[];
}

export interface TrendPoint {
  date: string;
  prompts: number;
  dimensions: Pick<DimensionStaleness, 'name' | 'jsd' | 'noise_floor' | 'action'>[];
  action: StalenessAction;
}

export interface StalenessCheck {
  window: { from: string; to: string; days: number; prompts: number };
  reference: { examples: number };
  dimensions: WindowDimension[];
  action: StalenessAction;
  trend: TrendPoint[];
  /** The first day of the trend whose own traffic called for re-curation, or null. */
  first_recurate: string | null;
}

/** The three dimensions of issue 9, as histogram pairs over shared bins. */
export function stalenessDimensions(
  reference: readonly PromptFeatures[],
  current: readonly PromptFeatures[],
  settings: StalenessSettings,
): StalenessDimension[] {
  return [
    {
      name: 'task_category',
      histogram: categoryHistograms(
        reference.map((p) => p.category),
        current.map((p) => p.category),
      ),
    },
    {
      name: 'prompt_length',
      histogram: fixedBinHistograms(
        reference.map((p) => p.tokens),
        current.map((p) => p.tokens),
        settings.length_bins,
      ),
    },
    {
      name: 'entities',
      histogram: topEntityHistograms(
        reference.map((p) => p.entities),
        current.map((p) => p.entities),
        settings.top_entities,
      ),
    },
  ];
}

/** The bins whose share moved most between the sides (largest absolute change first, then by bin label). */
export function binShifts({ bins, reference, current }: HistogramPair, limit = 5): BinShift[] {
  const total = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) || 1;
  const r = total(reference);
  const c = total(current);
  return bins
    .map((bin, i) => ({ bin, reference: reference[i] / r, current: current[i] / c }))
    .sort((a, b) => Math.abs(b.current - b.reference) - Math.abs(a.current - a.reference) || (a.bin < b.bin ? -1 : a.bin > b.bin ? 1 : 0))
    .slice(0, limit);
}

/**
 * Staleness of `reference` (the dataset's prompts) against `days` (daily traffic, any order): the window
 * of the last `window_days` days pooled, and the trend of the last `trend_days` days one by one. Days
 * without prompts are left out of both (a day with no traffic says nothing). An empty window is the
 * caller's to refuse before; here it throws.
 */
export function checkStaleness(
  reference: readonly PromptFeatures[],
  days: readonly TrafficDayFeatures[],
  settings: StalenessSettings,
): StalenessCheck {
  const sorted = days.filter((d) => d.prompts.length > 0).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const window = sorted.slice(-settings.window_days);
  if (!window.length) throw new RangeError('no traffic: the staleness check needs at least one day with prompts');
  if (!reference.length) throw new RangeError('the dataset has no examples to compare with traffic');
  const options = { seed: settings.seed, thresholds: settings.thresholds, ...settings.noise_floor };
  const current = window.flatMap((d) => d.prompts);
  const dimensions = stalenessDimensions(reference, current, settings);
  const result = staleness(dimensions, options);
  const trend = sorted.slice(-settings.trend_days).map((day): TrendPoint => {
    const r = staleness(stalenessDimensions(reference, day.prompts, settings), options);
    return {
      date: day.date,
      prompts: day.prompts.length,
      dimensions: r.dimensions.map(({ name, jsd, noise_floor, action }) => ({ name, jsd, noise_floor, action })),
      action: r.action,
    };
  });
  return {
    window: { from: window[0].date, to: window[window.length - 1].date, days: window.length, prompts: current.length },
    reference: { examples: reference.length },
    dimensions: result.dimensions.map((d, i) => ({ ...d, shifts: binShifts(dimensions[i].histogram) })),
    action: result.action,
    trend,
    first_recurate: trend.find((t) => t.action === 're-curate')?.date ?? null,
  };
}
