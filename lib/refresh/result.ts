/**
 * What the staleness stage writes for one dataset: the quality result (`quality/staleness.json`, the
 * card's section), the DVC metrics (`reports/staleness-NAME.json`), one DVC plot per dimension
 * (`reports/plots/staleness-NAME-DIMENSION.csv`: the daily trend) and the Markdown report
 * (`reports/staleness-NAME.md`, also the refresh commit's body). The card section and the report are
 * the same text, rendered here once.
 */
import { renderStaleness } from '../card/sections/staleness.ts';
import type { QualityResult } from '../quality/result.ts';
import type { StalenessCheck, StalenessSettings } from './check.ts';
import type { StalenessAction } from './staleness.ts';

export const STALENESS_DIMENSIONS = ['task_category', 'prompt_length', 'entities'] as const;

export interface StalenessDetails extends StalenessCheck {
  settings: StalenessSettings;
  traffic: {
    /** The traffic folder, relative to the repository root. */
    dir: string;
    partitions: number;
    first: string;
    last: string;
    /** Prompts of the window without a task_category, whose category the classifier assigned. */
    classified: number;
  };
}

const STATUS: Record<StalenessAction, QualityResult['status']> = { none: 'pass', monitor: 'warn', 're-curate': 'warn' };

export function stalenessSummary(d: StalenessDetails): string {
  const at = (action: StalenessAction) => d.dimensions.filter((x) => x.action === action).map((x) => x.name);
  const what = `${d.window.prompts.toLocaleString('en-US')} production prompts of ${d.window.from} to ${d.window.to}`;
  if (d.action === 'none') return `No dimension moved beyond both its threshold and its noise floor against the ${what}.`;
  const watch = at('monitor').length ? ` Worth watching: ${at('monitor').join(', ')}.` : '';
  return d.action === 're-curate'
    ? `Re-curation is due: ${at('re-curate').join(', ')} moved beyond the re-curation threshold and the noise floor against the ${what}.${watch}`
    : `Worth watching: ${at('monitor').join(', ')} moved beyond the monitoring threshold and the noise floor against the ${what}.`;
}

export function stalenessResult(dataset: string, details: StalenessDetails): QualityResult<StalenessDetails> {
  return { schema_version: 1, check: 'staleness', dataset, status: STATUS[details.action], summary: stalenessSummary(details), details };
}

/** The DVC metrics: numbers per dimension, so `dvc metrics diff` shows them move between versions. */
export function stalenessMetrics(d: StalenessDetails | null) {
  if (!d) return { action: null, dimensions: {} };
  return {
    action: d.action,
    window: d.window,
    first_recurate: d.first_recurate,
    dimensions: Object.fromEntries(d.dimensions.map((x) => [x.name, { jsd: x.jsd, noise_floor: x.noise_floor, action: x.action }])),
  };
}

/** One dimension's daily trend as CSV (a DVC plot, x = date, y = jsd), with the noise floor and the threshold beside it. */
export function trendCsv(d: StalenessDetails | null, dimension: string): string {
  const rows = ['date,prompts,noise_floor,recurate_threshold,jsd'];
  for (const point of d?.trend ?? []) {
    const x = point.dimensions.find((p) => p.name === dimension);
    if (x) rows.push([point.date, point.prompts, x.noise_floor.toFixed(6), d!.settings.thresholds.recurate, x.jsd.toFixed(6)].join(','));
  }
  return rows.join('\n') + '\n';
}

/** The Markdown report: `reports/staleness-NAME.md`, and the body of a refresh commit. */
export function stalenessReport(result: QualityResult<unknown>): string {
  const body = result.status === 'not_run' ? `_Not run: ${result.reason}._` : renderStaleness(result as QualityResult<StalenessDetails>);
  return `# Staleness of ${result.dataset}\n\n${body}\n`;
}
