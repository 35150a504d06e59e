import { jensenShannonDivergence } from '../stats/jensenShannonDivergence.ts';
import type { HistogramPair } from './histogram.ts';
import { noiseFloor } from './noiseFloor.ts';
import { DEFAULT_THRESHOLDS } from './settings.ts';

/** What a dimension, or the dataset, calls for, weakest first. */
export const ACTIONS = ['none', 'monitor', 're-curate'] as const;
export type StalenessAction = (typeof ACTIONS)[number];

/** JSD thresholds in nats: above `monitor` a dimension is watched, above `recurate` the dataset is re-curated. */
export interface StalenessThresholds {
  monitor: number;
  recurate: number;
}

export interface StalenessDimension {
  /** e.g. `task_category`, `prompt_length`, `entities`. */
  name: string;
  histogram: HistogramPair;
}

export interface DimensionStaleness {
  name: string;
  /** Jensen–Shannon divergence between the reference and the current histogram, nats. */
  jsd: number;
  /** The JSD sampling noise alone reaches at these sample sizes (noiseFloor), nats. */
  noise_floor: number;
  action: StalenessAction;
  /** Observations on each side, which the noise floor depends on. */
  n_reference: number;
  n_current: number;
}

export interface StalenessResult {
  dimensions: DimensionStaleness[];
  /** The strongest action of any dimension. */
  action: StalenessAction;
}

export interface StalenessOptions {
  /** Seed of the noise floor's bootstrap: the same seed gives the same result. */
  seed: number;
  thresholds?: Partial<StalenessThresholds>;
  /** Bootstrap replicates of the noise floor (default 1,000). */
  replicates?: number;
  /** The quantile of the null JSD reported as the noise floor (default 0.95). */
  quantile?: number;
}

/**
 * The action one dimension calls for. An alert (monitor or re-curate) needs the divergence to EXCEED
 * both the action's threshold and the noise floor (strictly: a JSD equal to either is no alert), so a
 * divergence that sampling noise alone reaches at these sizes never alerts, however large; a fixed
 * threshold alone, as drift tools such as Evidently use, would. Then:
 *   re-curate  when jsd > recurate and jsd > noise floor,
 *   monitor    when jsd > monitor  and jsd > noise floor (and not re-curate),
 *   none       otherwise.
 */
export function actionFor(jsd: number, floor: number, thresholds: StalenessThresholds = DEFAULT_THRESHOLDS): StalenessAction {
  checkThresholds(thresholds);
  if (!(jsd >= 0) || !(floor >= 0)) throw new RangeError(`a divergence and a noise floor are numbers ≥ 0, got ${jsd} and ${floor}`);
  if (!(jsd > floor)) return 'none';
  return jsd > thresholds.recurate ? 're-curate' : jsd > thresholds.monitor ? 'monitor' : 'none';
}

/** The strongest of some actions (none < monitor < re-curate); `none` when there are none. */
export function strongestAction(actions: Iterable<StalenessAction>): StalenessAction {
  let strongest = 0;
  for (const action of actions) strongest = Math.max(strongest, ACTIONS.indexOf(action));
  return ACTIONS[strongest];
}

/**
 * Staleness per dimension: the JSD (nats) between the reference and the current histogram
 * (jensenShannonDivergence: Lin 1991), the noise floor at the observed sizes (noiseFloor: a seeded
 * bootstrap under the null), the action (actionFor), and the strongest action overall. Every
 * dimension's floor is drawn with the same seed, so each is reproducible on its own.
 */
export function staleness(dimensions: readonly StalenessDimension[], options: StalenessOptions): StalenessResult {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  checkThresholds(thresholds);
  const names = new Set<string>();
  const results = dimensions.map(({ name, histogram }): DimensionStaleness => {
    if (names.has(name)) throw new RangeError(`dimension ${name} is given twice`);
    names.add(name);
    const { bins, reference, current } = histogram;
    if (reference.length !== bins.length || current.length !== bins.length)
      throw new RangeError(`dimension ${name}: ${bins.length} bins but ${reference.length} reference and ${current.length} current counts`);
    const floor = noiseFloor(reference, current, { seed: options.seed, replicates: options.replicates, quantile: options.quantile });
    const jsd = jensenShannonDivergence(reference, current);
    return {
      name,
      jsd,
      noise_floor: floor,
      action: actionFor(jsd, floor, thresholds),
      n_reference: reference.reduce((a, b) => a + b, 0),
      n_current: current.reduce((a, b) => a + b, 0),
    };
  });
  return { dimensions: results, action: strongestAction(results.map((d) => d.action)) };
}

function checkThresholds({ monitor, recurate }: StalenessThresholds): void {
  if (!(Number.isFinite(monitor) && Number.isFinite(recurate) && monitor >= 0 && recurate >= monitor))
    throw new RangeError(`thresholds must satisfy 0 ≤ monitor ≤ recurate (nats), got monitor ${monitor} and recurate ${recurate}`);
}
