/**
 * Stage `ngram`, an eligibility screen: score every pool example against the reference corpus's
 * Bloom index (the share of its shingles found there) and exclude those above
 * `contamination.ngram.threshold`. An example shorter than one shingle is unscorable, counted as
 * such, never passed as clean. Without a reference corpus nothing is excluded and the report says
 * that n-gram detection was skipped.
 */
import { dirname } from 'node:path';
import { loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { ngramScreen, type NgramReport } from '../lib/contamination/ngramScreen.ts';
import { ngramSettings } from '../lib/contamination/settings.ts';
import { exclusionFiles, exclusionTablePath } from '../lib/eligibility/table.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { poolPrompts } from '../lib/sampling/poolPrompts.ts';
import { readVoucher } from '../lib/sampling/voucher.ts';

export async function runNgram(root: string, onProgress?: (n: number) => void): Promise<NgramReport> {
  const paths = projectPaths(root);
  const settings = ngramSettings(loadParams(paths.params, 'params.yaml').contamination);
  const table = exclusionTablePath(root, 'ngram');
  removeStaleTemporaries([dirname(table), paths.reports]);
  const voucher = readVoucher(paths);
  const { report, exclusions } = await ngramScreen(paths.contaminationIndex, poolPrompts(paths, voucher), settings, onProgress);
  writeAllAtomic({
    ...exclusionFiles(root, 'ngram', exclusions, voucher.assignments.sha256),
    [paths.ngramReport]: JSON.stringify(report, null, 2) + '\n',
  });
  return report;
}

export const stage: Stage<NgramReport> = {
  name: 'ngram',
  perDataset: false,
  describe: 'eligibility screen: exclude pool examples whose shingles are found in the reference corpus index above the threshold',
  params: ['contamination.ngram'],
  deps: ['interim/contamination/index.bloom', 'interim/strata.parquet', 'interim/pool.json'],
  code: [
    'stages/ngram.ts',
    'lib/contamination/bloomIndex.ts',
    'lib/contamination/indexFile.ts',
    'lib/contamination/ngramScreen.ts',
    'lib/contamination/normalize.ts',
    'lib/contamination/scan.ts',
    'lib/contamination/settings.ts',
    'lib/contamination/sizing.ts',
    'lib/eligibility',
    'lib/sampling',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [
    { path: 'interim/exclusions/ngram.parquet' },
    { path: 'interim/exclusions/ngram.json' },
    { path: 'reports/ngram.json', cache: false, metrics: true },
  ],
  run: (root, _dataset, onProgress) => runNgram(root, onProgress),
  summarize: (r) =>
    r.skipped
      ? `ngram: skipped: ${r.skipped}`
      : `ngram: ${r.scored} of ${r.pool} examples scored (${r.unscorable} shorter than one shingle); ${r.excluded} above ${r.threshold} excluded` +
        r.flagged
          .slice(0, 10)
          .map((f) => `\n  ${f.id}: ${f.hits}/${f.shingles} shingles found (${f.score.toFixed(3)})`)
          .join(''),
};

await runStageMain(stage, import.meta.url);
