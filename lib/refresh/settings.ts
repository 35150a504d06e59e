import type { Params } from '../config/params.ts';
import type { StalenessSettings } from './check.ts';
import type { RecurateSettings } from './recurate.ts';
import type { StalenessThresholds } from './staleness.ts';

/** JSD thresholds in nats: above `monitor` a dimension is watched, above `recurate` the dataset is re-curated. */
export const DEFAULT_THRESHOLDS: StalenessThresholds = { monitor: 0.05, recurate: 0.1 };

/** The staleness settings params give (top-level `staleness:`), with the documented defaults. */
export function stalenessSettings(params: Params): StalenessSettings {
  const p = params.staleness ?? {};
  return {
    seed: p.seed ?? 0,
    window_days: p.window_days ?? 7,
    trend_days: p.trend_days ?? 30,
    length_bins: p.length_bins ?? [0, 32, 64, 128, 256, 512],
    top_entities: p.top_entities ?? 20,
    thresholds: { ...DEFAULT_THRESHOLDS, ...p.thresholds },
    noise_floor: { replicates: p.noise_floor?.replicates ?? 1000, quantile: p.noise_floor?.quantile ?? 0.95 },
  };
}

/** A dataset's re-curation settings (`datasets.NAME.refresh`), with the documented defaults. */
export function recurateSettings(params: Params, name: string): RecurateSettings {
  const refresh = params.datasets[name]?.refresh ?? {};
  const staleness = stalenessSettings(params);
  return {
    min_overlap: refresh.min_overlap ?? 0.7,
    max_distance: refresh.retire?.max_distance ?? 0.5,
    min_production_share: refresh.retire?.min_production_share ?? 0.02,
    length_bins: staleness.length_bins,
    top_entities: staleness.top_entities,
  };
}
