/**
 * Stage `duplicates`, an eligibility screen: pool examples whose prompts are the same after
 * normalisation (NFC, case folding, whitespace collapsed) form a group; so do near-copies, whose
 * shingle sets have a Jaccard similarity of at least `contamination.near_duplicates.threshold`
 * (MinHash candidates, verified exactly). The smallest id of each group stays eligible and the others
 * are excluded from every draw (checks `duplicates` and `near-duplicates`). Writes the exclusion
 * table and a report of the groups.
 */
import { dirname } from 'node:path';
import { loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { nearDuplicateSettings } from '../lib/contamination/settings.ts';
import type { NearDuplicateSummary } from '../lib/contamination/result.ts';
import { nearDuplicateExclusions, nearDuplicateGroups } from '../lib/eligibility/nearDuplicates.ts';
import { PROMPT_NORMALIZER_VERSION, duplicateExclusions, duplicateGroups } from '../lib/eligibility/duplicates.ts';
import { exclusionFiles, exclusionTablePath } from '../lib/eligibility/table.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { columnValues, readParquetFile } from '../lib/io/parquet.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { poolPrompts } from '../lib/sampling/poolPrompts.ts';
import { readVoucher } from '../lib/sampling/voucher.ts';

export interface DuplicatesReport {
  normalizer_version: number;
  pool: number;
  groups: number;
  /** Examples in some group, kept or excluded. */
  examples_in_groups: number;
  excluded: number;
  /** Every group: the kept id and the excluded ones. */
  members: { kept: string; excluded: string[] }[];
  /** Near-copies among the examples no exact duplicate excluded. */
  near: NearDuplicateSummary;
}

export async function runDuplicates(root: string): Promise<DuplicatesReport> {
  const paths = projectPaths(root);
  const table = exclusionTablePath(root, 'duplicates');
  const reportPath = paths.duplicatesReport;
  removeStaleTemporaries([dirname(table), dirname(reportPath)]);
  const settings = nearDuplicateSettings(loadParams(paths.params, 'params.yaml').contamination);
  const voucher = readVoucher(paths);
  const assignments = readParquetFile(paths.assignments, { columns: ['id', 'prompt_key'] });
  const ids = columnValues(assignments, 'id') as string[];
  const groups = duplicateGroups(ids, columnValues(assignments, 'prompt_key') as string[]);
  const exact = duplicateExclusions(groups);
  const excludedExactly = new Set(exact.map((e) => e.id));
  const near = await nearDuplicateGroups(poolPrompts(paths, voucher), { ...settings, skipIds: excludedExactly });
  const nearExclusions = nearDuplicateExclusions(near.groups);
  const exclusions = [...exact, ...nearExclusions];
  const report: DuplicatesReport = {
    normalizer_version: PROMPT_NORMALIZER_VERSION,
    pool: ids.length,
    groups: groups.length,
    examples_in_groups: groups.reduce((n, g) => n + g.excluded.length + 1, 0),
    excluded: exact.length,
    members: groups.map(({ kept, excluded }) => ({ kept, excluded })),
    near: { width: settings.width, threshold: settings.threshold, groups: near.groups, excluded: nearExclusions.length, unscorable: near.unscorable },
  };
  writeAllAtomic({
    ...exclusionFiles(root, 'duplicates', exclusions, voucher.assignments.sha256),
    [reportPath]: JSON.stringify(report, null, 2) + '\n',
  });
  return report;
}

export const stage: Stage<DuplicatesReport> = {
  name: 'duplicates',
  perDataset: false,
  describe: 'eligibility screen: exclude all but one example of each group with the same normalised prompt',
  params: ['contamination.near_duplicates'],
  deps: ['interim/strata.parquet', 'interim/pool.json'],
  code: [
    'stages/duplicates.ts',
    'lib/eligibility',
    'lib/sampling',
    'lib/contamination/normalize.ts',
    'lib/contamination/settings.ts',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [
    { path: 'interim/exclusions/duplicates.parquet' },
    { path: 'interim/exclusions/duplicates.json' },
    { path: 'reports/duplicates.json', cache: false, metrics: true },
  ],
  run: (root) => runDuplicates(root),
  summarize: (r) =>
    `duplicates: ${r.groups} group${r.groups === 1 ? '' : 's'} of identical prompts among ${r.pool} examples; ${r.excluded} excluded from the draw` +
    r.members
      .slice(0, 10)
      .map((g) => `\n  kept ${g.kept}; excluded ${g.excluded.join(', ')}`)
      .join('') +
    (r.members.length > 10 ? `\n  … ${r.members.length - 10} more groups in reports/duplicates.json` : '') +
    `\nnear-duplicates: ${r.near.groups.length} group${r.near.groups.length === 1 ? '' : 's'} at Jaccard ≥ ${r.near.threshold} (shingles of ${r.near.width} tokens); ${r.near.excluded} excluded, ${r.near.unscorable} too short to compare` +
    r.near.groups
      .slice(0, 10)
      .map((g) => `\n  kept ${g.kept}; excluded ${g.members.map((m) => `${m.id} (${m.jaccard.toFixed(2)})`).join(', ')}`)
      .join(''),
};

await runStageMain(stage, import.meta.url);
